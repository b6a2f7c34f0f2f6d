// npx tsx tools/validate-k8s.ts [DIR ...]   (default: out/*/k8s)
// Validates every manifest synth wrote (k8s/<component>.yaml) with the same validators the
// tests use, and the gateway chart values against the chart's values.schema.json. Prints one
// line per file and the totals (objects checked / invalid); exit 1 if anything is invalid.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parse } from "yaml";
import {
  gatewayValuesValidator,
  loadValidators,
  readManifests,
  validateObjects,
} from "../test/harness/k8s-validate";

async function main(): Promise<number> {
  const root = resolve(__dirname, "..");
  const outDir = join(root, "out");
  const dirs = process.argv.slice(2).length
    ? process.argv.slice(2).map((d) => resolve(d))
    : existsSync(outDir)
      ? readdirSync(outDir)
          .map((s) => join(outDir, s, "k8s"))
          .filter((d) => existsSync(d))
      : [];
  if (dirs.length === 0) {
    console.error("no k8s/ directory: run npm run synth -- <stack> first");
    return 1;
  }
  const validators = await loadValidators();
  const gateway = gatewayValuesValidator();
  let checked = 0;
  let invalid = 0;
  for (const dir of dirs) {
    for (const f of readdirSync(dir)
      .filter((x) => x.endsWith(".yaml"))
      .sort()) {
      const res = validateObjects(validators, readManifests(join(dir, f)));
      checked += res.checked;
      invalid += res.invalid.length;
      console.log(
        `${relative(root, join(dir, f))}: ${res.checked} objects, ${res.invalid.length} invalid ${JSON.stringify(res.byKind)}`,
      );
      for (const i of res.invalid) console.log(`  INVALID ${i.id}: ${i.error}`);
    }
    const gw = join(dir, "helm", "istio-ingressgateway.values.yaml");
    if (existsSync(gw)) {
      const err = gateway(parse(readFileSync(gw, "utf8")));
      checked += 1;
      if (err) invalid += 1;
      console.log(
        `${relative(root, gw)}: gateway chart values.schema.json ${err ? `INVALID ${err}` : "valid"}`,
      );
    }
  }
  console.log(`total: ${checked} checked, ${invalid} invalid`);
  return invalid === 0 ? 0 : 1;
}

main().then((code) => process.exit(code));
