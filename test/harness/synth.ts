// Runs `tools/synth.ts` as the CLI does, in a child process (the mock engine is global per
// process), and reads back what it wrote.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const ROOT = resolve(__dirname, "..", "..");

export interface SynthRun {
  status: number;
  stderr: string;
  outDir: string;
}

export function runSynth(stack: string, outRoot: string, extra: string[] = []): SynthRun {
  const res = spawnSync(
    process.execPath,
    ["--import", "tsx", join(ROOT, "tools", "synth.ts"), stack, "--out", outRoot, ...extra],
    { cwd: ROOT, encoding: "utf8", timeout: 120_000 },
  );
  return {
    status: res.status ?? -1,
    stderr: `${res.stderr}${res.error ? String(res.error) : ""}`,
    outDir: join(outRoot, stack),
  };
}

export function readJson<T>(path: string): T {
  if (!existsSync(path)) throw new Error(`${path} was not written`);
  return JSON.parse(readFileSync(path, "utf8")) as T;
}
