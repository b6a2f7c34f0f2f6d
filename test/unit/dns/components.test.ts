// DnsRecords, DnsChecker and the EdgeProxy's TLS part under the mock engine: record sets with
// their TTLs, public names left to the checker (ignoreChanges), the checker's restricted
// credential, and secrets kept secret (the ACME account key, the Designate credential).
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, MockEngine, settle } from "../../harness/mocks";
import { promiseOf } from "../../harness/outputs";
import { registeredArtifacts } from "../../../src/artifacts";
import { DNS_CHECKER_DEFAULTS } from "../../../components/config/dns";

const ZONE = "myalloc.projects.jetstream-cloud.org.";
const ACCOUNT_KEY =
  "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIlabaccountkeynotreal0123456789abcdefABCDEF\n-----END EC PRIVATE KEY-----\n";

describe("DNS and TLS components", () => {
  let engine: MockEngine;
  let checkerFiles: Array<{ path: string; content: string }>;
  let checkerUserData: string;
  let checkerFilesSecret: boolean;
  let edgeUserDataSecret: boolean;
  let haproxyCfg: string;

  before(async () => {
    engine = await installMocks({
      project: "jetstream-paas",
      stack: "iu",
      config: { "openstack:region": "IU" },
    });
    const { DnsRecords, DnsChecker } = await import("../../../components/dns");
    const { EdgeProxy } = await import("../../../components/edge");
    const openstack = await import("@pulumi/openstack");
    const subnet = new openstack.networking.Subnet("t-subnet", { networkId: "net-id", cidr: "10.20.0.0/22" });
    new DnsRecords("iu-dns", {
      zone: { name: ZONE },
      publicNames: [ZONE, `weather.${ZONE}`],
      live: "iu",
      ttl: 60,
      siteTtl: 300,
      addresses: { iu: "198.51.100.15", tacc: pulumi.output("198.51.100.141") },
    });
    new DnsRecords("lab-dns", {
      zone: { name: "lab.example.org.", mode: "create", email: "hostmaster@example.org" },
      publicNames: ["lab.example.org."],
      live: "tacc", // not up yet: the public name waits, the site name is planned
      addresses: { iu: "198.51.100.15" },
    });
    const checker = new DnsChecker("witness-1-dns-checker", {
      host: "witness-1",
      source: {
        zone: ZONE,
        provider: "designate",
        publicNames: [ZONE, `weather.${ZONE}`],
        from: "iu",
        to: "tacc",
        addresses: { iu: "198.51.100.15", tacc: "198.51.100.141" },
        probe: { port: 80, path: "/.well-known/jsp-edge-ready" },
        policy: { ...DNS_CHECKER_DEFAULTS },
        designate: { authUrl: "https://js2.jetstream-cloud.org:5000/v3/", region: "IU" },
      },
    });
    const edge = new EdgeProxy("iu-edge", {
      site: "iu",
      networkId: "net-id",
      subnetId: subnet.id,
      subnetCidr: "10.20.0.0/22",
      securityGroupId: "sg",
      keypairName: "kp",
      adminCidrs: ["203.0.113.0/26"],
      image: "Featured-Ubuntu24",
      flavor: "m3.small",
      vip: "10.20.3.250",
      slots: [{ name: "paasA", ingressNodes: ["10.20.0.40"] }],
      liveSlot: "paasA",
      peer: { site: "tacc", address: "198.51.100.140" },
      tls: {
        names: ["myalloc.projects.jetstream-cloud.org", "iu.myalloc.projects.jetstream-cloud.org"],
        acme: {
          directoryUrl: "https://acme-v02.api.letsencrypt.org/directory",
          email: "ops@example.org",
          accountKey: pulumi.secret(ACCOUNT_KEY),
        },
        hsts: { maxAgeSeconds: 63072000, includeSubDomains: false, preload: false },
      },
    });
    haproxyCfg = await promiseOf(edge.haproxyConfig);
    checkerFiles = (await promiseOf(checker.files)) as Array<{ path: string; content: string }>;
    checkerUserData = await promiseOf(checker.userData);
    checkerFilesSecret = await pulumi.isSecret(checker.files);
    await settle();
    const instance = engine.byName("iu-edge-1");
    edgeUserDataSecret = instance.inputs.userData === "[secret]";
  });

  it("plans the public names at the live site with their TTL, and one name per site", () => {
    const sets = engine
      .ofType("openstack:dns/recordSet:RecordSet")
      .filter((r) => r.name.startsWith("iu-dns-"));
    const byName = Object.fromEntries(sets.map((r) => [r.inputs.name, r.inputs]));
    assert.deepEqual(
      Object.keys(byName).sort(),
      [ZONE, `iu.${ZONE}`, `tacc.${ZONE}`, `weather.${ZONE}`].sort(),
    );
    assert.deepEqual(byName[ZONE], {
      zoneId: byName[ZONE].zoneId,
      name: ZONE,
      type: "A",
      ttl: 60,
      records: ["198.51.100.15"],
      description: "public name of the platform; points at the live site's edge (moved by the DNS checker)",
    });
    assert.equal(byName[`tacc.${ZONE}`].ttl, 300);
    assert.deepEqual(byName[`tacc.${ZONE}`].records, ["198.51.100.141"]);
  });

  it("looks the Jetstream2 zone up by name, or creates one when asked", () => {
    const ids = new Set(
      engine
        .ofType("openstack:dns/recordSet:RecordSet")
        .filter((r) => r.name.startsWith("iu-dns-"))
        .map((r) => r.inputs.zoneId),
    );
    assert.equal(ids.size, 1);
    const zone = engine.byName("lab-dns-zone");
    assert.deepEqual(zone.inputs, {
      name: "lab.example.org.",
      email: "hostmaster@example.org",
      ttl: 3600,
      type: "PRIMARY",
      description: "jetstream-paas public entry",
    });
    const lab = engine
      .ofType("openstack:dns/recordSet:RecordSet")
      .filter((r) => r.name.startsWith("lab-dns-"));
    assert.deepEqual(
      lab.map((r) => r.name),
      ["lab-dns-site-iu"],
      "the public name waits for its live site's address",
    );
  });

  it("leaves the public names' records to the checker and operators, the site names to Pulumi", () => {
    assert.deepEqual(engine.byName("iu-dns-apex").ignoreChanges, ["records"]);
    assert.deepEqual(engine.byName("iu-dns-weather").ignoreChanges, ["records"]);
    assert.deepEqual(engine.byName("iu-dns-site-iu").ignoreChanges, []);
  });

  it("gives the checker a credential that may only find the zone and read and replace record sets", () => {
    const ac = engine.byName("witness-1-dns-checker-credential");
    assert.equal(ac.type, "openstack:identity/applicationCredential:ApplicationCredential");
    assert.equal(ac.inputs.unrestricted, false);
    assert.deepEqual(ac.inputs.accessRules, [
      { service: "dns", method: "GET", path: "/v2/zones" },
      { service: "dns", method: "GET", path: "/v2/zones/*/recordsets" },
      { service: "dns", method: "PUT", path: "/v2/zones/*/recordsets/*" },
    ]);
    assert.ok(ac.additionalSecretOutputs.includes("secret"));
  });

  it("renders the checker's files as a secret, the credential in its own 0600 file, the config without it", () => {
    assert.ok(checkerFilesSecret);
    const cred = checkerFiles.find((f) => f.path === "/etc/jetstream-paas/dns-checker/credential.json")!;
    assert.equal((cred as { permissions?: string }).permissions, "0600");
    const cfg = JSON.parse(
      checkerFiles.find((f) => f.path === "/etc/jetstream-paas/dns-checker/checker.json")!.content,
    ) as Record<string, unknown>;
    assert.deepEqual(cfg.from, { site: "iu", address: "198.51.100.15" });
    assert.deepEqual(cfg.probe, { port: 80, path: "/.well-known/jsp-edge-ready", timeoutMs: 2000 });
    assert.doesNotMatch(JSON.stringify(cfg), /secret"\s*:/);
    assert.match(checkerUserData, /^#cloud-config\n/);
    const artifact = registeredArtifacts().find((a) => a.path === "dns-checker/witness-1.yaml");
    assert.ok(artifact);
  });

  it("terminates TLS on the edge and keeps the ACME account key out of plan, artifacts and outputs", async () => {
    assert.match(haproxyCfg, /bind :443 ssl crt \/etc\/haproxy\/certs\/jsp-public\.pem alpn h2,http\/1\.1/);
    assert.ok(edgeUserDataSecret, "the instance's user data (which carries the key) is secret");
    const plan = JSON.stringify(engine.resources.map((r) => r.inputs));
    assert.ok(!plan.includes("labaccountkeynotreal"), "no account key in any recorded input");
    for (const a of registeredArtifacts()) {
      assert.ok(!(await promiseOf(a.content)).includes("labaccountkeynotreal"), a.path);
    }
    const edgeComp = engine.byName("iu-edge");
    assert.equal((edgeComp.inputs.tls as { acme: { accountKey: string } }).acme.accountKey, "[secret]");
    assert.equal(
      (edgeComp.inputs.tls as { acme: { email: string } }).acme.email,
      "ops@example.org",
      "the rest of tls stays readable",
    );
  });
});
