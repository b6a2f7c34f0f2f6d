// npm run plan-diff on real synthesized plans, before and after a config change (the bastion's
// flavor and one more admin network), and the redaction rule: a value secret in either plan is
// never printed.
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { main } from "../../../tools/plan-diff";
import { inputChanges } from "../../../tools/lib/plan-diff";
import type { Plan } from "../../../tools/synth";
import { ROOT, runSynth } from "../../harness/synth";

const root = mkdtempSync(join(tmpdir(), "jsp-plan-diff-"));
after(() => rmSync(root, { recursive: true, force: true }));
const base = join(root, "base", "iu", "plan.json");
const head = join(root, "head", "iu", "plan.json");

before(() => {
  const stackFile = readFileSync(join(ROOT, "Pulumi.iu.yaml"), "utf8");
  const changed = stackFile
    .replace("    flavor: m3.tiny", "    flavor: m3.small")
    .replace("    - 203.0.113.0/26\n", "    - 203.0.113.0/26\n    - 198.51.100.0/28\n");
  assert.notEqual(changed, stackFile);
  const config = join(root, "Pulumi.iu.changed.yaml");
  writeFileSync(config, changed);
  for (const [out, extra] of [
    ["base", []],
    ["head", ["--config", config]],
  ] as const) {
    const run = runSynth("iu", join(root, out), ["--quiet", ...extra]);
    assert.equal(run.status, 0, run.stderr);
  }
});

async function diff(argv: string[]): Promise<{ code: number; out: string; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join("\n"), err };
}

describe("plan-diff on real plans", () => {
  it("summarises a config change: added and changed resources by type, changed inputs, rendered files", async () => {
    const r = await diff([base, head]);
    assert.equal(r.code, 0, r.err.join("\n"));
    const md = r.out;
    assert.match(
      md,
      /^### Plan diff: stack `iu` \(jetstream-paas\)\n\n\*\*6 to add, 4 to change, 0 to remove\*\* \(\d+ unchanged\)/,
    );
    assert.match(md, /\| `openstack:networking\/secGroupRule:SecGroupRule` \| 6 \| 0 \| 0 \|/);
    assert.match(md, /\| `openstack:compute\/instance:Instance` \| 0 \| 1 \| 0 \|/);
    assert.match(
      md,
      /#### ~ `iu-bastion` \(`openstack:compute\/instance:Instance`\)\n\n\| Input \| Before \| After \|\n\|---\|---\|---\|\n\| `flavorName` \| `m3\.tiny` \| `m3\.small` \|/,
    );
    assert.match(
      md,
      /#### \+ `iu-bastion-ssh-admin-198-51-100-0-28` \(`openstack:networking\/secGroupRule:SecGroupRule`\)/,
    );
    assert.match(md, /\| `adminCidrs\[1\]` \| \(none\) \| `198\.51\.100\.0\/28` \|/);
    // the edge hosts' user data is secret in the plan: its change shows as a rendered file, counts only
    assert.match(md, /\| `haproxy\/haproxy\.cfg` \| changed \| \+\d+ −\d+ \|/);
    assert.doesNotMatch(md, /acl admin_net/, "no line of a rendered file is printed");
  });

  it("says so when nothing changed", async () => {
    const r = await diff([base, base]);
    assert.equal(r.code, 0);
    assert.match(r.out, /No resource changes \(\d+ resources\)\./);
    assert.doesNotMatch(r.out, /Rendered files changed/);
  });

  it("never prints a value that is secret in either plan", async () => {
    const plan = JSON.parse(readFileSync(head, "utf8")) as Plan;
    const bastion = plan.resources.find((r) => r.name === "iu-bastion")!;
    const cloudInit = String(bastion.inputs.userData);
    assert.match(cloudInit, /^#cloud-config/, "the bastion's user data is plain in the real plan");
    bastion.inputs.userData = "[secret]";
    const dir = join(root, "secret", "iu");
    cpSync(join(root, "head", "iu"), dir, { recursive: true });
    writeFileSync(join(dir, "plan.json"), JSON.stringify(plan));
    for (const [a, b] of [
      [head, join(dir, "plan.json")],
      [join(dir, "plan.json"), head],
    ]) {
      const r = await diff([a, b, "--no-files"]);
      assert.equal(r.code, 0);
      assert.match(
        r.out,
        /\| `userData` \| \[secret\] \| \[secret\] \(secret in one plan or both: values not shown\) \|/,
      );
      for (const line of cloudInit.split("\n").filter((l) => l.length > 12)) {
        assert.ok(!r.out.includes(line), `prints no line of the value: ${line}`);
      }
    }
  });

  it("redacts a whole subtree that is secret on one side", () => {
    const rows = inputChanges(
      { connection: { host: "198.51.100.10", user: "ubuntu", privateKey: "[secret]" }, create: "a" },
      { connection: "[secret]", create: "b" },
    );
    assert.deepEqual(rows, [
      { path: "connection", secret: true },
      { path: "create", before: "a", after: "b", secret: false },
    ]);
  });

  it("shows a changed multi-line input as a capped diff", async () => {
    const plan = JSON.parse(readFileSync(head, "utf8")) as Plan;
    const bastion = plan.resources.find((r) => r.name === "iu-bastion")!;
    bastion.inputs.userData = `${String(bastion.inputs.userData)}# one more line\n`;
    const path = join(root, "text.plan.json");
    writeFileSync(path, JSON.stringify(plan));
    const r = await diff([head, path, "--no-files"]);
    assert.match(r.out, /\| `userData` \| text \| text \(diff below\) \|/);
    assert.match(r.out, /```diff\n@@ -\d+,\d+ \+\d+,\d+ @@\n[^]*\n\+# one more line\n/);
  });

  it("a missing plan is one line (exit 2), or a stack that does not exist with --missing-as-empty", async () => {
    const missing = join(root, "nowhere", "iu", "plan.json");
    const r = await diff([missing, head]);
    assert.equal(r.code, 2);
    assert.equal(r.err.length, 1);
    assert.match(
      r.err[0],
      /^plan-diff: no such plan file: .*nowhere\/iu\/plan\.json \(--missing-as-empty treats it as no stack\); see/,
    );
    const added = await diff([missing, head, "--missing-as-empty", "--no-files"]);
    assert.equal(added.code, 0);
    const n = (JSON.parse(readFileSync(head, "utf8")) as Plan).resources.length;
    assert.match(
      added.out,
      new RegExp(`\\*\\*${n} to add, 0 to change, 0 to remove\\*\\* \\(0 unchanged\\)`),
    );
    const bad = join(root, "bad.json");
    writeFileSync(bad, "[]");
    const refused = await diff([bad, head]);
    assert.equal(refused.code, 1);
    assert.match(refused.err[0], /bad\.json is not a plan\.json of npm run synth/);
  });
});
