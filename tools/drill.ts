// npm run drill [-- --scenario NAME] [-- --report FILE]
// Runs the drill scenarios (real HAProxy/keepalived/PostgreSQL in network namespaces) and
// prints a JSON report { "scenarios": [...] }; exit 1 when a scenario misses a target.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import {
  Command,
  exitWith,
  Io,
  manyOf,
  Option,
  processIo,
  program,
  Refusal,
  run,
  UsageError,
} from "./lib/cli";
import { cleanupAll } from "./drill/netns";
import { SCENARIOS } from "./drill/scenarios";
import type { ScenarioReport } from "./drill/types";

async function withTimeout<T>(p: Promise<T>, seconds: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`scenario ${name} exceeded ${seconds} s`)), seconds * 1000);
  });
  try {
    return await Promise.race([p, t]);
  } finally {
    clearTimeout(timer);
  }
}

interface DrillOptions {
  scenario?: string[];
  report?: string;
  list: boolean;
}

export function drillCommand(io: Io): Command {
  const names = SCENARIOS.map((s) => s.name);
  return program("drill", "Run the failover drills (real tools in network namespaces; needs root).")
    .addOption(
      new Option("--scenario <name>", "run only this scenario (repeatable; default: all)")
        .argParser(manyOf(names))
        .default(undefined),
    )
    .option("--report <file>", "also write the JSON report to this file")
    .option("--list", "list the scenarios and exit", false)
    .action(async (opts: DrillOptions) => {
      if (opts.list) {
        for (const s of SCENARIOS) io.out(`${s.name}\t${s.description}`);
        return;
      }
      if (process.getuid?.() !== 0)
        throw new UsageError("the drill creates network namespaces: run it as root");
      const code = await runDrill(opts);
      if (code !== 0) throw new Refusal("a scenario missed a target (see the report)");
    });
}

async function runDrill(values: DrillOptions): Promise<number> {
  const wanted = values.scenario ?? [];
  const chosen = wanted.length > 0 ? SCENARIOS.filter((s) => wanted.includes(s.name)) : SCENARIOS;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  // Ctrl-C or a kill: remove every namespace and process the drill made, then leave.
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(sig, () => {
      log(`drill: ${sig}, cleaning up`);
      cleanupAll(log);
      process.exit(130);
    });
  }
  const reports: ScenarioReport[] = [];
  for (const s of chosen) {
    const workDir = mkdtempSync(join(tmpdir(), `jsp-drill-${s.name}-`));
    log(`drill ${s.name}: ${s.description}`);
    try {
      const r = await withTimeout(s.run({ log, workDir }), s.timeoutSeconds, s.name);
      reports.push(...(Array.isArray(r) ? r : [r]));
    } catch (err) {
      reports.push({
        name: s.name,
        passed: false,
        targets: [],
        error: err instanceof Error ? err.message : String(err),
      });
    } finally {
      // a scenario that timed out may have left namespaces and processes behind
      cleanupAll(log);
      if (process.env.JSP_DRILL_KEEP) log(`kept ${workDir}`);
      else rmSync(workDir, { recursive: true, force: true });
    }
  }
  const text = `${JSON.stringify({ generatedAt: new Date().toISOString(), scenarios: reports }, null, 2)}\n`;
  if (values.report) {
    const path = resolve(values.report);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
  process.stdout.write(text);
  return reports.every((r) => r.passed) ? 0 : 1;
}

export function main(argv: string[], io: Io = processIo): Promise<number> {
  return run(drillCommand(io), argv, io);
}

if (require.main === module) exitWith(main(process.argv.slice(2)));
