import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { planSecurityRules } from "../../../components/network/render/security-rules";

const input = {
  adminCidrs: ["203.0.113.64/26", "203.0.113.0/26"],
  subnetCidr: "10.20.0.0/22",
  ingressNodePorts: [30443, 30080, 30021],
  apiPort: 6443,
};

describe("planSecurityRules", () => {
  const rules = planSecurityRules(input);

  it("opens only HTTP and HTTPS on the edge to the world", () => {
    const world = rules.filter((r) => r.remoteCidr === "0.0.0.0/0");
    assert.deepEqual(
      world.map((r) => [r.group, r.portMin]),
      [
        ["edge", 80],
        ["edge", 443],
      ],
    );
  });

  it("allows SSH to the bastion only from admin CIDRs, and to nodes/edge only from the bastion group", () => {
    const ssh = rules.filter((r) => r.portMin === 22);
    assert.deepEqual(
      ssh.filter((r) => r.group === "bastion").map((r) => r.remoteCidr),
      ["203.0.113.0/26", "203.0.113.64/26"],
    );
    for (const r of ssh.filter((x) => x.group !== "bastion")) assert.equal(r.remoteGroup, "bastion");
  });

  it("allows the Kubernetes API from admin CIDRs and the site subnet only", () => {
    const api = rules.filter((r) => r.portMin === 6443);
    assert.deepEqual(api.map((r) => r.remoteCidr).sort(), [
      "10.20.0.0/22",
      "203.0.113.0/26",
      "203.0.113.64/26",
    ]);
    assert.ok(api.every((r) => r.group === "nodes"));
  });

  it("allows VRRP only between edge hosts", () => {
    const vrrp = rules.filter((r) => r.protocol === "vrrp");
    assert.deepEqual(vrrp, [
      {
        key: "vrrp-pair",
        group: "edge",
        description: vrrp[0].description,
        protocol: "vrrp",
        remoteGroup: "edge",
      },
    ]);
  });

  it("lets only the edge reach the ingress NodePorts, sorted", () => {
    const ingress = rules.filter((r) => r.key.startsWith("ingress-"));
    assert.deepEqual(
      ingress.map((r) => [r.portMin, r.remoteGroup]),
      [
        [30021, "edge"],
        [30080, "edge"],
        [30443, "edge"],
      ],
    );
  });

  it("gives every rule exactly one source and a unique name", () => {
    for (const r of rules) assert.ok((r.remoteCidr === undefined) !== (r.remoteGroup === undefined), r.key);
    const names = rules.map((r) => `${r.group}-${r.key}`);
    assert.equal(new Set(names).size, names.length);
  });

  it("is deterministic whatever the order of admin CIDRs", () => {
    assert.deepEqual(planSecurityRules({ ...input, adminCidrs: [...input.adminCidrs].reverse() }), rules);
  });
});
