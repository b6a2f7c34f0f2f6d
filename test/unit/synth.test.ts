// `npm run synth` end to end: the real stack programs under the mock engine.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { Plan } from "../../tools/synth";
import { mockSecret } from "../harness/mock-state";
import { readJson, ROOT, runSynth } from "../harness/synth";

const outRoot = mkdtempSync(join(tmpdir(), "jsp-synth-"));
after(() => rmSync(outRoot, { recursive: true, force: true }));

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe("synth of the site stacks", () => {
  for (const stack of ["iu", "tacc"]) {
    it(`plans the ${stack} network shell`, () => {
      const run = runSynth(stack, outRoot);
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stderr, /planning jetstream:network:SiteNetwork/);
      assert.match(run.stderr, /planned \d+ resources/);
      const plan = readJson<Plan>(join(run.outDir, "plan.json"));
      assert.equal(plan.stack, stack);
      assert.equal(plan.project, "jetstream-paas");
      const types = new Set(plan.resources.map((r) => r.type));
      for (const t of [
        "openstack:networking/network:Network",
        "openstack:networking/subnet:Subnet",
        "openstack:networking/routerInterface:RouterInterface",
        "openstack:networking/secGroupRule:SecGroupRule",
        "openstack:compute/keypair:Keypair",
        "openstack:compute/instance:Instance",
      ]) {
        assert.ok(types.has(t), `${t} planned`);
      }
      for (const r of plan.resources) {
        assert.deepEqual(Object.keys(r).slice(0, 4), ["type", "name", "parent", "parentType"]);
        // the shell's children hang under it; other components (state, edge, ...) have their own parents
        if (r.parentType === "jetstream:network:SiteNetwork") assert.equal(r.parent, stack);
      }
      assert.ok(existsSync(join(run.outDir, `cloud-init/${stack}-bastion.yaml`)));
    });
  }

  it("writes the same plan twice (deterministic)", () => {
    const a = readFileSync(join(runSynth("iu", outRoot).outDir, "plan.json"), "utf8");
    const b = readFileSync(join(runSynth("iu", outRoot).outDir, "plan.json"), "utf8");
    assert.equal(a, b);
  });
});

describe("synth of a cluster stack", () => {
  it("resolves paasA to the cluster project and reads the site stack's outputs", () => {
    assert.equal(runSynth("iu", outRoot).status, 0);
    const run = runSynth("paasA", outRoot);
    assert.equal(run.status, 0, run.stderr);
    const plan = readJson<Plan>(join(run.outDir, "plan.json"));
    assert.equal(plan.project, "jetstream-paas-cluster");
    const site = readJson<{ outputs: Record<string, unknown> }>(join(outRoot, "iu", "outputs.json"));
    const out = readJson<{ outputs: Record<string, unknown> }>(join(run.outDir, "outputs.json"));
    assert.equal(out.outputs.siteNetworkId, site.outputs.networkId);
  });
});

describe("synth refuses bad config", () => {
  function withConfig(stack: string, extraYaml: string): ReturnType<typeof runSynth> {
    const file = join(outRoot, `Pulumi.${stack}.bad.yaml`);
    writeFileSync(file, `${readFileSync(join(ROOT, `Pulumi.${stack}.yaml`), "utf8")}${extraYaml}`);
    return runSynth(stack, outRoot, ["--config", file]);
  }

  it("names an unknown key, exits non-zero and writes no plan", () => {
    assert.equal(runSynth("iu", outRoot).status, 0, "a good plan exists first");
    const run = withConfig("iu", "  jetstream-paas:zzBogusKey: 1\n");
    assert.equal(run.status, 1);
    assert.match(run.stderr, /^config error: jetstream-paas:zzBogusKey: unknown key/m);
    assert.ok(!existsSync(join(run.outDir, "plan.json")), "the old plan is gone, no new one written");
  });

  it("names the stack when it does not exist", () => {
    const run = runSynth("nosuchstack", outRoot);
    assert.equal(run.status, 2);
    assert.match(
      run.stderr,
      /^synth: unknown stack nosuchstack \(known: iu, tacc, .*\); see: npm run synth -- --help$/m,
    );
  });

  it("keeps a secure config value out of every file it writes", () => {
    const run = withConfig(
      "iu",
      "  openstack:applicationCredentialSecret:\n    secure: v1:AAAAAAAAAAAAAAAA:zzzz\n",
    );
    assert.equal(run.status, 0, run.stderr);
    // The stand-in value synth uses for the secret (tools/lib/stack-files.ts) must appear nowhere.
    const standIn = mockSecret("openstack:applicationCredentialSecret");
    for (const f of filesUnder(run.outDir)) assert.ok(!readFileSync(f, "utf8").includes(standIn), f);
  });
});
