// SiteNetwork under the mock engine: child resources, their inputs as policy, outputs.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { installMocks, MockEngine, settle } from "../../harness/mocks";
import { promiseOf } from "../../harness/outputs";
import { PUBLIC_KEY } from "../../harness/configs";

type NetworkModule = typeof import("../../../components/network");

describe("SiteNetwork (create mode, existing router)", () => {
  let engine: MockEngine;
  let net: InstanceType<NetworkModule["SiteNetwork"]>;

  before(async () => {
    engine = await installMocks({
      project: "jetstream-paas",
      stack: "iu",
      config: { "openstack:region": "IU" },
    });
    const { SiteNetwork } = await import("../../../components/network");
    net = new SiteNetwork("iu", {
      site: "iu",
      network: { name: "jsp-iu", cidr: "10.20.0.0/22" },
      adminCidrs: ["203.0.113.0/26"],
      keypair: { name: "jsp-iu-operator", publicKey: PUBLIC_KEY },
      bastion: { image: "Featured-Ubuntu24", flavor: "m3.tiny" },
    });
    await promiseOf(net.bastionAddress);
    await settle();
  });

  it("registers the component with its token and parents every child to it", () => {
    const comp = engine.byName("iu");
    assert.equal(comp.type, "jetstream:network:SiteNetwork");
    const children = engine.resources.filter((r) => r.parentUrn === comp.urn);
    assert.equal(children.length, engine.resources.length - 1);
  });

  it("creates network, subnet and attaches the subnet to the existing router", () => {
    assert.equal(engine.ofType("openstack:networking/network:Network").length, 1);
    const subnet = engine.byName("iu-subnet");
    assert.equal(subnet.inputs.cidr, "10.20.0.0/22");
    assert.equal(subnet.inputs.name, "jsp-iu-subnet");
    assert.equal(engine.ofType("openstack:networking/router:Router").length, 0, "no second router");
    assert.equal(engine.ofType("openstack:networking/routerInterface:RouterInterface").length, 1);
  });

  it("never opens SSH or the Kubernetes API to 0.0.0.0/0", () => {
    const rules = engine.ofType("openstack:networking/secGroupRule:SecGroupRule");
    assert.ok(rules.length >= 10);
    for (const r of rules) {
      const min = Number(r.inputs.portRangeMin ?? 0);
      const max = Number(r.inputs.portRangeMax ?? 65535);
      const opensWorld = r.inputs.remoteIpPrefix === "0.0.0.0/0";
      if (opensWorld) {
        assert.ok(!(min <= 22 && 22 <= max), `${r.name} opens 22 to the world`);
        assert.ok(!(min <= 6443 && 6443 <= max), `${r.name} opens 6443 to the world`);
        assert.ok(r.inputs.protocol === "tcp", `${r.name} opens a whole protocol to the world`);
      }
      assert.ok(
        r.inputs.remoteIpPrefix !== undefined || r.inputs.remoteGroupId !== undefined,
        `${r.name} has no source`,
      );
      assert.equal(r.inputs.direction, "ingress");
    }
  });

  it("allows VRRP between the edge group and itself", async () => {
    const vrrp = engine.byName("iu-edge-vrrp-pair");
    const ids = await promiseOf(net.securityGroupIds);
    assert.equal(vrrp.inputs.protocol, "vrrp");
    assert.equal(vrrp.inputs.remoteGroupId, ids.edge);
    assert.equal(vrrp.inputs.securityGroupId, ids.edge);
  });

  it("puts the bastion behind its own port with the bastion group and a floating IP", async () => {
    const ids = await promiseOf(net.securityGroupIds);
    const port = engine.byName("iu-bastion-port");
    assert.deepEqual(port.inputs.securityGroupIds, [ids.bastion]);
    const vm = engine.byName("iu-bastion");
    assert.equal(vm.inputs.flavorName, "m3.tiny");
    assert.equal(vm.inputs.keyPair, "jsp-iu-operator");
    assert.match(String(vm.inputs.userData), /^#cloud-config\n/);
    assert.equal(engine.byName("iu-bastion-fip").inputs.pool, "public");
  });

  it("exposes typed outputs for the other components", async () => {
    assert.match(await promiseOf(net.networkId), /^[0-9a-f-]{36}$/);
    assert.match(await promiseOf(net.subnetId), /^[0-9a-f-]{36}$/);
    assert.equal(await promiseOf(net.subnetCidr), "10.20.0.0/22");
    assert.equal(await promiseOf(net.bastionAddress), "198.51.100.10");
    assert.equal(await promiseOf(net.bastionFixedIp), "10.20.0.10");
    assert.deepEqual(Object.keys(await promiseOf(net.securityGroupIds)).sort(), ["bastion", "edge", "nodes"]);
  });
});

describe("SiteNetwork (existing network)", () => {
  it("looks the network up and creates no network, subnet or router", async () => {
    const engine = await installMocks({
      project: "jetstream-paas",
      stack: "tacc",
      config: { "openstack:region": "TACC" },
    });
    const { SiteNetwork } = await import("../../../components/network");
    const net = new SiteNetwork("tacc", {
      site: "tacc",
      network: {
        mode: "existing",
        name: "auto-allocated-network",
        subnetName: "auto-allocated-subnet",
        cidr: "10.30.0.0/22",
      },
      adminCidrs: ["203.0.113.0/26"],
      keypair: { name: "k", publicKey: PUBLIC_KEY },
      bastion: { image: "Featured-Ubuntu24", flavor: "m3.tiny" },
    });
    await promiseOf(net.bastionAddress);
    await settle();
    for (const t of [
      "network:Network",
      "subnet:Subnet",
      "router:Router",
      "routerInterface:RouterInterface",
    ]) {
      assert.equal(engine.ofType(`openstack:networking/${t}`).length, 0, t);
    }
    assert.equal(await promiseOf(net.bastionFixedIp), "10.30.0.10");
    assert.match(await promiseOf(net.bastionAddress), /^198\.51\.100\.1[0-9]{2}$/, "TACC floating IP range");
  });

  it("refuses a world-open admin CIDR passed directly to the component", async () => {
    await installMocks({ project: "jetstream-paas", stack: "x" });
    const { SiteNetwork } = await import("../../../components/network");
    assert.throws(
      () =>
        new SiteNetwork("x", {
          site: "x",
          network: { name: "n", cidr: "10.0.0.0/24" },
          adminCidrs: ["0.0.0.0/0"],
          keypair: { name: "k", publicKey: PUBLIC_KEY },
          bastion: { image: "i", flavor: "m3.tiny" },
        }),
      /adminCidrs entry 0\.0\.0\.0\/0 opens to the world/,
    );
  });
});
