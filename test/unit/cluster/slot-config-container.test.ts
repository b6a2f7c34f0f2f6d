// The slot's config container (seed 002's per-cluster bucket): owned by the slot stack, holding
// its rendered non-secret files, and provably free of secrets: synth scrubs every secret it
// knows to "[secret]" in plan.json, so a secret that reached a ContainerObject would show there.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { runSynth, ROOT, readJson } from "../../harness/synth";

interface Plan {
  resources: Array<{
    type: string;
    name: string;
    parentType: string | null;
    inputs: Record<string, unknown>;
  }>;
}

describe("SlotConfigContainer in the slot stack", () => {
  const out = mkdtempSync(join(tmpdir(), "jsp-cfgc-"));
  after(() => rmSync(out, { recursive: true, force: true }));

  it("holds the slot's rendered files and no secret, with an index of their hashes", () => {
    assert.equal(runSynth("iu", out).status, 0);
    // a real secret in the slot's config: the bastion key Kubespray uses
    const file = join(out, "Pulumi.paasA.yaml");
    writeFileSync(
      file,
      `${readFileSync(join(ROOT, "stacks", "paas", "Pulumi.paasA.yaml"), "utf8")}  jetstream-paas-cluster:sshPrivateKey:\n    secure: v1:AAAABBBBCCCC\n`,
    );
    const r = runSynth("paasA", out, ["--config", file]);
    assert.equal(r.status, 0, r.stderr);
    const plan = readJson<Plan>(join(out, "paasA", "plan.json"));
    const containers = plan.resources.filter((x) => x.type === "openstack:objectstorage/container:Container");
    assert.deepEqual(
      containers.map((c) => [c.inputs.name, c.inputs.forceDestroy, c.parentType]),
      [["jsp-iu-paasa-config", true, "jetstream:cluster:SlotConfigContainer"]],
    );
    const objects = plan.resources.filter(
      (x) => x.type === "openstack:objectstorage/containerObject:ContainerObject",
    );
    const names = objects.map((o) => String(o.inputs.name)).sort();
    for (const want of [
      "kubespray/inventory.yaml",
      "kubespray/group_vars/all/all.yml",
      "k8s/mesh.yaml",
      "k8s/blue-green-web.yaml",
      "index.json",
    ]) {
      assert.ok(names.includes(want), `${want} stored`);
    }
    assert.ok(objects.every((o) => o.inputs.containerName === "jsp-iu-paasa-config"));
    for (const o of objects) {
      const content = String(o.inputs.content);
      assert.ok(content.length > 0, `${String(o.inputs.name)} has content`);
      assert.doesNotMatch(content, /\[secret\]/, `${String(o.inputs.name)} holds a secret`);
      assert.doesNotMatch(content, /PRIVATE KEY-----|client-key-data/, String(o.inputs.name));
    }
    // what is stored is exactly what synth wrote as the slot's artifacts
    const inventory = objects.find((o) => o.inputs.name === "kubespray/inventory.yaml")!;
    assert.equal(
      inventory.inputs.content,
      readFileSync(join(out, "paasA", "kubespray", "inventory.yaml"), "utf8"),
    );
    const index = JSON.parse(
      String(objects.find((o) => o.inputs.name === "index.json")!.inputs.content),
    ) as Array<{ path: string; sha256: string }>;
    assert.equal(index.length, objects.length - 1);
    assert.ok(index.every((e) => /^[0-9a-f]{64}$/.test(e.sha256)));
    const outputs = readJson<{ outputs: Record<string, unknown> }>(join(out, "paasA", "outputs.json"));
    assert.equal(outputs.outputs.configContainer, "jsp-iu-paasa-config");
  });

  it("refuses a secret or key material as a file's content", async () => {
    const { checkStorable } = await import("../../../components/cluster/slot-config-container");
    assert.throws(
      () => checkStorable("a.yaml", "password: hunter22", true),
      /^Error: slot config container: a\.yaml is a secret/,
    );
    assert.throws(
      () => checkStorable("b.yaml", "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n", false),
      /b\.yaml carries private key material/,
    );
    assert.throws(
      () => checkStorable("c.yaml", "client-key-data: LS0tLS1CRUdJTiBFQyBQUklWQVRF\n", false),
      /c\.yaml carries private key material/,
    );
    assert.equal(checkStorable("d.yaml", "all: {}\n", false), "all: {}\n");
  });
});
