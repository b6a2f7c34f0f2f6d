// PostgresPrimary (IU) and PostgresReplica (TACC) under the mock engine: child resources,
// security policy, secrets, and the peer-less first run.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { registeredArtifacts } from "../../../src/artifacts";
import { installMocks, MockEngine, settle } from "../../harness/mocks";
import { promiseOf } from "../../harness/outputs";

type StateModule = typeof import("../../../components/state");

const PEER_TACC = {
  site: "tacc",
  role: "replica" as const,
  publicAddress: "198.51.100.139",
  privateAddress: "10.30.0.11",
  port: 5432,
  caCert: "-----BEGIN CERTIFICATE-----\nTACC\n-----END CERTIFICATE-----\n",
};
const PEER_IU = {
  ...PEER_TACC,
  site: "iu",
  role: "primary" as const,
  publicAddress: "198.51.100.11",
  privateAddress: "10.20.0.11",
};

function args(site: string, peerSite: string, cidr: string) {
  return {
    site,
    peerSite,
    network: { networkId: "net-1", subnetId: "subnet-1", subnetCidr: cidr },
    keypairName: "kp",
    bastionSecurityGroupId: "sg-bastion",
    image: "Featured-Ubuntu24",
    flavor: "m3.small",
    flavorRamMb: 6144,
    volumeSizeGb: 100,
    synchronousCommit: "on" as const,
    app: { database: "app", user: "app" },
    backup: {
      onCalendar: "*-*-* 03:15:00 UTC",
      retentionDays: 14,
      endpoint: "https://js2.jetstream-cloud.org:8001",
    },
  };
}

async function artifact(path: string): Promise<string> {
  const a = registeredArtifacts().find((x) => x.path === path);
  assert.ok(a, `artifact ${path} registered`);
  return promiseOf(a.content);
}

describe("PostgresPrimary at IU", () => {
  let engine: MockEngine;
  let db: InstanceType<StateModule["PostgresPrimary"]>;

  before(async () => {
    engine = await installMocks({
      project: "jetstream-paas",
      stack: "iu",
      config: { "openstack:region": "IU" },
    });
    const { PostgresPrimary } = await import("../../../components/state");
    db = new PostgresPrimary("iu-state", { ...args("iu", "tacc", "10.20.0.0/22"), peer: PEER_TACC });
    await promiseOf(db.publicAddress);
    await settle();
  });

  it("registers the component and parents every child to it", () => {
    const comp = engine.byName("iu-state");
    assert.equal(comp.type, "jetstream:state:PostgresPrimary");
    const children = engine.resources.filter((r) => r.parentUrn === comp.urn);
    assert.equal(children.length, engine.resources.length - 1);
  });

  it("opens 5432 only to the site subnet and the peer's public address, SSH only from the bastion", () => {
    const rules = engine.ofType("openstack:networking/secGroupRule:SecGroupRule");
    const pg = rules.filter((r) => r.inputs.portRangeMin === 5432);
    assert.deepEqual(pg.map((r) => r.inputs.remoteIpPrefix).sort(), ["10.20.0.0/22", "198.51.100.139/32"]);
    const ssh = rules.filter((r) => r.inputs.portRangeMin === 22);
    assert.deepEqual(
      ssh.map((r) => r.inputs.remoteGroupId),
      ["sg-bastion"],
    );
    assert.ok(rules.every((r) => r.inputs.remoteIpPrefix !== "0.0.0.0/0"));
    const sg = engine.byName("iu-state-db-sg");
    assert.equal(sg.inputs.name, "iu-db");
  });

  it("keeps passwords, keys and user data secret", async () => {
    assert.equal(await pulumi.isSecret(db.credentials), true);
    assert.equal(await pulumi.isSecret(db.appPassword), true);
    const vm = engine.byName("iu-state-db");
    assert.equal(vm.inputs.userData, "[secret]");
    assert.equal(engine.ofType("random:index/randomPassword:RandomPassword").length, 3);
    const creds = await promiseOf(db.credentials);
    assert.ok(creds.replicationPassword.length >= 16);
  });

  it("pg_hba names only the peer for replication; the artifact copy of the user data has no secret", async () => {
    const hba = await artifact("state/iu-db/pg_hba.conf");
    const repl = hba.split("\n").filter((l) => l.startsWith("hostssl  replication"));
    assert.deepEqual(repl, [
      "hostssl  replication  replicator     198.51.100.139/32    scram-sha-256 clientcert=verify-full",
    ]);
    const ci = await artifact("cloud-init/iu-db.yaml");
    const creds = await promiseOf(db.credentials);
    for (const s of [creds.replicationPassword, creds.controllerPassword, await promiseOf(db.appPassword)]) {
      assert.ok(!ci.includes(s), "a password leaked into the artifact");
    }
    assert.doesNotMatch(ci, /BEGIN PRIVATE KEY/);
    assert.match(ci, /tacc_db/);
  });

  it("issues a server certificate for the public and private addresses from the site's own CA", () => {
    const csr = engine.byName("iu-state-server-csr");
    assert.deepEqual(csr.inputs.ipAddresses, ["198.51.100.10", "10.254.0.10"]);
    assert.equal(engine.byName("iu-state-ca").inputs.isCaCertificate, true);
    assert.deepEqual(engine.byName("iu-state-replication-csr").inputs.subject, {
      commonName: "replicator",
      organization: "jetstream-paas",
    });
  });

  it("keeps PGDATA on a volume and backs up into a container at the other site", () => {
    assert.equal(engine.byName("iu-state-db-volume").inputs.size, 100);
    assert.equal(engine.ofType("openstack:compute/volumeAttach:VolumeAttach").length, 1);
    const c = engine.byName("iu-state-backup-container");
    assert.equal(c.inputs.region, "TACC");
    assert.equal(c.inputs.name, "jsp-iu-db-backups");
  });
});

describe("PostgresReplica at TACC", () => {
  it("replicates from IU's public address, with the primary's credentials kept secret", async () => {
    const engine = await installMocks({
      project: "jetstream-paas",
      stack: "tacc",
      config: { "openstack:region": "TACC" },
    });
    const { PostgresReplica } = await import("../../../components/state");
    const db = new PostgresReplica("tacc-state", {
      ...args("tacc", "iu", "10.30.0.0/22"),
      peer: PEER_IU,
      credentials: { replicationPassword: "replication-pw-abc", controllerPassword: "controller-pw-abc" },
    });
    await promiseOf(db.publicAddress);
    await settle();
    assert.equal(engine.byName("tacc-state").type, "jetstream:state:PostgresReplica");
    const conf = await artifact("state/tacc-db/postgresql.conf");
    assert.match(conf, /^primary_conninfo = '.*host=198\.51\.100\.11 .*sslmode=verify-full/m);
    assert.match(conf, /^synchronous_standby_names = ''$/m);
    assert.equal(
      engine.ofType("random:index/randomPassword:RandomPassword").length,
      0,
      "the replica generates no password",
    );
    const ci = await artifact("cloud-init/tacc-db.yaml");
    assert.ok(!ci.includes("replication-pw-abc"));
    assert.equal(engine.byName("tacc-state-db").inputs.userData, "[secret]");
    assert.equal(engine.byName("tacc-state-backup-container").inputs.region, "IU");
  });

  it("without a peer (its stack has no outputs yet): renders, warns, no peer rule", async () => {
    const engine = await installMocks({
      project: "jetstream-paas",
      stack: "tacc",
      config: { "openstack:region": "TACC" },
    });
    const { PostgresReplica } = await import("../../../components/state");
    const db = new PostgresReplica("tacc-state", {
      ...args("tacc", "iu", "10.30.0.0/22"),
      backup: { onCalendar: "daily", retentionDays: 7 },
    });
    await promiseOf(db.publicAddress);
    await settle();
    const pg = engine
      .ofType("openstack:networking/secGroupRule:SecGroupRule")
      .filter((r) => r.inputs.portRangeMin === 5432);
    assert.deepEqual(
      pg.map((r) => r.inputs.remoteIpPrefix),
      ["10.30.0.0/22"],
    );
    assert.equal(
      engine.ofType("openstack:objectstorage/container:Container").length,
      0,
      "no backup target without an endpoint",
    );
    assert.match(await artifact("state/tacc-db/pg_hba.conf"), /no peer yet/);
  });

  it("refuses a peer that claims the same role", async () => {
    await installMocks({ project: "jetstream-paas", stack: "tacc", config: { "openstack:region": "TACC" } });
    const { PostgresReplica } = await import("../../../components/state");
    assert.throws(
      () =>
        new PostgresReplica("tacc-state", {
          ...args("tacc", "iu", "10.30.0.0/22"),
          peer: { ...PEER_IU, role: "replica" },
        }),
      /peer iu is also a replica: exactly one site is primary/,
    );
  });
});
