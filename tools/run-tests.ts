// Runs every *.test.ts under test/ with node:test through tsx, each file in its own process
// (the mock engine is per process). Extra arguments are passed to node --test.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";

const ROOT = resolve(__dirname, "..");

function find(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((f) => {
      const p = join(dir, f);
      return statSync(p).isDirectory() ? find(p) : p.endsWith(".test.ts") ? [p] : [];
    })
    .sort();
}

const filter = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const flags = process.argv.slice(2).filter((a) => a.startsWith("-"));
const files = find(join(ROOT, "test"))
  .map((f) => relative(ROOT, f))
  .filter((f) => filter.length === 0 || filter.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error("no test files matched");
  process.exit(1);
}
const res = spawnSync(
  process.execPath,
  ["--import", "tsx", "--test", "--test-concurrency=2", "--test-reporter=spec", ...flags, ...files],
  { cwd: ROOT, stdio: "inherit" },
);
process.exit(res.status ?? 1);
