// npm run plan-diff -- <base plan.json> <plan.json> [--missing-as-empty]
// Prints, as Markdown, what changes between two synthesized plans of one stack: resources
// added, removed and changed by type, and the changed inputs, secrets redacted. CI posts it as
// the pull-request comment (base = the base branch's synth). With --missing-as-empty a missing
// file stands for a stack that does not exist on that side (a new or a removed stack).
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { Command, exitWith, Io, processIo, program, run, UsageError } from "./lib/cli";
import { diffPlans, renderMarkdown } from "./lib/plan-diff";
import { emptyPlan, readPlan } from "./lib/plan-file";

interface DiffOptions {
  missingAsEmpty: boolean;
  files: boolean;
}

/** The rendered files synth wrote beside a plan.json (plan.json and outputs.json left out). */
function renderedFiles(planPath: string | undefined): Map<string, string> {
  const files = new Map<string, string>();
  if (planPath === undefined) return files;
  const root = dirname(planPath);
  const walk = (dir: string) => {
    for (const f of readdirSync(dir).sort()) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (dir !== root || !["plan.json", "outputs.json"].includes(f))
        files.set(relative(root, p), readFileSync(p, "utf8"));
    }
  };
  walk(root);
  return files;
}

export function planDiffCommand(io: Io): Command {
  return program("plan-diff", "Markdown summary of the changes between two plan.json files.")
    .argument("<base>", "plan.json of the base (e.g. the base branch's synth)")
    .argument("<head>", "plan.json of the change")
    .option("--missing-as-empty", "a missing file is a stack that does not exist on that side", false)
    .option("--no-files", "leave out the rendered files beside the plans (cloud-init, haproxy.cfg, ...)")
    .action((basePath: string, headPath: string, opts: DiffOptions) => {
      const missing = [basePath, headPath].filter((p) => !existsSync(p));
      if (missing.length === 2) throw new UsageError(`neither plan exists: ${missing.join(", ")}`);
      if (missing.length > 0 && !opts.missingAsEmpty) {
        throw new UsageError(`no such plan file: ${missing[0]} (--missing-as-empty treats it as no stack)`);
      }
      const base = existsSync(basePath) ? readPlan(basePath) : undefined;
      const head = existsSync(headPath) ? readPlan(headPath) : undefined;
      const known = (head ?? base)!;
      const stackOf = (p: string) => basename(dirname(p));
      const files = opts.files
        ? { base: renderedFiles(base && basePath), head: renderedFiles(head && headPath) }
        : undefined;
      const diff = diffPlans(
        base ?? emptyPlan(known.stack || stackOf(basePath), known.project),
        head ?? emptyPlan(known.stack || stackOf(headPath), known.project),
        files,
      );
      io.out(renderMarkdown(diff).replace(/\n$/, ""));
    });
}

export function main(argv: string[], io: Io = processIo): Promise<number> {
  return run(planDiffCommand(io), argv, io);
}

if (require.main === module) exitWith(main(process.argv.slice(2)));
