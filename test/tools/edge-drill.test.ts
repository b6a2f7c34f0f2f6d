// One short drill scenario in `npm test` (about 10 s): real HAProxy with the config the iu
// stack renders, simulated ingress nodes in network namespaces, one node refusing. The full
// drill (`npm run drill`) measures; this only proves the machinery and the behaviour.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { quickRefuse } from "../../tools/drill/edge";
import { cleanupAll } from "../../tools/drill/netns";
import { requireTools, runTool } from "../harness/tools";

const dir = mkdtempSync(join(tmpdir(), "jsp-drill-test-"));
after(() => {
  cleanupAll();
  rmSync(dir, { recursive: true, force: true });
});

describe("edge drill (short)", () => {
  before(() => requireTools(["haproxy", "ip", "iptables", "curl"]));

  it("detects a refusing ingress node and fails no request", { timeout: 60_000 }, async () => {
    const r = await quickRefuse({ log: () => undefined, workDir: dir });
    assert.ok(r.passed, JSON.stringify(r));
    assert.ok((r.requests as number) >= 300);
    const left = runTool("ip", ["netns", "list"]).output;
    assert.doesNotMatch(
      left,
      new RegExp(`jsp${(process.pid % 0xffff).toString(16).padStart(4, "0")}`),
      "namespaces removed",
    );
  });
});
