// npm run bench [-- --suite NAME] [--runs N] [--out DIR]
// Runs the bench suites and writes each one's figures to <out>/bench/<suite>.md (default out/),
// never into a tracked doc: figures are copied into docs/ by hand, with their date and method.
// Not part of npm test.
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { BENCH_SUITES } from "./bench/suites";
import { Command, exitWith, intIn, Io, manyOf, Option, processIo, program, run } from "./lib/cli";

interface BenchOptions {
  suite?: string[];
  runs: number;
  out: string;
}

export function benchCommand(io: Io): Command {
  return program("bench", "Measure (synth cost, ...) and write the figures to out/bench/.")
    .addOption(
      new Option("--suite <name>", "run only this suite (repeatable; default: all)").argParser(
        manyOf(BENCH_SUITES.map((s) => s.name)),
      ),
    )
    .option("--runs <n>", "repetitions per measurement", intIn(1, 50), 3)
    .option("--out <dir>", "output root", "out")
    .option("--list", "list the suites and exit")
    .action(async (opts: BenchOptions & { list?: boolean }) => {
      if (opts.list) {
        for (const s of BENCH_SUITES) io.out(`${s.name}\t${s.description}`);
        return;
      }
      const chosen = opts.suite ? BENCH_SUITES.filter((s) => opts.suite!.includes(s.name)) : BENCH_SUITES;
      const dir = join(resolve(opts.out), "bench");
      mkdirSync(dir, { recursive: true });
      const log = (line: string) => process.stderr.write(`${line}\n`);
      for (const s of chosen) {
        log(`bench ${s.name}: ${s.description}`);
        const md = await s.run({ runs: opts.runs, log });
        const file = join(dir, `${s.name}.md`);
        writeFileSync(file, `${md.trimEnd()}\n`);
        io.out(md.trimEnd());
        log(`wrote ${file}`);
      }
    });
}

export function main(argv: string[], io: Io = processIo): Promise<number> {
  return run(benchCommand(io), argv, io);
}

if (require.main === module) exitWith(main(process.argv.slice(2)));
