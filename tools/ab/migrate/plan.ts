// The migration plan: from the objects read off the source (API or files) to what the target
// gets, in apply order, plus every dropped object with its reason and the warnings an operator
// must read (stateful workloads). Pure, apart from validation, which loads schemas.
import type { ObjectValidator } from "../../lib/k8s-validate";
import { groupKind, groupOf, idOf, KObj } from "./objects";
import { sortForApply } from "./order";
import { claimsOf, dropReason, indexInput, MigrateScope, selected } from "./rules";
import { stripObject } from "./strip";

export interface Skipped {
  id: string;
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  reason: string;
}

export interface MigrationPlan {
  /** stripped objects in apply order */
  apply: KObj[];
  skipped: Skipped[];
  /** lines an operator must read (stateful workloads, Helm releases the target will not know) */
  warnings: string[];
  /** objects read from the source (after duplicates were merged) */
  read: number;
}

function skip(o: KObj, reason: string): Skipped {
  return {
    id: idOf(o),
    apiVersion: o.apiVersion,
    kind: o.kind,
    namespace: o.metadata.namespace,
    name: o.metadata.name ?? "?",
    reason,
  };
}

function resourceVersion(o: KObj): number {
  const n = Number(o.metadata.resourceVersion);
  return Number.isFinite(n) ? n : -1;
}

/** One copy per object: the newest resourceVersion, else the last one read (a watch dump repeats objects). */
export function dedupe(objects: readonly KObj[]): { unique: KObj[]; duplicates: Skipped[] } {
  const byId = new Map<string, KObj>();
  const duplicates: Skipped[] = [];
  for (const o of objects) {
    const id = idOf(o);
    const prev = byId.get(id);
    if (prev && resourceVersion(prev) > resourceVersion(o)) {
      duplicates.push(skip(o, "duplicate: a newer copy of the same object is in the input"));
      continue;
    }
    if (prev) duplicates.push(skip(prev, "duplicate: a newer copy of the same object is in the input"));
    byId.set(id, o);
  }
  return { unique: [...byId.values()], duplicates };
}

const isNamespace = (o: KObj) => o.kind === "Namespace" && groupOf(o) === "";
const isCrd = (o: KObj) => groupKind(o) === "CustomResourceDefinition.apiextensions.k8s.io";

/** Namespaces and CRDs follow what they hold: kept when a selected object needs them. */
function neededBySelection(kept: readonly KObj[], o: KObj): boolean {
  if (isNamespace(o)) return kept.some((k) => k.metadata.namespace === o.metadata.name);
  if (isCrd(o)) {
    const spec = o.spec as { group?: string; names?: { kind?: string } } | undefined;
    return kept.some((k) => groupOf(k) === spec?.group && k.kind === spec?.names?.kind);
  }
  return false;
}

function statefulWarning(o: KObj, claims: string[]): string {
  return `${idOf(o)} mounts PersistentVolumeClaim ${claims.join(", ")}: not copied; move its data first (Velero, docs/ab-upgrade.md#stateful-data) and apply it by hand`;
}

function helmWarning(o: KObj): string | undefined {
  const release = o.metadata.annotations?.["meta.helm.sh/release-name"];
  return release
    ? `${idOf(o)} belongs to Helm release ${release}: copied, but Helm on the target will not know it; reinstall the release there with helm instead`
    : undefined;
}

export function planMigration(input: readonly KObj[], scope: MigrateScope): MigrationPlan {
  const { unique, duplicates } = dedupe(input);
  const index = indexInput(unique);
  const skipped: Skipped[] = [...duplicates];
  const warnings: string[] = [];
  const candidates: KObj[] = [];
  for (const o of unique) {
    const why = dropReason(o, index, scope);
    if (why) {
      skipped.push(skip(o, why));
      continue;
    }
    const claims = claimsOf(o);
    if (claims.length > 0) {
      skipped.push(
        skip(
          o,
          `bound to PersistentVolumeClaim ${claims.join(", ")}: stateful data is not migrated (docs/ab-upgrade.md#stateful-data)`,
        ),
      );
      warnings.push(statefulWarning(o, claims));
      continue;
    }
    candidates.push(o);
  }
  const chosen = candidates.filter((o) => !isNamespace(o) && !isCrd(o) && selected(o, scope));
  for (const o of candidates) {
    if (isNamespace(o) || isCrd(o)) {
      if (scope.selector === undefined || selected(o, scope) || neededBySelection(chosen, o)) chosen.push(o);
      else skipped.push(skip(o, "does not match --selector and holds no selected object"));
    } else if (!selected(o, scope)) skipped.push(skip(o, "does not match --selector"));
  }
  for (const o of chosen) {
    const w = helmWarning(o);
    if (w) warnings.push(w);
  }
  return {
    apply: sortForApply(chosen.map(stripObject)),
    skipped: skipped.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    warnings: warnings.sort(),
    read: unique.length,
  };
}

/**
 * Validates every object the plan would write or apply. Invalid ones move to `skipped` with the
 * error; the caller refuses to apply anything when there is one. CRDs in the plan lend their
 * schemas to their custom resources.
 */
export async function validatePlan(plan: MigrationPlan, validator: ObjectValidator): Promise<Skipped[]> {
  validator.addCrds(plan.apply.filter(isCrd));
  const invalid: Skipped[] = [];
  const valid: KObj[] = [];
  for (const o of plan.apply) {
    const error = await validator.validate(o);
    if (error) invalid.push(skip(o, `invalid: ${error}`));
    else valid.push(o);
  }
  plan.apply = valid;
  plan.skipped.push(...invalid);
  return invalid;
}
