// Every command answers --help with usage (exit 0), and a mistake with one line naming it and
// pointing at --help (exit 2), before it touches anything: the rule of tools/lib/cli.ts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Io } from "../../../tools/lib/cli";

type Main = (argv: string[], io: Io) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Main>> = {
  synth: async () => (await import("../../../tools/synth")).main,
  drill: async () => (await import("../../../tools/drill")).main,
  bench: async () => (await import("../../../tools/bench")).main,
  edge: async () => (await import("../../../tools/edge")).main,
  app: async () => (await import("../../../tools/app")).main,
  ab: async () => (await import("../../../tools/ab")).main,
  policy: async () => (await import("../../../tools/policy")).main,
  "plan-diff": async () => (await import("../../../tools/plan-diff")).main,
};

async function call(name: string, argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const main = await COMMANDS[name]();
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

describe("command lines", () => {
  for (const name of Object.keys(COMMANDS)) {
    it(`${name} --help prints usage and exits 0`, async () => {
      const r = await call(name, ["--help"]);
      assert.equal(r.code, 0);
      assert.match(r.out.join("\n"), new RegExp(`^Usage: ${name} `));
      assert.deepEqual(r.err, []);
    });
    it(`${name} answers an unknown option with one line and exit 2`, async () => {
      const r = await call(name, ["--no-such-option"]);
      assert.equal(r.code, 2);
      assert.equal(r.err.length, 1, r.err.join("\n"));
      assert.match(r.err[0], new RegExp(`^${name}: .*--no-such-option.*; see: npm run ${name} -- --help$`));
      assert.doesNotMatch(r.err[0], /\bat .*\(.*:\d+:\d+\)/);
    });
  }

  it("synth refuses an unknown stack before planning anything", async () => {
    const r = await call("synth", ["nope", "--out", "/nonexistent/never-written"]);
    assert.equal(r.code, 2);
    assert.match(r.err[0], /^synth: unknown stack nope \(known: iu, tacc, /);
  });

  it("edge validates site and slot before it connects anywhere", async () => {
    // --outputs names a file that does not exist: reading it would fail with exit 1, so exit 2
    // with the slot rule proves the argument was checked first.
    const r = await call("edge", ["switch", "--site", "iu", "--live", "paasC", "--outputs", "/nonexistent"]);
    assert.equal(r.code, 2);
    assert.match(r.err[0], /--live paasC: site iu has no such slot \(its edge\.slots: paasA, paasB\)/);
    const s = await call("edge", ["status", "--site", "mars"]);
    assert.equal(s.code, 2);
    assert.match(s.err[0], /^edge: --site mars: must be one of iu, tacc; see/);
    const c = await call("edge", ["stat", "--site", "iu"]);
    assert.equal(c.code, 2);
    assert.match(c.err[0], /unknown command 'stat' \(did you mean status\?\)/);
  });

  it("a command with subcommands and none given names them", async () => {
    const r = await call("edge", []);
    assert.equal(r.code, 2);
    assert.match(r.err[0], /^edge: give a command \(status, switch, failback, apply\)/);
  });

  it("ab validates slot, site and runner before it connects anywhere", async () => {
    const slot = await call("ab", ["switch", "paasC", "--runner", "automation"]);
    assert.equal(slot.code, 2);
    assert.match(slot.err[0], /^ab: slot paasC: must be one of paasA, paasB; see/);
    const site = await call("ab", ["status", "--site", "mars"]);
    assert.equal(site.code, 2);
    assert.match(site.err[0], /^ab: --site mars: must be one of iu, tacc; see/);
    const tacc = await call("ab", ["up", "paasB", "--site", "tacc", "--runner", "synth"]);
    assert.equal(tacc.code, 2);
    assert.match(tacc.err[0], /slot paasB: site tacc has no such slot \(its edge.slots: paasA\)/);
    const runner = await call("ab", ["status", "--runner", "terraform"]);
    assert.equal(runner.code, 2);
    assert.match(runner.err[0], /--runner terraform: must be one of automation, synth/);
    for (const sub of [
      "status",
      "up",
      "migrate",
      "smoke",
      "switch",
      "rollback",
      "retire",
      "upgrade",
      "unlock",
    ]) {
      const h = await call("ab", [sub, "--help"]);
      assert.equal(h.code, 0, sub);
      assert.match(h.out.join("\n"), new RegExp(`^Usage: ab ${sub} `), sub);
    }
  });

  it("bench and drill check their values", async () => {
    const b = await call("bench", ["--runs", "0"]);
    assert.equal(b.code, 2);
    assert.match(b.err[0], /^bench: --runs 0: must be a whole number from 1 to 50; see/);
    const d = await call("drill", ["--scenario", "nope"]);
    assert.equal(d.code, 2);
    assert.match(d.err[0], /^drill: --scenario nope: must be one of /);
  });
});
