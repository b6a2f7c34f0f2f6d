// @internal The DNS checker as one file for the checker host (see src/bundle.ts).
import { join } from "node:path";
import { bundleProgram } from "../../src/bundle";

export function bundleChecker(): string {
  return bundleProgram(
    join(__dirname, "checker"),
    "jetstream-paas DNS checker (bundled; source: components/dns/checker)",
  );
}
