// KubesprayCluster under the mock engine: children and their names, anti-affinity, the VIP,
// which remote step each change re-runs, secrets, provider identity, and refused arguments.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { registeredArtifacts } from "../../../src/artifacts";
import { installMocks, MockEngine, SECRET_PLACEHOLDER, settle } from "../../harness/mocks";
import { MOCK_KUBECONFIG_KEY_DATA } from "../../harness/mock-state";
import { promiseOf } from "../../harness/outputs";

type ClusterModule = typeof import("../../../components/cluster");
type Args = import("../../../components/cluster").KubesprayClusterArgs;

const SUBNET_ID = "7f3c9c2e-0000-4000-a000-000000000001";
const PRIVATE_KEY =
  "-----BEGIN OPENSSH PRIVATE KEY-----\nbW9jayBrZXkgZm9yIHRlc3Rz\n-----END OPENSSH PRIVATE KEY-----\n";

function baseArgs(patch: Partial<Args> = {}): Args {
  return {
    site: "iu",
    slot: "paasA",
    image: "Featured-Ubuntu24",
    network: {
      networkId: "net-1",
      subnetId: SUBNET_ID,
      subnetCidr: "10.20.0.0/22",
      nodeSecurityGroupId: "sg-nodes",
      keypairName: "jsp-iu-operator",
      bastionAddress: "198.51.100.10",
    },
    controlPlane: { count: 3, flavor: "m3.quad" },
    workers: { count: 3, flavor: "m3.medium" },
    ssh: { privateKey: pulumi.secret(PRIVATE_KEY) },
    ...patch,
  };
}

interface Built {
  engine: MockEngine;
  cluster: InstanceType<ClusterModule["KubesprayCluster"]>;
}

async function build(patch: Partial<Args> = {}): Promise<Built> {
  const engine = await installMocks({ project: "jetstream-paas-cluster", stack: "paasA" });
  engine.cloud.subnets.set(SUBNET_ID, { cidr: "10.20.0.0/22", networkId: "net-1", next: 64, byName: true });
  const { KubesprayCluster } = await import("../../../components/cluster");
  const cluster = new KubesprayCluster("paasa", baseArgs(patch));
  await promiseOf(cluster.ingressNodes);
  await promiseOf(cluster.kubeconfig);
  await settle();
  return { engine, cluster };
}

const triggers = (e: MockEngine, step: string) => JSON.stringify(e.byName(`paasa-${step}`).inputs.triggers);

describe("KubesprayCluster (3 control-plane + 3 workers)", () => {
  let b: Built;
  before(async () => {
    b = await build();
  });

  it("registers the component and parents every child to it", () => {
    const comp = b.engine.byName("paasa");
    assert.equal(comp.type, "jetstream:cluster:KubesprayCluster");
    const others = b.engine.resources.filter((r) => r.urn !== comp.urn);
    for (const r of others) assert.equal(r.parentUrn, comp.urn, r.name);
  });

  it("names nodes lowercase with the slot prefix and puts each role in an anti-affinity group", () => {
    const vms = b.engine.ofType("openstack:compute/instance:Instance").map((r) => r.inputs.name);
    assert.deepEqual(vms.sort(), [
      "paasa-cp-1",
      "paasa-cp-2",
      "paasa-cp-3",
      "paasa-worker-1",
      "paasa-worker-2",
      "paasa-worker-3",
    ]);
    const groups = b.engine.ofType("openstack:compute/serverGroup:ServerGroup");
    assert.deepEqual(groups.map((g) => [g.inputs.name, g.inputs.policies]).sort(), [
      ["paasa-cp", ["anti-affinity"]],
      ["paasa-worker", ["soft-anti-affinity"]],
    ]);
    const cpGroupId = b.engine.byName("paasa-cp-group").urn;
    assert.ok(b.engine.byName("paasa-cp-1").dependencies.includes(cpGroupId));
  });

  it("gives each node a port on the site subnet in the nodes group and no floating IP by default", () => {
    const port = b.engine.byName("paasa-worker-1-port");
    assert.deepEqual(port.inputs.securityGroupIds, ["sg-nodes"]);
    assert.deepEqual(port.inputs.fixedIps, [{ subnetId: SUBNET_ID }]);
    const fips = b.engine.ofType("openstack:networking/floatingIp:FloatingIp").map((r) => r.name);
    assert.deepEqual(fips, ["paasa-api-fip"], "only the API VIP has a floating IP");
    const vm = b.engine.byName("paasa-cp-1");
    assert.equal(vm.inputs.keyPair, "jsp-iu-operator");
    assert.equal(vm.inputs.flavorName, "m3.quad");
    assert.match(String(vm.inputs.userData), /^#cloud-config\n/);
    assert.deepEqual(vm.ignoreChanges, ["userData"]);
  });

  it("lets the control-plane ports carry the API VIP (kube-vip ARP) and nobody else", async () => {
    const vip = await promiseOf(b.cluster.apiVip);
    for (const i of [1, 2, 3]) {
      assert.deepEqual(b.engine.byName(`paasa-cp-${i}-port`).inputs.allowedAddressPairs, [
        { ipAddress: vip },
      ]);
    }
    assert.equal(b.engine.byName("paasa-worker-1-port").inputs.allowedAddressPairs, undefined);
  });

  it("exposes the workers' fixed IPs as ingress nodes and the VIP's floating IP as API address", async () => {
    const nodes = await promiseOf(b.cluster.ingressNodes);
    assert.equal(nodes.length, 3);
    for (const ip of nodes) assert.match(ip, /^10\.20\./);
    assert.match(await promiseOf(b.cluster.apiAddress), /^198\.51\.100\./);
    assert.equal(b.cluster.clusterName, "jetstream-iu-paasa");
    assert.equal(b.cluster.slot, "paasA");
  });

  it("keeps the kubeconfig secret and points it at the API address", async () => {
    assert.equal(await pulumi.isSecret(b.cluster.kubeconfig), true);
    const text = await promiseOf(b.cluster.kubeconfig);
    const doc = parse(text) as { clusters: Array<{ cluster: { server: string } }> };
    assert.equal(doc.clusters[0].cluster.server, `https://${await promiseOf(b.cluster.apiAddress)}:6443`);
    assert.ok(text.includes(MOCK_KUBECONFIG_KEY_DATA));
    assert.deepEqual(b.engine.byName("paasa-kubeconfig").additionalSecretOutputs.slice().sort(), [
      "connection",
      "stdin",
      "stdout",
    ]);
  });

  it("builds the provider with a stable clusterIdentifier and the secret kubeconfig", () => {
    const p = b.engine.byName("paasa-k8s");
    assert.equal(p.type, "pulumi:providers:kubernetes");
    assert.equal(p.inputs.clusterIdentifier, "jetstream-iu-paasa");
    assert.equal(p.inputs.kubeconfig, SECRET_PLACEHOLDER);
    assert.equal(b.cluster.provider.urn !== undefined, true);
  });

  it("never records the private key: connections and stdin are secret", () => {
    const commands = b.engine.ofType("command:remote:Command");
    assert.equal(commands.length, 6 + 3, "upload, prepare, install, upgrade, scale, kubeconfig + 3 members");
    for (const c of commands) {
      assert.equal(c.inputs.connection, SECRET_PLACEHOLDER, c.name);
      assert.ok(!JSON.stringify(c.inputs).includes("bW9jayBrZXkgZm9yIHRlc3Rz"), c.name);
      assert.ok(c.additionalSecretOutputs.includes("connection"), c.name);
    }
    for (const s of ["install", "upgrade", "scale"]) {
      assert.equal(b.engine.byName(`paasa-${s}`).inputs.stdin, SECRET_PLACEHOLDER, s);
    }
    assert.equal(b.engine.byName("paasa-prepare").inputs.stdin, undefined, "prepare needs no node access");
    assert.ok(b.engine.secretValues.has(PRIVATE_KEY));
  });

  it("chains the steps: upload, prepare, install, upgrade, scale, kubeconfig", () => {
    const dep = (a: string, on: string) =>
      assert.ok(
        b.engine.byName(`paasa-${a}`).dependencies.includes(b.engine.byName(`paasa-${on}`).urn),
        `${a} after ${on}`,
      );
    dep("prepare", "upload");
    dep("install", "prepare");
    dep("install", "cp-1");
    dep("upgrade", "install");
    dep("scale", "upgrade");
    dep("kubeconfig", "scale");
  });

  it("removes a worker with remove-node.yml when its membership is deleted, before its VM", () => {
    const m = b.engine.byName("paasa-worker-3-member");
    assert.match(String(m.inputs.delete), /commands\.sh" remove-node paasa-worker-3 10\.20\.\d+\.\d+$/);
    assert.ok(m.dependencies.includes(b.engine.byName("paasa-worker-3").urn));
  });

  it("registers every cloud-init and the Kubespray files as artifacts", () => {
    const paths = registeredArtifacts().map((a) => a.path);
    for (const p of [
      "cloud-init/paasa-cp-1.yaml",
      "cloud-init/paasa-worker-3.yaml",
      "kubespray/inventory.yaml",
      "kubespray/runner/inventory.yaml",
      "kubespray/group_vars/all/all.yml",
      "kubespray/group_vars/k8s_cluster/k8s-cluster.yml",
      "kubespray/commands.sh",
      "kubespray/playbooks/wait-for-nodes.yml",
    ]) {
      assert.ok(paths.includes(p), p);
    }
  });
});

describe("KubesprayCluster triggers: which playbook a change re-runs", () => {
  let base: Record<string, string>;
  before(async () => {
    const b = await build();
    base = Object.fromEntries(
      ["install", "upgrade", "scale", "prepare"].map((s) => [s, triggers(b.engine, s)]),
    );
  });

  it("a worker more changes the scale trigger, not the install or upgrade one", async () => {
    const b = await build({ workers: { count: 4, flavor: "m3.medium" } });
    assert.notEqual(triggers(b.engine, "scale"), base.scale);
    assert.equal(triggers(b.engine, "install"), base.install);
    assert.equal(triggers(b.engine, "upgrade"), base.upgrade);
    assert.match(
      String(b.engine.byName("paasa-scale").inputs.create),
      /scale paasa-worker-1 .* paasa-worker-4$/,
    );
    assert.equal(b.engine.ofType("command:remote:Command").filter((c) => /-member$/.test(c.name)).length, 4);
  });

  it("a Kubernetes version change drives upgrade-cluster.yml, not cluster.yml", async () => {
    const b = await build({ kubernetesVersion: "1.35.3" });
    assert.notEqual(triggers(b.engine, "upgrade"), base.upgrade);
    assert.equal(triggers(b.engine, "install"), base.install);
    assert.equal(triggers(b.engine, "scale"), base.scale);
  });

  it("a control-plane change re-runs cluster.yml", async () => {
    const b = await build({ controlPlane: { count: 5, flavor: "m3.quad" } });
    assert.notEqual(triggers(b.engine, "install"), base.install);
  });

  it("nothing changed, nothing re-runs", async () => {
    const b = await build();
    for (const s of ["install", "upgrade", "scale", "prepare"])
      assert.equal(triggers(b.engine, s), base[s], s);
  });
});

describe("KubesprayCluster options", () => {
  it("adds floating IPs where config asks and boots from volumes", async () => {
    const b = await build({
      workers: { count: 1, flavor: "m3.medium", floatingIp: true, bootVolumeGb: 80 },
      api: { floatingIp: false },
    });
    assert.deepEqual(
      b.engine.ofType("openstack:networking/floatingIp:FloatingIp").map((r) => r.name),
      ["paasa-worker-1-fip"],
    );
    const vm = b.engine.byName("paasa-worker-1");
    assert.equal(vm.inputs.imageName, undefined);
    const bd = (vm.inputs.blockDevices as Array<Record<string, unknown>>)[0];
    assert.equal(bd.volumeSize, 80);
    assert.equal(bd.sourceType, "image");
    assert.equal(bd.deleteOnTermination, true);
    assert.match(
      await promiseOf(b.cluster.apiAddress),
      /^10\.20\./,
      "without a floating IP the API address is the VIP",
    );
  });

  it("puts separate etcd nodes in their own anti-affinity group", async () => {
    const b = await build({ etcd: { count: 3, flavor: "m3.small" } });
    assert.equal(b.engine.byName("paasa-etcd-group").inputs.policies?.toString(), "anti-affinity");
    assert.ok(b.engine.byName("paasa-etcd-2"));
  });
});

describe("KubesprayCluster refuses bad arguments, naming them", () => {
  const cases: Array<[string, Partial<Args>, RegExp]> = [
    [
      "an even control-plane count",
      { controlPlane: { count: 4, flavor: "m3.quad" } },
      /controlPlane\.count must be odd/,
    ],
    ["no worker", { workers: { count: 0, flavor: "m3.medium" } }, /workers\.count must be an integer >= 1/],
    ["an uppercase prefix", { namePrefix: "PaasA" }, /namePrefix "PaasA" must be a lowercase RFC 1123 label/],
    [
      "an unsupported version",
      { kubernetesVersion: "1.30.0" },
      /kubernetesVersion 1\.30\.0 is not one Kubespray v2\.31\.0 installs/,
    ],
    [
      "overlapping pod and service CIDRs",
      { podCidr: "10.233.0.0/16" },
      /podCidr 10\.233\.0\.0\/16 overlaps serviceCidr/,
    ],
  ];
  let mod: ClusterModule;
  before(async () => {
    await installMocks({ project: "jetstream-paas-cluster", stack: "x" });
    mod = await import("../../../components/cluster");
  });
  for (const [what, patch, re] of cases) {
    it(`refuses ${what}`, () => {
      assert.throws(() => new mod.KubesprayCluster(`bad-${what.length}`, baseArgs(patch)), re);
    });
  }
});

describe("package barrel", () => {
  it("exports KubesprayCluster and its renderers from the package root", async () => {
    const root = (await import("../../../index")) as Record<string, unknown>;
    for (const n of [
      "KubesprayCluster",
      "renderInventory",
      "renderGroupVars",
      "renderNodeCloudInit",
      "KUBESPRAY",
    ]) {
      assert.ok(root[n] !== undefined, n);
    }
  });
});
