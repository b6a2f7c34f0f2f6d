// The site program plans the primary at IU and the replica at TACC through the real synth
// tool. Each stack is given the other's outputs as its first `pulumi up` would have left them
// (out/<peer>/outputs.json), and the two synths run side by side to keep the suite short.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { readJson, ROOT } from "../../harness/synth";

interface Plan {
  resources: Array<{ type: string; name: string; inputs: Record<string, unknown> }>;
}

const CA = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";
const PEERS = {
  iu: {
    site: "iu",
    role: "primary",
    publicAddress: "198.51.100.11",
    privateAddress: "10.20.0.11",
    port: 5432,
    caCert: CA,
  },
  tacc: {
    site: "tacc",
    role: "replica",
    publicAddress: "198.51.100.139",
    privateAddress: "10.30.0.11",
    port: 5432,
    caCert: CA,
  },
};

function synth(stack: string, outRoot: string): Promise<{ status: number; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(
      process.execPath,
      ["--import", "tsx", join(ROOT, "tools", "synth.ts"), stack, "--out", outRoot],
      { cwd: ROOT },
    );
    let stderr = "";
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => p.kill("SIGKILL"), 120_000);
    p.on("exit", (code) => {
      clearTimeout(t);
      resolve({ status: code ?? -1, stderr });
    });
  });
}

/** outputs.json of the peer as its `pulumi up` left it: what this stack's StackReference reads */
function seed(outRoot: string, peer: "iu" | "tacc"): void {
  mkdirSync(join(outRoot, peer), { recursive: true });
  const outputs: Record<string, unknown> = { site: peer, stateDb: PEERS[peer] };
  const secretOutputNames: string[] = [];
  if (peer === "iu") {
    outputs.stateCredentials = "[secret]";
    secretOutputNames.push("stateCredentials");
  }
  const file = { name: `organization/jetstream-paas/${peer}`, outputs, secretOutputNames };
  writeFileSync(join(outRoot, peer, "outputs.json"), JSON.stringify(file));
}

const root = mkdtempSync(join(tmpdir(), "jsp-synth-state-"));
after(() => rmSync(root, { recursive: true, force: true }));

describe("synth: cross-site PostgreSQL", () => {
  const runs: Record<string, { status: number; stderr: string; outDir: string }> = {};

  before(async () => {
    // each synth gets its own out root holding only the peer's outputs
    const work = await Promise.all(
      (["iu", "tacc"] as const).map(async (stack) => {
        const peer = stack === "iu" ? "tacc" : "iu";
        const outRoot = join(root, stack);
        seed(outRoot, peer);
        const r = await synth(stack, outRoot);
        return [stack, { ...r, outDir: join(outRoot, stack) }] as const;
      }),
    );
    for (const [stack, r] of work) runs[stack] = r;
  });

  it("iu plans the primary, admitting exactly TACC's database address for replication", () => {
    const run = runs.iu;
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /planning jetstream:state:PostgresPrimary iu-state/);
    const plan = readJson<Plan>(join(run.outDir, "plan.json"));
    const peer = plan.resources.find((r) => r.name === "iu-state-db-pg-peer");
    assert.ok(peer, "peer rule planned");
    assert.equal(peer.inputs.remoteIpPrefix, "198.51.100.139/32");
    assert.match(
      readFileSync(join(run.outDir, "state/iu-db/pg_hba.conf"), "utf8"),
      /^hostssl +replication +replicator +198\.51\.100\.139\/32 /m,
    );
    const out = readJson<{ outputs: Record<string, unknown>; secretOutputNames: string[] }>(
      join(run.outDir, "outputs.json"),
    );
    assert.ok(out.secretOutputNames.includes("stateCredentials"));
    assert.equal((out.outputs.stateDb as { role: string }).role, "primary");
    assert.doesNotMatch(
      readFileSync(join(run.outDir, "cloud-init/iu-db.yaml"), "utf8"),
      /PRIVATE KEY-----\n[A-Za-z0-9+/]/,
    );
  });

  it("tacc plans the replica pointed at IU's public address, and the controller for its edge", () => {
    const run = runs.tacc;
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /planning jetstream:state:PostgresReplica tacc-state/);
    const conf = readFileSync(join(run.outDir, "state/tacc-db/postgresql.conf"), "utf8");
    assert.match(conf, /^primary_conninfo = '.*host=198\.51\.100\.11 /m);
    const ctl = readFileSync(join(run.outDir, "failover/controller-cloud-init.yaml"), "utf8");
    assert.match(ctl, /jsp-failover\.service/);
    assert.match(ctl, /"primaryServerPattern": "\^iu-"/);
    assert.doesNotMatch(readFileSync(join(run.outDir, "plan.json"), "utf8"), /BEGIN (EC )?PRIVATE KEY/);
  });
});
