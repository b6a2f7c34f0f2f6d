// GIVEN a valid stack config, WHEN one key is broken, THEN parsing refuses with one line that
// names the key, the value and the rule.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, parseStackConfig } from "../../../components/config";
import { clusterValues, raw, siteValues } from "../../harness/configs";

function refusal(
  kind: "site" | "cluster",
  values: Record<string, string>,
  secretKeys: string[] = [],
): string[] {
  try {
    parseStackConfig(kind, raw(values, secretKeys));
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return [...err.lines];
  }
  assert.fail("config was accepted");
}

describe("site config schema", () => {
  it("accepts the valid config and fills defaults", () => {
    const { config, project } = parseStackConfig("site", raw(siteValues()));
    assert.equal(project, "jetstream-paas");
    assert.equal(config.network.mode, "create");
    assert.deepEqual(config.network.router, { mode: "existing", name: "auto_allocated_router" });
    assert.equal(config.network.externalNetwork, "public");
    assert.equal(config.bastion.flavor, "m3.tiny");
  });

  const cases: Array<[string, Record<string, unknown>, string[], RegExp]> = [
    ["unknown key", { "jetstream-paas:zzBogusKey": 1 }, [], /^jetstream-paas:zzBogusKey: unknown key/],
    [
      "unknown nested key",
      { "jetstream-paas:network": { name: "n", cidr: "10.20.0.0/22", mtu: 1400 } },
      [],
      /^jetstream-paas:network\.mtu: unknown key/,
    ],
    ["unknown namespace", { "aws:region": "us-east-1" }, [], /^aws:region: unknown namespace "aws"/],
    [
      "unknown site",
      { "jetstream-paas:site": "asu" },
      [],
      /^jetstream-paas:site = "asu": must be one of the Jetstream2 sites: iu, tacc$/,
    ],
    [
      "wrong type",
      { "jetstream-paas:adminCidrs": "203.0.113.0/26" },
      [],
      /^jetstream-paas:adminCidrs = "203\.0\.113\.0\/26": must be a list$/,
    ],
    [
      "bad CIDR",
      { "jetstream-paas:network": { name: "jsp-iu", cidr: "10.20.0.1/22" } },
      [],
      /^jetstream-paas:network\.cidr = "10\.20\.0\.1\/22": must be an IPv4 CIDR a\.b\.c\.d\/n with the host bits zero$/,
    ],
    [
      "CIDR with an impossible prefix",
      { "jetstream-paas:network": { name: "jsp-iu", cidr: "10.20.0.0/33" } },
      [],
      /^jetstream-paas:network\.cidr = "10\.20\.0\.0\/33": must be an IPv4 CIDR/,
    ],
    [
      "overlapping subnets",
      { "jetstream-paas:adminCidrs": ["203.0.113.0/26", "10.20.1.0/24"] },
      [],
      /^jetstream-paas:adminCidrs\[1\] = "10\.20\.1\.0\/24": overlaps network\.cidr \(10\.20\.0\.0\/22\); subnets must be disjoint$/,
    ],
    [
      "world-open admin CIDR",
      { "jetstream-paas:adminCidrs": ["0.0.0.0/0"] },
      [],
      /^jetstream-paas:adminCidrs\[0\] = "0\.0\.0\.0\/0": must not open to the world/,
    ],
    [
      "missing image",
      { "jetstream-paas:image": undefined },
      [],
      /^jetstream-paas:image: required key is missing/,
    ],
    [
      "unknown flavor",
      { "jetstream-paas:bastion": { flavor: "m1.small" } },
      [],
      /^jetstream-paas:bastion\.flavor = "m1\.small": must be a Jetstream2 flavor \(.*m3\.tiny/,
    ],
    [
      "uppercase network name",
      { "jetstream-paas:network": { name: "JSP_IU", cidr: "10.20.0.0/22" } },
      [],
      /^jetstream-paas:network\.name = "JSP_IU": must be a lowercase RFC 1123 label/,
    ],
    [
      "existing network with a new router",
      {
        "jetstream-paas:network": {
          mode: "existing",
          name: "auto-allocated-network",
          cidr: "10.20.0.0/22",
          router: { mode: "create", name: "r" },
        },
      },
      [],
      /^jetstream-paas:network\.router\.mode = "create": must be existing when network\.mode is existing/,
    ],
    [
      "private key instead of public key",
      { "jetstream-paas:ssh": { keypairName: "k", publicKey: "-----BEGIN OPENSSH PRIVATE KEY-----" } },
      [],
      /^jetstream-paas:ssh\.publicKey = .*: must be an OpenSSH public key line .*never a private key$/,
    ],
    [
      "secret given in plain text",
      { "openstack:applicationCredentialSecret": "hunter2-plain" },
      [],
      /^openstack:applicationCredentialSecret = \[redacted\]: must be a secret; set it with `pulumi config set --secret openstack:applicationCredentialSecret`$/,
    ],
    [
      "region contradicting the site",
      { "openstack:region": "TACC" },
      [],
      /^openstack:region = "TACC": must be IU for site iu$/,
    ],
  ];

  for (const [what, overrides, secretKeys, expected] of cases) {
    it(`refuses ${what}`, () => {
      const lines = refusal("site", siteValues(overrides), secretKeys);
      assert.ok(
        lines.some((l) => expected.test(l)),
        `no line matched ${expected}:\n${lines.join("\n")}`,
      );
      for (const l of lines) assert.ok(!l.includes("\n"), "each problem is one line");
    });
  }

  it("never prints a secret value, even when it is also malformed", () => {
    const lines = refusal("site", siteValues({ "openstack:applicationCredentialSecret": "hunter2-plain" }));
    assert.ok(
      lines.every((l) => !l.includes("hunter2")),
      lines.join("\n"),
    );
  });

  it("accepts the credential secret when it is a Pulumi secret", () => {
    const values = siteValues({ "openstack:applicationCredentialSecret": "s3cr3t-value" });
    const { openstack } = parseStackConfig("site", raw(values, ["openstack:applicationCredentialSecret"]));
    assert.equal(openstack.applicationCredentialSecret, "s3cr3t-value");
  });

  it("reports every problem at once", () => {
    const lines = refusal(
      "site",
      siteValues({ "jetstream-paas:site": "asu", "jetstream-paas:zzBogusKey": true }),
    );
    assert.equal(lines.length, 2, lines.join("\n"));
  });
});

describe("cluster config schema", () => {
  it("accepts the valid config", () => {
    const { config, project } = parseStackConfig("cluster", raw(clusterValues()));
    assert.equal(project, "jetstream-paas-cluster");
    assert.equal(config.slot, "paasA");
  });

  it("refuses an unknown slot", () => {
    const lines = refusal("cluster", clusterValues({ "jetstream-paas-cluster:slot": "paasC" }));
    assert.match(lines.join("\n"), /^jetstream-paas-cluster:slot = "paasC": must be one of paasA, paasB$/m);
  });

  it("refuses a stack reference that is not organization/project/stack", () => {
    const lines = refusal("cluster", clusterValues({ "jetstream-paas-cluster:siteStack": "iu" }));
    assert.match(
      lines.join("\n"),
      /^jetstream-paas-cluster:siteStack = "iu": must be a fully qualified stack name/m,
    );
  });

  it("refuses site-project keys in the cluster project", () => {
    const lines = refusal("cluster", { ...clusterValues(), "jetstream-paas:site": "iu" });
    assert.match(lines.join("\n"), /^jetstream-paas:site: unknown namespace "jetstream-paas"/m);
  });
});
