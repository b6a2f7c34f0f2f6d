// EdgeProxy under the mock engine: children, their inputs as policy, secrets, warnings.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { installMocks, MockEngine, settle } from "../../harness/mocks";
import { promiseOf } from "../../harness/outputs";

type EdgeModule = typeof import("../../../components/edge");

const SG = "sg-edge-id";

describe("EdgeProxy (two hosts, two slots, a peer)", () => {
  let engine: MockEngine;
  let edge: InstanceType<EdgeModule["EdgeProxy"]>;

  before(async () => {
    engine = await installMocks({
      project: "jetstream-paas",
      stack: "iu",
      config: { "openstack:region": "IU" },
    });
    const { EdgeProxy } = await import("../../../components/edge");
    const openstack = await import("@pulumi/openstack");
    // a subnet the mock cloud knows, so host ports get distinct addresses from it
    const subnet = new openstack.networking.Subnet("t-subnet", { networkId: "net-id", cidr: "10.20.0.0/22" });
    edge = new EdgeProxy("iu-edge", {
      site: "iu",
      networkId: "net-id",
      subnetId: subnet.id,
      subnetCidr: "10.20.0.0/22",
      securityGroupId: SG,
      keypairName: "jsp-iu-operator",
      adminCidrs: ["203.0.113.0/26"],
      image: "Featured-Ubuntu24",
      flavor: "m3.small",
      vip: "10.20.3.250",
      slots: [
        { name: "paasA", ingressNodes: ["10.20.0.40", "10.20.0.41"] },
        { name: "paasB", ingressNodes: undefined },
      ],
      liveSlot: "paasA",
      preliveSlot: "paasB",
      peer: { site: "tacc", address: "198.51.100.140" },
      extraFiles: [{ path: "/etc/jsp-failover/config.yaml", content: "site: iu\n" }],
    });
    await promiseOf(edge.haproxyConfig);
    await promiseOf(edge.publicAddress);
    await settle();
  });

  it("registers jetstream:edge:EdgeProxy and parents every child to it", () => {
    const comp = engine.byName("iu-edge");
    assert.equal(comp.type, "jetstream:edge:EdgeProxy");
    const strays = engine.resources.filter(
      (r) => r.parentUrn !== comp.urn && r.urn !== comp.urn && r.name !== "t-subnet" && r.custom,
    );
    assert.deepEqual(
      strays.map((r) => r.name),
      [],
    );
    assert.ok(engine.resources.filter((r) => r.parentUrn === comp.urn).length >= 15);
  });

  it("puts the VIP on its own port, allows it on both host ports and gives it the floating IP", () => {
    const vip = engine.byName("iu-edge-vip-port");
    assert.equal((vip.inputs.fixedIps as Array<{ ipAddress: string }>)[0].ipAddress, "10.20.3.250");
    for (const k of [1, 2]) {
      const port = engine.byName(`iu-edge-${k}-port`);
      assert.deepEqual(port.inputs.allowedAddressPairs, [{ ipAddress: "10.20.3.250" }]);
      assert.deepEqual(port.inputs.securityGroupIds, [SG]);
    }
    const assoc = engine.byName("iu-edge-vip-fip-assoc");
    assert.equal(assoc.type, "openstack:networking/floatingIpAssociate:FloatingIpAssociate");
    assert.equal(
      assoc.inputs.portId,
      engine.byName("iu-edge-vip-port").urn.length > 0 ? assoc.inputs.portId : "",
    );
    assert.match(String(assoc.inputs.portId), /^[0-9a-f-]{36}$/);
    assert.equal(engine.byName("iu-edge-vip-fip").inputs.pool, "public");
  });

  it("spreads the two hosts with a hard anti-affinity server group", () => {
    assert.deepEqual(engine.byName("iu-edge-servergroup").inputs.policies, ["anti-affinity"]);
    assert.equal(engine.ofType("openstack:compute/instance:Instance").length, 2);
    for (const k of [1, 2]) {
      const vm = engine.byName(`iu-edge-${k}`);
      assert.equal(vm.inputs.name, `iu-edge-${k}`);
      assert.equal(vm.inputs.userData, "[secret]", "user data carries passwords: secret");
      assert.deepEqual(vm.ignoreChanges, ["userData"]);
    }
  });

  it("opens pre-live and stats to admin CIDRs only, peer ports to the other site", () => {
    const rules = engine.ofType("openstack:networking/secGroupRule:SecGroupRule");
    const byPort = (p: number) => rules.filter((r) => r.inputs.portRangeMin === p);
    for (const p of [8080, 8443, 8404]) {
      assert.deepEqual(
        byPort(p).map((r) => r.inputs.remoteIpPrefix),
        ["203.0.113.0/26"],
        `port ${p}`,
      );
    }
    for (const p of [8081, 8444])
      assert.deepEqual(
        byPort(p).map((r) => r.inputs.remoteIpPrefix),
        ["0.0.0.0/0"],
      );
    for (const r of rules) {
      assert.equal(r.inputs.securityGroupId, SG);
      assert.equal(r.inputs.protocol, "tcp");
      assert.equal(r.inputs.portRangeMin, r.inputs.portRangeMax);
    }
  });

  it("keeps the stats password a secret and out of haproxy.cfg", async () => {
    assert.equal(await pulumi.isSecret(edge.statsPassword), true);
    const pw = await promiseOf(edge.statsPassword);
    assert.ok(pw.length >= 32);
    const cfg = await promiseOf(edge.haproxyConfig);
    assert.ok(!cfg.includes(pw));
    assert.match(cfg, /server tacc-edge 198\.51\.100\.140:8081 backup/);
    assert.match(cfg, /server paasa-0-40 10\.20\.0\.40:30080 check port 30021/);
    assert.match(cfg, /slot paasB has no ingress nodes/);
  });

  it("exposes the VIP, the public address and each host's address", async () => {
    assert.equal(await promiseOf(edge.vipAddress), "10.20.3.250");
    assert.match(await promiseOf(edge.publicAddress), /^198\.51\.100\.\d+$/);
    assert.deepEqual(Object.keys(await promiseOf(edge.hostAddresses)), ["iu-edge-1", "iu-edge-2"]);
  });
});

describe("EdgeProxy argument checks", () => {
  it("refuses a live slot that is not a slot, and three hosts", async () => {
    await installMocks({ project: "jetstream-paas", stack: "x" });
    const { EdgeProxy } = await import("../../../components/edge");
    const base = {
      site: "iu",
      networkId: "n",
      subnetId: "s",
      subnetCidr: "10.20.0.0/22",
      securityGroupId: "g",
      keypairName: "k",
      adminCidrs: ["203.0.113.0/26"],
      image: "i",
      flavor: "m3.small",
      vip: "10.20.3.250",
      slots: [{ name: "paasA", ingressNodes: [] }],
      liveSlot: "paasA",
    };
    assert.throws(
      () => new EdgeProxy("a", { ...base, liveSlot: "paasB" }),
      /liveSlot paasB is not one of slots \(paasA\)/,
    );
    assert.throws(() => new EdgeProxy("b", { ...base, hosts: 3 }), /hosts = 3: must be 1 or 2/);
    assert.throws(
      () => new EdgeProxy("c", { ...base, adminCidrs: ["0.0.0.0/0"] }),
      /adminCidrs entry 0\.0\.0\.0\/0 opens to the world/,
    );
  });
});
