// npm run bench [-- --runs N]: measures how synth cost grows with cluster size and writes the
// figures into docs/clusters.md between the bench markers. Not part of npm test.
// Method: `tools/synth.ts` in a fresh child process per run (as `npm run synth` does), wall
// time, median of N runs, after one `synth iu` whose outputs feed the StackReference; plus
// the pure renderers alone, in process, for the largest size.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { renderInventory, renderNodeCloudInit, renderRunnerScript } from "../components/cluster";

const ROOT = resolve(__dirname, "..");
const DOC = join(ROOT, "docs", "clusters.md");
const START = "<!-- bench:start -->";
const END = "<!-- bench:end -->";

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

function main(): void {
  const { values } = parseArgs({ options: { runs: { type: "string", default: "3" } } });
  const runs = Math.max(1, Math.min(10, Number(values.runs)));
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
      process.stderr.write(
        `${cp}+${workers}: ${samples[0].resources} resources, median ${Math.round(ms)} ms\n`,
      );
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
    const block = [
      START,
      `Measured ${date} by \`npm run bench\` (median of ${runs} runs; ${cpus().length} CPUs, ${cpus()[0]?.model ?? "?"}, node ${process.version}).`,
      "Wall time of `tools/synth.ts paasA` in a fresh process, including ~2-3 s of tsx/Pulumi start-up.",
      "",
      "| control plane + workers | resources planned | synth ms | ms per resource |",
      "|---|---|---|---|",
      ...rows,
      "",
      `Pure renderers alone for 5 + 100 nodes (inventory, 105 cloud-configs, runner script): ${renderMs.toFixed(1)} ms per cluster.`,
      END,
    ].join("\n");
    const doc = readFileSync(DOC, "utf8");
    const i = doc.indexOf(START);
    const j = doc.indexOf(END);
    if (i < 0 || j < 0) throw new Error(`${DOC} has no bench markers`);
    writeFileSync(DOC, `${doc.slice(0, i)}${block}${doc.slice(j + END.length)}`);
    process.stdout.write(`${block}\n`);
  } finally {
    rmSync(outRoot, { recursive: true, force: true });
  }
}

main();
