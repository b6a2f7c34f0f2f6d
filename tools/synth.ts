// npm run synth -- [stack ...] [--out DIR] [--config FILE] [--quiet]
// Runs the real stack program under the mock engine (test/harness/mocks.ts) and writes
// out/<stack>/plan.json, outputs.json and every rendered artifact. A config error prints one
// line per problem, exits 1 and writes nothing.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { spawnSync } from "node:child_process";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../components/config/errors";
import { checkPlan, formatViolation, mandatory, PolicyRefusal } from "../policy/offline";
import { registeredArtifacts } from "../src/artifacts";
import { installMocks, MockEngine, PlannedResource, SECRET_PLACEHOLDER, settle } from "../test/harness/mocks";
import { promiseOf } from "../test/harness/outputs";
import { Command, exitWith, Io, processIo, program, Refusal, run, UsageError } from "./lib/cli";
import { listStacks, REPO_ROOT, resolveStack } from "./lib/stack-files";

const ORG = "organization";

export interface PlanEntry {
  type: string;
  name: string;
  parent: string | null;
  parentType: string | null;
  urn: string;
  inputs: Record<string, unknown>;
  dependsOn: string[];
  /** outputs the resource's options mark secret; only when there are any */
  additionalSecretOutputs?: string[];
  /** the mock engine's id of a custom resource: what other resources' inputs refer to */
  id?: string;
}

export interface Plan {
  stack: string;
  project: string;
  resources: PlanEntry[];
}

interface StackOutputsFile {
  name: string;
  outputs: Record<string, unknown>;
  secretOutputNames: string[];
}

function urnName(urn: string): string {
  return urn.slice(urn.lastIndexOf("::") + 2);
}
function urnType(urn: string): string {
  const parts = urn.split("::");
  return parts[parts.length - 2].split("$").pop() ?? "";
}

/** Outputs of stacks synthesized earlier (out/<stack>/outputs.json), for StackReference. */
function earlierStackOutputs(
  outRoot: string,
): Record<string, { outputs: Record<string, unknown>; secretOutputNames: string[] }> {
  const found: Record<string, { outputs: Record<string, unknown>; secretOutputNames: string[] }> = {};
  if (!existsSync(outRoot)) return found;
  for (const d of readdirSync(outRoot)) {
    const f = join(outRoot, d, "outputs.json");
    if (!existsSync(f)) continue;
    const o = JSON.parse(readFileSync(f, "utf8")) as StackOutputsFile;
    found[o.name] = { outputs: o.outputs, secretOutputNames: o.secretOutputNames };
  }
  return found;
}

async function resolveOutputs(
  mod: Record<string, unknown>,
): Promise<StackOutputsFile["outputs"] & { __secret: string[] }> {
  const outputs: Record<string, unknown> = {};
  const secret: string[] = [];
  for (const [k, v] of Object.entries(mod)) {
    if (k === "default" || k === "__esModule" || typeof v === "function") continue;
    const o = pulumi.output(v);
    if (await pulumi.isSecret(o)) {
      secret.push(k);
      outputs[k] = SECRET_PLACEHOLDER;
    } else {
      outputs[k] = await promiseOf(o);
    }
  }
  return Object.assign(outputs, { __secret: secret.sort() });
}

function toPlan(stack: string, project: string, engine: MockEngine): Plan {
  const resources = engine.resources
    .filter((r) => r.type !== "pulumi:pulumi:Stack")
    .map((r: PlannedResource): PlanEntry => {
      const parentIsStack = !r.parentUrn || urnType(r.parentUrn) === "pulumi:pulumi:Stack";
      return {
        type: r.type,
        name: r.name,
        parent: parentIsStack ? null : urnName(r.parentUrn!),
        parentType: parentIsStack ? null : urnType(r.parentUrn!),
        urn: r.urn,
        inputs: r.inputs,
        dependsOn: r.dependencies
          .filter((d) => d !== r.parentUrn)
          .map(urnName)
          .sort(),
        ...(r.additionalSecretOutputs.length > 0
          ? { additionalSecretOutputs: [...new Set(r.additionalSecretOutputs)].sort() }
          : {}),
        ...(r.custom && r.id ? { id: r.id } : {}),
      };
    })
    .sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
  return { stack, project, resources };
}

export interface SynthOptions {
  stack: string;
  outRoot: string;
  configFile?: string;
  log: (line: string) => void;
}

export async function synth(
  opts: SynthOptions,
): Promise<{ plan: Plan; outDir: string; artifacts: string[] }> {
  const files = resolveStack(opts.stack, opts.configFile);
  const outDir = join(opts.outRoot, opts.stack);
  // A failed synth must not leave an older plan behind that looks current.
  rmSync(outDir, { recursive: true, force: true });
  const started = Date.now();
  opts.log(`synth ${files.project}/${opts.stack}: ${files.main.slice(REPO_ROOT.length + 1)}`);

  let count = 0;
  const engine = await installMocks({
    project: files.project,
    stack: opts.stack,
    config: files.config,
    secretKeys: files.secretKeys,
    stackOutputs: earlierStackOutputs(opts.outRoot),
    onRegistered: (r) => {
      if (r.type === "pulumi:pulumi:Stack") return;
      count += 1;
      if (!r.custom) opts.log(`  planning ${r.type} ${r.name}`);
    },
  });

  let mod: Record<string, unknown> = {};
  await pulumi.runtime.runInPulumiStack(async () => {
    mod = (await import(files.main)) as Record<string, unknown>;
    return mod;
  });
  await settle();

  const plan = toPlan(opts.stack, files.project, engine);
  const resolved = await resolveOutputs(mod);
  const { __secret: secretOutputNames, ...outputs } = resolved;
  const artifacts: Array<[string, string]> = [];
  for (const a of registeredArtifacts()) artifacts.push([a.path, await promiseOf(a.content)]);
  await settle();

  const outputsFile: StackOutputsFile = {
    name: `${ORG}/${files.project}/${opts.stack}`,
    outputs,
    secretOutputNames,
  };
  // The policy pack's rules, as `pulumi preview --policy-pack policy` runs them: a mandatory
  // violation refuses the plan before anything is written.
  const violations = checkPlan(plan, outputsFile);
  if (mandatory(violations).length > 0) throw new PolicyRefusal(violations.map(formatViolation));
  for (const v of violations) opts.log(`policy: ${formatViolation(v)}`);

  mkdirSync(outDir, { recursive: true });
  const write = (rel: string, text: string) => {
    const path = join(outDir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, engine.scrub(text));
  };
  write("plan.json", `${JSON.stringify(plan, null, 2)}\n`);
  write("outputs.json", `${JSON.stringify(outputsFile, null, 2)}\n`);
  for (const [path, text] of artifacts.sort(([a], [b]) => a.localeCompare(b))) write(path, text);

  const byType = new Map<string, number>();
  for (const r of plan.resources) byType.set(r.type, (byType.get(r.type) ?? 0) + 1);
  opts.log(`planned ${plan.resources.length} resources (${count} registered) in ${Date.now() - started} ms:`);
  for (const [t, n] of [...byType].sort()) opts.log(`  ${String(n).padStart(4)}  ${t}`);
  opts.log(`wrote ${outDir}/plan.json, outputs.json and ${artifacts.length} artifacts`);
  return { plan, outDir, artifacts: artifacts.map(([p]) => p) };
}

/** Plans one stack; a config error prints one line per problem and nothing is written. */
async function synthOne(
  stack: string,
  outRoot: string,
  configFile: string | undefined,
  quiet: boolean,
  io: Io,
) {
  const log = quiet ? () => undefined : (line: string) => process.stderr.write(`${line}\n`);
  try {
    await synth({ stack, outRoot, configFile, log });
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const line of err.lines) io.err(`config error: ${line}`);
      throw new Refusal(`${stack}: refused, nothing planned`);
    }
    if (err instanceof PolicyRefusal) {
      for (const line of err.lines) io.err(`policy: ${line}`);
      throw new Refusal(`synth ${stack}: refused by a mandatory policy, nothing written`);
    }
    throw err;
  }
}

export function synthCommand(io: Io): Command {
  return program("synth", "Plan stacks offline under Pulumi's mock engine and write out/<stack>/.")
    .argument("[stacks...]", `stacks to plan, in order (default iu); known: ${listStacks().join(", ")}`)
    .option("--out <dir>", "output root", "out")
    .option("--config <file>", "use this stack file instead of Pulumi.<stack>.yaml (one stack only)")
    .option("--quiet", "print nothing but errors", false)
    .action(async (stacks: string[], opts: { out: string; config?: string; quiet: boolean }) => {
      const wanted = stacks.length > 0 ? stacks : ["iu"];
      const known = listStacks();
      const unknown = wanted.filter((s) => !known.includes(s));
      if (unknown.length > 0)
        throw new UsageError(`unknown stack ${unknown.join(", ")} (known: ${known.join(", ")})`);
      if (opts.config && wanted.length > 1) throw new UsageError("--config goes with one stack only");
      const outRoot = resolve(opts.out);
      if (wanted.length === 1) return synthOne(wanted[0], outRoot, opts.config, opts.quiet, io);
      // The mock engine is per process: each stack runs in its own, in the order given, and the
      // first refusal stops the rest (a later stack may read an earlier one's outputs).
      for (const stack of wanted) {
        const args = [
          "--import",
          "tsx",
          __filename,
          stack,
          "--out",
          outRoot,
          ...(opts.quiet ? ["--quiet"] : []),
        ];
        const r = spawnSync(process.execPath, args, { stdio: "inherit" });
        if (r.status !== 0) throw new Refusal(`synth ${stack} failed; later stacks not planned`);
      }
    });
}

export function main(argv: string[], io: Io = processIo): Promise<number> {
  return run(synthCommand(io), argv, io);
}

if (require.main === module) exitWith(main(process.argv.slice(2)));
