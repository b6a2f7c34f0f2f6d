// The Designate client (src/openstack/designate.ts) against the fake Keystone + Designate on
// 127.0.0.1: token with catalog, zone and record-set lookups, moving names, refusals.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DesignateClient, pointNames, readNames } from "../../../src/openstack/designate";
import { FakeDesignate, startFakeDesignate } from "../../harness/fake-designate";

const ZONE = "myalloc.projects.jetstream-cloud.org.";
const IU = "198.51.100.15";
const TACC = "198.51.100.141";

describe("Designate client", () => {
  let fake: FakeDesignate;
  let client: DesignateClient;
  before(async () => {
    fake = await startFakeDesignate({
      credential: { id: "cred-id", secret: "cred-secret-0123456789" },
      zones: [
        {
          name: ZONE,
          records: [
            { name: ZONE, ttl: 60, records: [IU] },
            { name: `weather.${ZONE}`, ttl: 60, records: [IU] },
            { name: `tacc.${ZONE}`, ttl: 300, records: [TACC] },
          ],
        },
      ],
    });
    client = new DesignateClient({
      authUrl: `${fake.authUrl}/`,
      region: "IU",
      applicationCredentialId: "cred-id",
      applicationCredentialSecret: "cred-secret-0123456789",
    });
  });
  after(() => fake.close());

  it("authenticates with the application credential and finds the dns endpoint in the catalog", async () => {
    const zoneId = await client.zoneId(ZONE);
    assert.match(zoneId, /^[0-9a-f-]{36}$/);
    assert.deepEqual(fake.requests.slice(0, 2), ["POST /v3/auth/tokens", "GET /v2/zones"]);
  });

  it("reads where the names point and which site that is", async () => {
    const zoneId = await client.zoneId(ZONE);
    const view = await readNames(client, zoneId, [ZONE, `weather.${ZONE}`], { iu: IU, tacc: TACC });
    assert.equal(view.target, "iu");
    assert.deepEqual(view.byName[`weather.${ZONE}`], { records: [IU], ttl: 60, site: "iu" });
  });

  it("moves only the names not yet at the address, and reports them", async () => {
    const zoneId = await client.zoneId(ZONE);
    assert.deepEqual(await pointNames(client, zoneId, [ZONE], TACC), [ZONE]);
    const view = await readNames(client, zoneId, [ZONE, `weather.${ZONE}`], { iu: IU, tacc: TACC });
    assert.equal(view.target, "mixed");
    assert.deepEqual(await pointNames(client, zoneId, [ZONE, `weather.${ZONE}`], TACC), [`weather.${ZONE}`]);
    assert.equal(
      (await readNames(client, zoneId, [ZONE, `weather.${ZONE}`], { iu: IU, tacc: TACC })).target,
      "tacc",
    );
    assert.deepEqual(
      fake.changes.map((c) => [c.name, c.to]),
      [
        [ZONE, [TACC]],
        [`weather.${ZONE}`, [TACC]],
      ],
    );
  });

  it("says plainly when the credential is refused, without echoing it", async () => {
    const bad = new DesignateClient({
      authUrl: fake.authUrl,
      region: "IU",
      applicationCredentialId: "cred-id",
      applicationCredentialSecret: "wrong-secret",
    });
    await assert.rejects(bad.zoneId(ZONE), (err: Error) => {
      assert.equal(err.message, "Keystone refused the application credential (HTTP 401)");
      return true;
    });
    const noRegion = new DesignateClient({
      authUrl: fake.authUrl,
      region: "TACC",
      applicationCredentialId: "cred-id",
      applicationCredentialSecret: "cred-secret-0123456789",
    });
    await assert.rejects(noRegion.zoneId(ZONE), /the catalog has no public dns endpoint in region TACC/);
    await assert.rejects(
      client.zoneId("other.example.org."),
      /no zone other\.example\.org\. in this project/,
    );
  });
});
