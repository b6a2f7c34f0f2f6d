// `npm run docs` (TypeDoc, pinned in package.json) builds the API reference from the TSDoc of
// the package entry (index.ts) without a warning: a broken {@link} or a comment TypeDoc cannot
// read fails here. About 15 s on 2 cores, so it runs in npm test (docs/semver.md).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ROOT } from "../harness/synth";

const out = mkdtempSync(join(tmpdir(), "jsp-docs-"));
after(() => rmSync(out, { recursive: true, force: true }));

describe("API reference", () => {
  it("TypeDoc renders every exported component, with no warning", () => {
    const typedoc = join(ROOT, "node_modules", "typedoc", "bin", "typedoc");
    const r = spawnSync(process.execPath, [typedoc, "--out", out, "--treatWarningsAsErrors"], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 180_000,
    });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
    for (const cls of ["SiteNetwork", "KubesprayCluster", "IstioMesh", "EdgeProxy", "JenkinsHost"]) {
      const page = join(out, "classes", `${cls}.html`);
      assert.ok(existsSync(page), `${cls} has a page`);
    }
    // the TSDoc of an args field reaches the page (what a consumer's hover shows too)
    assert.match(readFileSync(join(out, "classes", "EdgeProxy.html"), "utf8"), /VIP on the site subnet/);
  });
});
