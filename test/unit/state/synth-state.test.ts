// The site program plans the primary at IU and the replica at TACC, through the real synth
// tool, in the order an operator brings them up; the second IU run sees the replica.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { readJson, runSynth } from "../../harness/synth";

interface Plan {
  resources: Array<{ type: string; name: string; inputs: Record<string, unknown> }>;
}

const outRoot = mkdtempSync(join(tmpdir(), "jsp-synth-state-"));
after(() => rmSync(outRoot, { recursive: true, force: true }));

describe("synth: cross-site PostgreSQL", () => {
  it("iu first: plans the primary, warns that tacc has no outputs, does not crash", () => {
    const run = runSynth("iu", outRoot);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /planning jetstream:state:PostgresPrimary iu-state/);
    assert.match(run.stderr, /the tacc stack has no stateDb output yet/);
    const out = readJson<{ outputs: Record<string, unknown>; secretOutputNames: string[] }>(
      join(run.outDir, "outputs.json"),
    );
    assert.ok(out.secretOutputNames.includes("stateCredentials"));
    assert.equal((out.outputs.stateDb as { role: string }).role, "primary");
  });

  it("then tacc: plans the replica pointed at IU's public address, and the controller for its edge", () => {
    const run = runSynth("tacc", outRoot);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /planning jetstream:state:PostgresReplica tacc-state/);
    const conf = readFileSync(join(run.outDir, "state/tacc-db/postgresql.conf"), "utf8");
    const iuOut = readJson<{ outputs: { stateDb: { publicAddress: string } } }>(
      join(outRoot, "iu", "outputs.json"),
    );
    assert.ok(conf.includes(`host=${iuOut.outputs.stateDb.publicAddress} `));
    const ctl = readFileSync(join(run.outDir, "failover/controller-cloud-init.yaml"), "utf8");
    assert.match(ctl, /jsp-failover\.service/);
    assert.doesNotMatch(readFileSync(join(run.outDir, "plan.json"), "utf8"), /BEGIN (EC )?PRIVATE KEY/);
  });

  it("iu again: the replication rule admits exactly TACC's database address", () => {
    const run = runSynth("iu", outRoot);
    assert.equal(run.status, 0, run.stderr);
    const plan = readJson<Plan>(join(run.outDir, "plan.json"));
    const taccOut = readJson<{ outputs: { stateDb: { publicAddress: string } } }>(
      join(outRoot, "tacc", "outputs.json"),
    );
    const peer = plan.resources.find((r) => r.name === "iu-state-db-pg-peer");
    assert.ok(peer, "peer rule planned");
    assert.equal(peer.inputs.remoteIpPrefix, `${taccOut.outputs.stateDb.publicAddress}/32`);
    const hba = readFileSync(join(run.outDir, "state/iu-db/pg_hba.conf"), "utf8");
    assert.ok(hba.includes(`${taccOut.outputs.stateDb.publicAddress}/32`));
    const ci = readFileSync(join(run.outDir, "cloud-init/iu-db.yaml"), "utf8");
    assert.doesNotMatch(ci, /PRIVATE KEY-----\n[A-Za-z0-9+/]/);
  });
});
