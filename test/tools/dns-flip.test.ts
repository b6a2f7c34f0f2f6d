// The DNS checker end to end, short (about 20 s): the bundled checker on a "witness"
// namespace probes two edges running the HAProxy configs the stacks render, and moves the
// public names in the fake Designate when IU's edge is lost; cut off from both sites itself,
// it moves nothing; nothing moves back when IU returns. The evidence window is scaled down
// here (3 s); the drill (`npm run drill -- --scenario dns-flip`) runs the stack's own.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runDnsFlip } from "../../tools/drill/dns-flip";
import { cleanupAll } from "../../tools/drill/netns";
import { requireTools } from "../harness/tools";

const dir = mkdtempSync(join(tmpdir(), "jsp-dns-test-"));
after(() => {
  cleanupAll();
  rmSync(dir, { recursive: true, force: true });
});

describe("dns checker (short drill)", () => {
  before(() => requireTools(["haproxy", "ip", "iptables", "curl", "openssl"]));

  it(
    "moves the names when IU's edge is lost, never when the checker is cut off, never back",
    { timeout: 120_000 },
    async () => {
      const r = await runDnsFlip(
        { log: () => undefined, workDir: dir },
        {
          intervalSeconds: 0.5,
          windowSeconds: 3,
          minSamples: 4,
          probeTimeoutMs: 300,
          maxTransitions: 4,
          flapLookbackSeconds: 30,
        },
        "dns-flip-short",
        ["checker-cut-off"],
      );
      assert.ok(r.passed, JSON.stringify(r, null, 1));
      // not before a whole window (3 s) of evidence: the last healthy probe may end just before the loss
      assert.ok((r.recordChangeSeconds as number) >= 2.7, JSON.stringify(r));
      assert.equal(r.movedBackAfterIuReturned, 0);
    },
  );
});
