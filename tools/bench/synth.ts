// Bench suite "synth": how synth cost grows with cluster size.
// Method: `tools/synth.ts` in a fresh child process per run (as `npm run synth` does), wall
// time, median of N runs, after one `synth iu` whose outputs feed the StackReference; plus
// the pure renderers alone, in process, for the largest size.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { renderInventory, renderNodeCloudInit, renderRunnerScript } from "../../components/cluster";
import type { BenchSuite } from "./types";

const ROOT = resolve(__dirname, "..", "..");

function synthOnce(stack: string, outRoot: string, configFile?: string): { ms: number; resources: number } {
  const t0 = process.hrtime.bigint();
  const res = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      join(ROOT, "tools", "synth.ts"),
      stack,
      "--out",
      outRoot,
      ...(configFile ? ["--config", configFile] : []),
    ],
    { cwd: ROOT, encoding: "utf8", timeout: 300_000 },
  );
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (res.status !== 0) throw new Error(`synth ${stack} failed: ${res.stderr}`);
  const m = /planned (\d+) resources/.exec(res.stderr);
  return { ms, resources: m ? Number(m[1]) : -1 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function synthBench(runs: number, log: (line: string) => void): Promise<string> {
  const outRoot = mkdtempSync(join(tmpdir(), "jsp-bench-"));
  try {
    synthOnce("iu", outRoot);
    const base = readFileSync(join(ROOT, "stacks", "paas", "Pulumi.paasA.yaml"), "utf8");
    const rows: string[] = [];
    const sizes: Array<[number, number]> = [
      [3, 3],
      [3, 20],
      [3, 50],
      [5, 100],
    ];
    for (const [cp, workers] of sizes) {
      const file = join(outRoot, `Pulumi.paasA.${cp}-${workers}.yaml`);
      const edited = base
        .replace(/(controlPlane:\n\s+count:) \d+/, `$1 ${cp}`)
        .replace(/(workers:\n\s+count:) \d+/, `$1 ${workers}`);
      writeFileSync(file, edited);
      const samples = Array.from({ length: runs }, () => synthOnce("paasA", outRoot, file));
      const ms = median(samples.map((s) => s.ms));
      rows.push(
        `| ${cp} + ${workers} | ${samples[0].resources} | ${Math.round(ms)} | ${(ms / samples[0].resources).toFixed(1)} |`,
      );
      log(`${cp}+${workers}: ${samples[0].resources} resources, median ${Math.round(ms)} ms`);
    }
    // Renderers alone for 5 + 100 nodes.
    const hosts = (n: number, role: string, off: number) =>
      Array.from({ length: n }, (_, i) => ({
        name: `paasa-${role}-${i + 1}`,
        ip: `10.20.${off + Math.floor(i / 250)}.${(i % 250) + 2}`,
      }));
    const t0 = process.hrtime.bigint();
    const reps = 20;
    for (let r = 0; r < reps; r++) {
      renderInventory({
        controlPlane: hosts(5, "cp", 0),
        workers: hosts(100, "worker", 1),
        sshUser: "ubuntu",
        from: "operator",
        bastion: { address: "198.51.100.10", user: "ubuntu" },
      });
      for (let i = 1; i <= 105; i++) renderNodeCloudInit({ hostname: `paasa-worker-${i}`, role: "worker" });
      renderRunnerScript({
        clusterName: "jetstream-iu-paasa",
        kubernetesVersion: "1.35.4",
        apiVip: "10.20.0.50",
        apiPort: 6443,
      });
    }
    const renderMs = Number(process.hrtime.bigint() - t0) / 1e6 / reps;
    const date = new Date().toISOString().slice(0, 10);
    return [
      `Measured ${date} by \`npm run bench -- --suite synth\` (median of ${runs} runs; ${cpus().length} CPUs, ${cpus()[0]?.model ?? "?"}, node ${process.version}).`,
      "Wall time of `tools/synth.ts paasA` in a fresh process, including ~2-3 s of tsx/Pulumi start-up.",
      "",
      "| control plane + workers | resources planned | synth ms | ms per resource |",
      "|---|---|---|---|",
      ...rows,
      "",
      `Pure renderers alone for 5 + 100 nodes (inventory, 105 cloud-configs, runner script): ${renderMs.toFixed(1)} ms per cluster.`,
    ].join("\n");
  } finally {
    rmSync(outRoot, { recursive: true, force: true });
  }
}

export const synthSuite: BenchSuite = {
  name: "synth",
  description: "synth wall time by cluster size, and the cluster renderers alone",
  run: ({ runs, log }) => synthBench(runs, log),
};
