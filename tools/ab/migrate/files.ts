// File mode of the migration: what would be applied, one YAML file per object under
// <out>/<namespace or _cluster>/, and <out>/skipped.json with every dropped object and why.
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { toYaml } from "../../../src/yaml";
import { Refusal } from "../../lib/cli";
import { groupOf, KObj } from "./objects";
import type { MigrationPlan } from "./plan";

/** `<ns or _cluster>/<kind>[.<group>]-<name>.yaml`: unique per object (a kind has no hyphen). */
export function objectFile(o: KObj): string {
  const g = groupOf(o);
  const kind = `${o.kind.toLowerCase()}${g ? `.${g}` : ""}`;
  const name = (o.metadata.name ?? "unnamed").replace(/[^A-Za-z0-9._-]/g, "_");
  return join(o.metadata.namespace || "_cluster", `${kind}-${name}.yaml`);
}

/**
 * Makes `out` ready: a new or empty folder, or one an earlier `migrate --out` wrote (it has a
 * skipped.json), which is emptied so no stale object stays behind. Anything else is refused.
 */
export function prepareOutDir(out: string): void {
  if (existsSync(out) && readdirSync(out).length > 0) {
    if (!existsSync(join(out, "skipped.json"))) {
      throw new Refusal(
        `--out ${out}: not empty and not an earlier migrate output (no skipped.json); choose a new folder`,
      );
    }
    rmSync(out, { recursive: true, force: true });
  }
  mkdirSync(out, { recursive: true });
}

/** Writes the plan; returns the files written (relative to `out`), in apply order. */
export function writePlan(out: string, plan: MigrationPlan): string[] {
  prepareOutDir(out);
  const files: string[] = [];
  for (const o of plan.apply) {
    const rel = objectFile(o);
    mkdirSync(join(out, rel, ".."), { recursive: true });
    writeFileSync(join(out, rel), toYaml(o));
    files.push(rel);
  }
  writeFileSync(join(out, "order.txt"), files.map((f) => `${f}\n`).join(""));
  writeFileSync(join(out, "skipped.json"), `${JSON.stringify(plan.skipped, null, 2)}\n`);
  return files;
}
