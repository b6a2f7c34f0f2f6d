// DNS renderers without mocks: names in the zone, the record plan, the zone file for an outside
// provider, the checker's files.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { planRecords, renderZoneFile } from "../../../components/dns/render/records";
import { renderCheckerCloudPart, renderCheckerUnit } from "../../../components/dns/render/checker-files";
import { fqdnIn, isZoneName, publicNames, relativeName } from "../../../src/dns-names";
import { checkerFilesInput, ZONE } from "./fixtures";

describe("public names", () => {
  it("makes relative names, the apex and absolute names absolute; refuses names outside the zone", () => {
    assert.equal(fqdnIn(ZONE, "@"), ZONE);
    assert.equal(fqdnIn(ZONE, "api.weather"), `api.weather.${ZONE}`);
    assert.equal(fqdnIn(ZONE, `weather.${ZONE}`), `weather.${ZONE}`);
    assert.equal(fqdnIn(ZONE, "www.example.org."), undefined);
    assert.equal(relativeName(ZONE, ZONE), "@");
    assert.ok(isZoneName(ZONE));
    assert.ok(!isZoneName("org."));
  });
  it("puts the base name first, then the app names sorted, once each", () => {
    assert.deepEqual(publicNames(ZONE, "@", ["weather", "api", `api.${ZONE}`]), [
      ZONE,
      `api.${ZONE}`,
      `weather.${ZONE}`,
    ]);
  });
});

describe("record plan", () => {
  const plan = planRecords({
    zone: ZONE,
    publicNames: [ZONE, `weather.${ZONE}`],
    live: "iu",
    ttl: 60,
    siteTtl: 300,
    addresses: { iu: "198.51.100.15", tacc: undefined },
  });
  it("points the public names at the live site with the short TTL, each site's name at itself", () => {
    assert.deepEqual(
      plan.records.map((r) => [r.key, r.name, r.ttl, r.records, r.role]),
      [
        ["apex", ZONE, 60, ["198.51.100.15"], "public"],
        ["weather", `weather.${ZONE}`, 60, ["198.51.100.15"], "public"],
        ["site-iu", `iu.${ZONE}`, 300, ["198.51.100.15"], "site"],
      ],
    );
    assert.deepEqual(plan.missing, [`tacc.${ZONE} (the tacc site exports no edgePublicAddress yet)`]);
  });
  it("writes a zone-file fragment an outside provider can import", () => {
    assert.equal(
      renderZoneFile(ZONE, plan.records).split("\n").slice(3).join("\n"),
      [
        `$ORIGIN ${ZONE}`,
        "iu                          300 IN A 198.51.100.15",
        "@                            60 IN A 198.51.100.15",
        "weather                      60 IN A 198.51.100.15",
        "",
      ].join("\n"),
    );
  });
  it("refuses an address that is not IPv4", () => {
    assert.throws(
      () =>
        planRecords({
          zone: ZONE,
          publicNames: [ZONE],
          live: "iu",
          ttl: 60,
          siteTtl: 300,
          addresses: { iu: "x" },
        }),
      /dns: address of iu "x" is not IPv4/,
    );
  });
});

describe("checker files", () => {
  const part = renderCheckerCloudPart(checkerFilesInput());
  it("ships the bundle compressed, the credential 0600 and apart from the config", () => {
    const paths = part.files.map((f) => `${f.path} ${f.permissions}`);
    assert.deepEqual(paths, [
      "/etc/jetstream-paas/dns-checker/checker.json 0644",
      "/etc/jetstream-paas/dns-checker/credential.json 0600",
      "/etc/systemd/system/jsp-dns-checker.service 0644",
      "/opt/jetstream-paas/dns-checker/checker.js 0755",
      "/usr/local/bin/jsp-dns-checker 0755",
    ]);
    assert.equal(part.files.find((f) => f.path.endsWith("checker.js"))!.encoding, "gz+b64");
    assert.ok(!part.files.find((f) => f.path.endsWith("checker.json"))!.content.includes("s3cr3t"));
    assert.deepEqual(part.packages, ["nodejs"]);
  });
  it("runs unprivileged, handed the credential by systemd", () => {
    const unit = renderCheckerUnit();
    assert.match(unit, /^DynamicUser=true$/m);
    assert.match(
      unit,
      /^LoadCredential=designate\.json:\/etc\/jetstream-paas\/dns-checker\/credential\.json$/m,
    );
    assert.match(unit, /^ProtectSystem=strict$/m);
  });
});
