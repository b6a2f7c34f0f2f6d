// GIVEN a valid cluster stack config, WHEN one key of the `cluster` section is broken, THEN
// parsing refuses with one line naming the key, the value and the rule.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, parseStackConfig } from "../../../components/config";
import { clusterValues, raw } from "../../harness/configs";

const KEY = "jetstream-paas-cluster:cluster";

function refusal(values: Record<string, string>, secretKeys: string[] = []): string[] {
  try {
    parseStackConfig("cluster", raw(values, secretKeys));
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return [...err.lines];
  }
  assert.fail("config was accepted");
}

describe("cluster section of the cluster config", () => {
  it("fills HA defaults: 3 control-plane, 3 workers, stacked etcd, Calico, pinned Kubernetes", () => {
    const { config } = parseStackConfig("cluster", raw(clusterValues()));
    assert.equal(config.cluster.controlPlane.count, 3);
    assert.equal(config.cluster.workers.count, 3);
    assert.equal(config.cluster.etcd.placement, "control-plane");
    assert.equal(config.cluster.networkPlugin, "calico");
    assert.equal(config.cluster.kubernetesVersion, "1.35.4");
    assert.equal(config.cluster.api.floatingIp, true);
    assert.equal(config.sshPrivateKey, undefined);
  });

  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    [
      "even control-plane count",
      { controlPlane: { count: 4 } },
      /^jetstream-paas-cluster:cluster\.controlPlane\.count = 4: must be odd \(etcd keeps quorum/,
    ],
    [
      "no worker",
      { workers: { count: 0 } },
      /^jetstream-paas-cluster:cluster\.workers\.count = 0: must be at least 1/,
    ],
    [
      "control-plane flavor under the Kubespray/kubeadm minimum",
      { controlPlane: { flavor: "m3.tiny" } },
      /^jetstream-paas-cluster:cluster\.controlPlane\.flavor = "m3\.tiny": must have at least 2 vCPU and 1500 MB RAM for a control-plane node/,
    ],
    [
      "unknown flavor",
      { workers: { flavor: "m1.huge" } },
      /^jetstream-paas-cluster:cluster\.workers\.flavor = "m1\.huge": must be a Jetstream2 flavor/,
    ],
    [
      "pod CIDR overlapping the service CIDR",
      { podCidr: "10.233.0.0/16" },
      /^jetstream-paas-cluster:cluster\.podCidr = "10\.233\.0\.0\/16": overlaps serviceCidr \(10\.233\.0\.0\/18\)/,
    ],
    [
      "service CIDR overlapping the node subnet",
      { nodeCidr: "10.233.0.0/22" },
      /^jetstream-paas-cluster:cluster\.serviceCidr = "10\.233\.0\.0\/18": overlaps nodeCidr \(10\.233\.0\.0\/22\)/,
    ],
    [
      "Kubernetes version the pinned Kubespray does not install",
      { kubernetesVersion: "1.36.0" },
      /^jetstream-paas-cluster:cluster\.kubernetesVersion = "1\.36\.0": must be a Kubernetes version Kubespray v2\.31\.0 installs/,
    ],
    [
      "Kubernetes version with a leading v",
      { kubernetesVersion: "v1.35.4" },
      /^jetstream-paas-cluster:cluster\.kubernetesVersion = "v1\.35\.4": must be a Kubernetes version/,
    ],
    [
      "uppercase name prefix",
      { namePrefix: "PaasA" },
      /^jetstream-paas-cluster:cluster\.namePrefix = "PaasA": must be a lowercase RFC 1123 label/,
    ],
    [
      "underscore in the cluster name",
      { name: "jetstream_iu" },
      /^jetstream-paas-cluster:cluster\.name = "jetstream_iu": must be a lowercase RFC 1123 label/,
    ],
    [
      "even separate etcd count",
      { etcd: { placement: "separate", count: 2 } },
      /^jetstream-paas-cluster:cluster\.etcd\.count = 2: must be odd/,
    ],
    [
      "unknown CNI",
      { networkPlugin: "weave" },
      /^jetstream-paas-cluster:cluster\.networkPlugin = "weave": must be calico, cilium or flannel$/,
    ],
    ["unknown key", { zzBogus: 1 }, /^jetstream-paas-cluster:cluster\.zzBogus: unknown key/],
  ];
  for (const [what, section, re] of cases) {
    it(`refuses ${what} with one line naming the key`, () => {
      const lines = refusal(clusterValues({ [KEY]: section }));
      assert.equal(lines.length, 1, lines.join("\n"));
      assert.match(lines[0], re);
    });
  }

  it("refuses the SSH private key given in clear, without printing it", () => {
    const key =
      "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
    const lines = refusal(clusterValues({ "jetstream-paas-cluster:sshPrivateKey": key }));
    assert.match(lines.join("\n"), /^jetstream-paas-cluster:sshPrivateKey = \[redacted\]: must be a secret/m);
    assert.ok(!lines.join("\n").includes("b3BlbnNzaC1rZXktdjEAAAAA"));
  });

  it("refuses a public key where the private key belongs, and hides the value", () => {
    const lines = refusal(
      clusterValues({ "jetstream-paas-cluster:sshPrivateKey": "ssh-ed25519 AAAAC3Nza operator" }),
      ["jetstream-paas-cluster:sshPrivateKey"],
    );
    assert.match(
      lines.join("\n"),
      /^jetstream-paas-cluster:sshPrivateKey = \[secret\]: must be a private key/m,
    );
  });

  it("accepts the private key as a secret", () => {
    const { config } = parseStackConfig(
      "cluster",
      raw(clusterValues({ "jetstream-paas-cluster:sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----x" }), [
        "jetstream-paas-cluster:sshPrivateKey",
      ]),
    );
    assert.match(config.sshPrivateKey ?? "", /^-----BEGIN/);
  });
});
