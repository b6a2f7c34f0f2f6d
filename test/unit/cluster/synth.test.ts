// `npm run synth` of the cluster stacks end to end: what paasA plans, that no key or
// kubeconfig material reaches out/, and that an even control-plane count stops everything.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Plan } from "../../../tools/synth";
import { mockSecret, MOCK_KUBECONFIG_KEY_DATA } from "../../harness/mock-state";
import { readJson, ROOT, runSynth } from "../../harness/synth";

const outRoot = mkdtempSync(join(tmpdir(), "jsp-cluster-synth-"));
after(() => rmSync(outRoot, { recursive: true, force: true }));

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

function withConfig(stack: string, edit: (text: string) => string): ReturnType<typeof runSynth> {
  const file = join(outRoot, `Pulumi.${stack}.edited.yaml`);
  writeFileSync(file, edit(readFileSync(join(ROOT, "stacks", "paas", `Pulumi.${stack}.yaml`), "utf8")));
  return runSynth(stack, outRoot, ["--config", file, "--quiet"]);
}

describe("synth of the paas cluster stacks", () => {
  before(() => assert.equal(runSynth("iu", outRoot, ["--quiet"]).status, 0));

  let keyed: ReturnType<typeof runSynth>;
  before(() => {
    // paasA as committed plus a secure SSH key, as an operator's stack file would have it.
    keyed = withConfig(
      "paasA",
      (t) => `${t}  jetstream-paas-cluster:sshPrivateKey:\n    secure: v1:AAAAAAAAAAAAAAAA:zzzz\n`,
    );
  });

  it("plans >= 3 control-plane and >= 1 worker VMs, the remote steps and the kubernetes provider", () => {
    const run = keyed;
    assert.equal(run.status, 0, run.stderr);
    const plan = readJson<Plan>(join(run.outDir, "plan.json"));
    const vms = plan.resources.filter((r) => r.type === "openstack:compute/instance:Instance");
    assert.ok(vms.filter((v) => /-cp-\d+$/.test(String(v.inputs.name))).length >= 3);
    assert.ok(vms.filter((v) => /-worker-\d+$/.test(String(v.inputs.name))).length >= 1);
    assert.ok(plan.resources.some((r) => r.type === "command:remote:Command" && r.name === "paasa-install"));
    const provider = plan.resources.find((r) => r.type === "pulumi:providers:kubernetes");
    assert.equal(provider?.inputs.clusterIdentifier, "jetstream-iu-paasa");
    for (const r of plan.resources) {
      if (r.type !== "jetstream:cluster:KubesprayCluster") assert.equal(r.parent, "paasa", r.name);
    }
  });

  it("exports the contract outputs, kubeconfig as a secret", () => {
    const out = readJson<{ outputs: Record<string, unknown>; secretOutputNames: string[] }>(
      join(outRoot, "paasA", "outputs.json"),
    );
    for (const k of [
      "site",
      "slot",
      "clusterName",
      "kubeconfig",
      "apiAddress",
      "ingressNodes",
      "ingressNodePorts",
    ]) {
      assert.ok(k in out.outputs, k);
    }
    assert.deepEqual(out.secretOutputNames, ["kubeconfig"]);
    assert.equal(out.outputs.kubeconfig, "[secret]");
    assert.deepEqual(out.outputs.ingressNodePorts, { http: 30080, https: 30443, status: 30021 });
    assert.equal((out.outputs.ingressNodes as string[]).length, 3);
  });

  it("writes no private key and no kubeconfig material to out/", () => {
    const run = keyed;
    assert.equal(run.status, 0, run.stderr);
    assert.doesNotMatch(run.stderr, /no SSH private key given/);
    const standIn = mockSecret("jetstream-paas-cluster:sshPrivateKey");
    for (const f of filesUnder(run.outDir)) {
      const text = readFileSync(f, "utf8");
      assert.ok(!text.includes(standIn), `${f} holds the private key`);
      assert.ok(!text.includes(MOCK_KUBECONFIG_KEY_DATA), `${f} holds kubeconfig key data`);
      assert.doesNotMatch(text, /client-key-data|BEGIN [A-Z ]*PRIVATE KEY/, f);
    }
  });

  it("refuses an even control-plane count in Pulumi.paasA.yaml with one line and plans nothing", () => {
    const run = withConfig("paasA", (t) => t.replace(/(controlPlane:\n\s+count:) 3/, "$1 4"));
    assert.equal(run.status, 1);
    assert.match(
      run.stderr,
      /^config error: jetstream-paas-cluster:cluster\.controlPlane\.count = 4: must be odd \(etcd keeps quorum/m,
    );
    assert.ok(!existsSync(join(run.outDir, "plan.json")));
  });

  it("plans paasB with its own names beside paasA in the same site", () => {
    const run = runSynth("paasB", outRoot, ["--quiet"]);
    assert.equal(run.status, 0, run.stderr);
    const plan = readJson<Plan>(join(run.outDir, "plan.json"));
    const names = plan.resources
      .filter((r) => r.type === "openstack:compute/instance:Instance")
      .map((r) => String(r.inputs.name));
    assert.ok(names.length >= 4 && names.every((n) => n.startsWith("paasb-")), names.join(","));
  });
});
