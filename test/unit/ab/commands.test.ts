// `npm run ab` under the synth runner: every command and every precondition, on stacks planned
// by the real synth into a temporary out/ root. Smoke checks go to an HTTP server on 127.0.0.1
// (--via) standing in for the pre-live frontend.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { main } from "../../../tools/ab";
import { SynthRunner } from "../../../tools/ab/synth-runner";
import { newLock, TAGS } from "../../../tools/ab/state";
import { runSynth } from "../../harness/synth";

let out: string;
let server: http.Server;
let via: string;
let answer = 200;

async function ab(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const o: string[] = [];
  const e: string[] = [];
  const code = await main([...argv, "--runner", "synth", "--synth-out", out], {
    out: (l) => o.push(l),
    err: (l) => e.push(l),
  });
  return { code, out: o, err: e };
}

const text = (r: { out: string[] }) => r.out.join("\n");
const siteTags = () =>
  existsSync(join(out, "ab", "tags", "iu.json"))
    ? JSON.parse(readFileSync(join(out, "ab", "tags", "iu.json"), "utf8"))
    : {};

describe("ab under the synth runner", { timeout: 240_000 }, () => {
  before(() => {
    out = mkdtempSync(join(tmpdir(), "jsp-ab-"));
    for (const s of ["iu", "paasA", "paasB"]) assert.equal(runSynth(s, out).status, 0, `synth ${s}`);
    server = http.createServer((req, res) => {
      res.writeHead(req.headers.host === "weather.myalloc.projects.jetstream-cloud.org" ? answer : 404);
      res.end("ok\n");
    });
    return new Promise<void>((r) =>
      server.listen(0, "127.0.0.1", () => {
        via = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
        r();
      }),
    );
  });
  after(() => {
    server.close();
    rmSync(out, { recursive: true, force: true });
  });

  it("status shows paasA live and paasB on pre-live, each with its version", async () => {
    const r = await ab("status");
    assert.equal(r.code, 0, r.err.join("\n"));
    assert.match(
      text(r),
      /site iu \(synth runner\): live paasA \(site config\), pre-live paasB, rollback to none/,
    );
    assert.match(
      text(r),
      /paasA {2}live {6}up, \d+ resources.*k8s 1\.35\.4; version plan-[0-9a-f]{12}; smoke: no smoke test/,
    );
    assert.match(text(r), /paasB {2}pre-live {2}up/);
  });

  it("refuses to switch to a slot without a passed smoke test, and changes nothing", async () => {
    const r = await ab("switch", "paasB");
    assert.equal(r.code, 1);
    assert.deepEqual(r.err, [
      "ab: switch paasB: refused, paasB has no passed smoke test (rule: switch only to a slot whose smoke test passed on its current version; run: npm run ab -- smoke paasB)",
    ]);
    assert.deepEqual(siteTags(), {});
    assert.ok(!existsSync(join(out, "ab", "stacks")), "no config overlay written");
  });

  it("refuses to retire, up or migrate into the live slot", async () => {
    const retire = await ab("retire", "paasA", "--yes");
    assert.equal(retire.code, 1);
    assert.match(
      retire.err[0],
      /^ab: retire paasA: refused, paasA is live \(rule: the live slot is never retired/,
    );
    const noYes = await ab("retire", "paasB");
    assert.equal(noYes.code, 2);
    const upLive = await ab("up", "paasA");
    assert.equal(upLive.code, 1);
    assert.match(upLive.err[0], /^ab: up paasA: refused, paasA is live \(rule: never up into the live slot/);
    const mig = await ab(
      "migrate",
      "--from",
      "paasB",
      "--to",
      "paasA",
      "--from-kubeconfig",
      "/nonexistent",
      "--to-kubeconfig",
      "/nonexistent",
    );
    assert.equal(mig.code, 1);
    assert.match(mig.err[0], /^ab: migrate paasA: refused, paasA is live/);
  });

  it("refuses a rollback when none is recorded, and smoke of a slot not on pre-live", async () => {
    const rb = await ab("rollback");
    assert.equal(rb.code, 1);
    assert.match(rb.err[0], /rollback: refused, no previous live slot is recorded/);
    const sm = await ab("smoke", "paasA", "--via", via);
    assert.equal(sm.code, 1);
    assert.match(sm.err[0], /smoke paasA: refused, paasA is not on pre-live \(pre-live is paasB\)/);
  });

  it("refuses every command while another operator holds the lock; status names the holder; unlock breaks it", async () => {
    const other = new SynthRunner("iu", out);
    const lock = { ...newLock("up-paasB"), holder: "alice@laptop" };
    assert.equal(await other.acquireLock(lock), undefined);
    for (const argv of [
      ["up", "paasB"],
      ["switch", "paasB"],
      ["smoke", "paasB", "--via", via],
      ["retire", "paasB", "--yes"],
      ["rollback"],
    ]) {
      const r = await ab(...argv);
      assert.equal(r.code, 1, argv.join(" "));
      assert.match(
        r.err[0],
        /refused, alice@laptop holds the A\/B lock for "up-paasB" since .* \(rule: one A\/B operation per site at a time/,
        argv.join(" "),
      );
    }
    assert.match(text(await ab("status")), /lock: held by alice@laptop for up-paasB/);
    assert.equal((await ab("unlock")).code, 2, "unlock needs --yes");
    const u = await ab("unlock", "--yes");
    assert.match(text(u), /broke the lock alice@laptop held/);
    assert.match(text(await ab("status")), /lock: free/);
  });

  it("a failed smoke test is recorded and keeps the switch refused", async () => {
    answer = 503;
    const r = await ab("smoke", "paasB", "--via", via);
    answer = 200;
    assert.equal(r.code, 1);
    assert.match(text(r), /weather-frontend .* 0\/50 .* FAILED HTTP 503 \(expected 200\)/);
    const sw = await ab("switch", "paasB");
    assert.match(sw.err[0], /paasB's last smoke test failed/);
  });

  it("smoke through pre-live, switch, rollback, switch again: live and the site's plan follow", async () => {
    const sm = await ab("smoke", "paasB", "--via", via);
    assert.equal(sm.code, 0, sm.err.join("\n"));
    assert.match(
      text(sm),
      /weather-frontend +weather\.myalloc\.projects\.jetstream-cloud\.org +\/healthz +50\/50 .* passed/,
    );
    assert.match(text(sm), /smoke paasB: PASSED on version plan-/);
    const tags = JSON.parse(readFileSync(join(out, "ab", "tags", "paasB.json"), "utf8")) as Record<
      string,
      string
    >;
    assert.match(tags[TAGS.smoke], /^passed plan-[0-9a-f]{12} \S+ 1\/1_checks$/);

    const sw = await ab("switch", "paasB");
    assert.equal(sw.code, 0, sw.err.join("\n"));
    assert.match(text(sw), /\[1\/3\] edge: live paasA -> paasB/);
    assert.match(text(sw), /no runtime connection \(synth runner without --socket\)/);
    assert.match(
      readFileSync(join(out, "ab", "stacks", "Pulumi.iu.yaml"), "utf8"),
      /live: paasB\n\s+prelive: paasA/,
    );
    assert.equal(
      readFileSync(join(out, "iu", "haproxy", "jsp-slots.map"), "utf8"),
      "live paasB\nprelive paasA\n",
    );
    assert.match(
      text(await ab("status")),
      /live paasB \(recorded by ab switch\), pre-live paasA, rollback to paasA/,
    );

    const rb = await ab("rollback");
    assert.equal(rb.code, 0, rb.err.join("\n"));
    assert.equal(
      readFileSync(join(out, "iu", "haproxy", "jsp-slots.map"), "utf8"),
      "live paasA\nprelive paasB\n",
    );
    const again = await ab("switch", "paasB");
    assert.equal(again.code, 0, "the smoke test still holds: paasB did not change");
    assert.match(text(await ab("status")), /live paasB .* rollback to paasA/);
  });

  it("retire waits for the soak time, then destroys the old slot; rollback to it is then refused", async () => {
    const early = await ab("retire", "paasA", "--yes");
    assert.equal(early.code, 1);
    assert.match(
      early.err[0],
      /retire paasA: refused, paasA stopped being live \d+ min ago; it soaks 1440 min/,
    );
    await new SynthRunner("iu", out).setTags("paasA", { [TAGS.leftLive]: "2020-01-01T00:00:00.000Z" });
    const r = await ab("retire", "paasA", "--yes");
    assert.equal(r.code, 0, r.err.join("\n"));
    assert.ok(!existsSync(join(out, "paasA", "plan.json")));
    assert.match(text(await ab("status")), /paasA {2}idle {6}not up/);
    const rb = await ab("rollback");
    assert.equal(rb.code, 1);
    assert.match(rb.err[0], /no previous live slot is recorded|is gone/);
  });

  it("a slot that changed since its smoke test may not be switched to", async () => {
    // paasA comes back; the smoke result on record was made on another version of it
    const up = await ab("up", "paasA");
    assert.equal(up.code, 0, up.err.join("\n"));
    await new SynthRunner("iu", out).setTags("paasA", {
      [TAGS.smoke]: "passed plan-000000000000 2026-01-01T00:00:00Z 1/1_checks",
    });
    const sw = await ab("switch", "paasA");
    assert.equal(sw.code, 1);
    assert.match(
      sw.err[0],
      /paasA changed since its smoke test \(passed on plan-000000000000, now plan-[0-9a-f]{12}\)/,
    );
  });

  it("of two operators starting at once, the second is refused", async () => {
    const [a, b] = await Promise.all([
      ab("smoke", "paasA", "--via", via),
      ab("smoke", "paasA", "--via", via),
    ]);
    const codes = [a.code, b.code].sort();
    assert.deepEqual(codes, [0, 1], `${a.err.join(" ")} | ${b.err.join(" ")}`);
    assert.match([...a.err, ...b.err].join("\n"), /holds the A\/B lock for "smoke-paasA"/);
  });
});
