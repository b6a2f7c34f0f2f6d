// Another program imports the components by package name, with types (package.json exports).
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ROOT } from "../harness/synth";

describe("package exports", () => {
  it("resolves jetstream-paas to the built entry with its declarations", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      name: string;
      exports: Record<string, { types: string; default: string }>;
    };
    assert.equal(pkg.name, "jetstream-paas");
    const entry = require.resolve("jetstream-paas", { paths: [ROOT] });
    assert.equal(entry, join(ROOT, pkg.exports["."].default));
    assert.ok(existsSync(join(ROOT, pkg.exports["."].types)), "npm run build wrote the declarations");
    const dts = readFileSync(join(ROOT, pkg.exports["."].types), "utf8");
    assert.match(dts, /components\/network/);
  });

  it("exports every component class and the config loader", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const lib = require(join(ROOT, "dist", "index.js")) as Record<string, unknown>;
    for (const name of [
      "SiteNetwork",
      "KubesprayCluster",
      "IstioMesh",
      "Observability",
      "Flagger",
      "EdgeProxy",
      "DnsRecords",
      "DnsChecker",
      "PostgresPrimary",
      "PostgresReplica",
      "JenkinsHost",
      "BlueGreenService",
      "loadStackConfig",
      "parseStackConfig",
      "ConfigError",
      "planSecurityRules",
    ]) {
      assert.equal(typeof lib[name], "function", name);
    }
  });
});
