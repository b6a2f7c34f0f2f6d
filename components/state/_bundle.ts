// @internal Bundles the controller (controller/main.ts, or main.js when running from dist/)
// into one CommonJS file for Ubuntu's nodejs (18 on 24.04), so that cloud-init can ship it as
// a single write_files entry. esbuild's output is deterministic: same source, same bytes.
import { existsSync } from "node:fs";
import { join } from "node:path";

let cached: string | undefined;

/** Node version the bundle targets: Ubuntu 24.04's `nodejs` package is 18.19. */
export const CONTROLLER_NODE_TARGET = "node18";

export function bundleController(): string {
  if (cached !== undefined) return cached;
  const dir = join(__dirname, "controller");
  const entry = ["main.ts", "main.js"].map((f) => join(dir, f)).find((f) => existsSync(f));
  if (!entry) throw new Error(`failover controller source not found in ${dir}`);
  // esbuild comes with tsx; it is required lazily so that importing the component costs nothing.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require("esbuild") as typeof import("esbuild");
  const r = esbuild.buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    target: CONTROLLER_NODE_TARGET,
    format: "cjs",
    minify: true,
    write: false,
    legalComments: "none",
    logLevel: "silent",
    banner: {
      js: "#!/usr/bin/env node\n// jetstream-paas failover controller (bundled; source: components/state/controller)",
    },
  });
  cached = r.outputFiles[0].text;
  return cached;
}
