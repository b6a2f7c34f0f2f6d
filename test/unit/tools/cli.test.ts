// Every command answers --help with usage (exit 0), and a mistake with one line naming it and
// pointing at --help (exit 2), before it touches anything: the rule of tools/lib/cli.ts.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Io } from "../../../tools/lib/cli";
import { FakeDesignate, startFakeDesignate } from "../../harness/fake-designate";

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
    assert.match(r.err[0], /^edge: give a command \(status, switch, failback, apply, dns\)/);
    const d = await call("edge", ["dns"]);
    assert.equal(d.code, 2);
    assert.match(d.err[0], /^edge: give a dns command \(status, flip\); see/);
  });

  it("edge dns and its subcommands answer --help", async () => {
    for (const argv of [
      ["dns", "--help"],
      ["dns", "status", "--help"],
      ["dns", "flip", "--help"],
    ]) {
      const r = await call("edge", argv);
      assert.equal(r.code, 0, argv.join(" "));
      assert.match(r.out.join("\n"), /^Usage: edge dns/);
    }
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

describe("edge dns against the fake Designate", () => {
  const ZONE = "myalloc.projects.jetstream-cloud.org.";
  const dir = mkdtempSync(join(tmpdir(), "jsp-cli-dns-"));
  const outputs = join(dir, "outputs.json");
  let fake: FakeDesignate;
  const saved = { ...process.env };
  before(async () => {
    fake = await startFakeDesignate({
      credential: { id: "op-cred", secret: "op-secret-0123456789abc" },
      zones: [
        {
          name: ZONE,
          records: [
            { name: ZONE, ttl: 60, records: ["127.0.0.2"] },
            { name: `weather.${ZONE}`, ttl: 60, records: ["127.0.0.2"] },
            { name: `iu.${ZONE}`, ttl: 300, records: ["127.0.0.2"] },
            { name: `tacc.${ZONE}`, ttl: 300, records: ["127.0.0.3"] },
          ],
        },
      ],
    });
    // the records stack's dnsChecker output, as synth's outputs.json carries it; the edges'
    // addresses answer nothing (a closed port on loopback): both look "down"
    writeFileSync(
      outputs,
      JSON.stringify({
        outputs: {
          dnsChecker: {
            zone: ZONE,
            provider: "designate",
            publicNames: [ZONE, `weather.${ZONE}`],
            from: "iu",
            to: "tacc",
            addresses: { iu: "127.0.0.2", tacc: "127.0.0.3" },
            probe: { port: 9, path: "/.well-known/jsp-edge-ready" },
            policy: {
              intervalSeconds: 5,
              windowSeconds: 30,
              minSamples: 5,
              probeTimeoutMs: 500,
              maxTransitions: 4,
              flapLookbackSeconds: 300,
            },
            designate: { authUrl: fake.authUrl, region: "IU" },
          },
        },
      }),
    );
    process.env.OS_APPLICATION_CREDENTIAL_ID = "op-cred";
    process.env.OS_APPLICATION_CREDENTIAL_SECRET = "op-secret-0123456789abc";
    delete process.env.OS_AUTH_URL;
    delete process.env.OS_REGION_NAME;
  });
  after(async () => {
    process.env = saved;
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("checks --to, --yes and the credential before it connects anywhere", async () => {
    const requestsBefore = fake.requests.length;
    const bad = await call("edge", ["dns", "flip", "--to", "mars", "--outputs", outputs]);
    assert.equal(bad.code, 2);
    assert.match(bad.err[0], /^edge: --to mars: must be one of iu, tacc; see/);
    const noYes = await call("edge", ["dns", "flip", "--to", "tacc", "--outputs", "/nonexistent"]);
    assert.equal(noYes.code, 2);
    assert.match(noYes.err[0], /run again with --yes to do it/);
    delete process.env.OS_APPLICATION_CREDENTIAL_SECRET;
    const noCred = await call("edge", ["dns", "status", "--outputs", "/nonexistent"]);
    process.env.OS_APPLICATION_CREDENTIAL_SECRET = "op-secret-0123456789abc";
    assert.equal(noCred.code, 2);
    assert.match(noCred.err[0], /set OS_APPLICATION_CREDENTIAL_ID and OS_APPLICATION_CREDENTIAL_SECRET/);
    assert.equal(fake.requests.length, requestsBefore, "nothing was contacted");
  });

  it("status shows where each name points and each edge's health", async () => {
    const r = await call("edge", ["dns", "status", "--outputs", outputs]);
    assert.equal(r.code, 0, r.err.join("\n"));
    const lines = r.out.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(lines[0], { name: ZONE, records: ["127.0.0.2"], ttl: 60, site: "iu", public: true });
    assert.ok(lines.some((l) => l.site === "tacc" && l.edge === "down"));
    assert.deepEqual(lines[lines.length - 1], { publicNamesPointAt: "iu", primary: "iu", standby: "tacc" });
  });

  it("flip refuses an unhealthy target, and with --force moves every public name, only those", async () => {
    const refused = await call("edge", ["dns", "flip", "--to", "tacc", "--yes", "--outputs", outputs]);
    assert.equal(refused.code, 1);
    assert.match(refused.err[0], /^edge: tacc's edge is not healthy from here \(down\); refusing/);
    assert.equal(fake.changes.length, 0);
    const r = await call("edge", ["dns", "flip", "--to", "tacc", "--yes", "--force", "--outputs", outputs]);
    assert.equal(r.code, 0, r.err.join("\n"));
    assert.match(r.out[0], /^moved 2 name\(s\) to tacc \(127\.0\.0\.3\)/);
    assert.match(r.out[1], /up to 60 s/);
    assert.deepEqual(fake.records(ZONE), ["127.0.0.3"]);
    assert.deepEqual(fake.records(`iu.${ZONE}`), ["127.0.0.2"], "per-site names never move");
  });
});
