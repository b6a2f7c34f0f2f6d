// Bundles a small Node program of ours (its main.ts, or main.js when running from dist/) into
// one CommonJS file for the Node of Ubuntu 24.04's `nodejs` package (18.19), so cloud-init can
// ship it as one write_files entry. esbuild's output is deterministic: same source, same bytes.
import { existsSync } from "node:fs";
import { join } from "node:path";

/** Node version the bundles target: Ubuntu 24.04's `nodejs` package is 18.19. */
export const BUNDLE_NODE_TARGET = "node18";

const cache = new Map<string, string>();

export function bundleProgram(dir: string, banner: string): string {
  const hit = cache.get(dir);
  if (hit !== undefined) return hit;
  const entry = ["main.ts", "main.js"].map((f) => join(dir, f)).find((f) => existsSync(f));
  if (!entry) throw new Error(`no main.ts or main.js in ${dir}`);
  // esbuild comes with tsx; required lazily so that importing a component costs nothing.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require("esbuild") as typeof import("esbuild");
  const r = esbuild.buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    target: BUNDLE_NODE_TARGET,
    format: "cjs",
    minify: true,
    write: false,
    legalComments: "none",
    logLevel: "silent",
    banner: { js: `#!/usr/bin/env node\n// ${banner}` },
  });
  const text = r.outputFiles[0].text;
  cache.set(dir, text);
  return text;
}
