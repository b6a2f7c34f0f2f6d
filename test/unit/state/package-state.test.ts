// The built package (dist/, written by `npm run build` before the tests) exports the state
// components, and the controller bundles from the compiled JavaScript as well as from source.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ROOT } from "../../harness/synth";

describe("package exports: state", () => {
  it("exports PostgresPrimary, PostgresReplica, controllerCloudFiles and the controller library", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const lib = require(join(ROOT, "dist", "index.js")) as Record<string, unknown>;
    for (const name of [
      "PostgresPrimary",
      "PostgresReplica",
      "controllerCloudFiles",
      "renderPostgresqlConf",
      "renderPgHba",
    ]) {
      assert.equal(typeof lib[name], "function", name);
    }
    const ctl = lib.failoverController as Record<string, unknown>;
    assert.equal(typeof ctl.decide, "function");
  });

  it("bundles the controller from dist/ (main.js) into one runnable file", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const b = require(join(ROOT, "dist", "components", "state", "_bundle.js")) as {
      bundleController(): string;
    };
    const text = b.bundleController();
    assert.match(text, /^#!\/usr\/bin\/env node/);
    assert.ok(text.length < 64 * 1024, `bundle is ${text.length} bytes`);
    assert.doesNotMatch(text, /require\("\.\/|require\("\.\.\//, "no relative requires left");
  });
});
