// Applying a migration plan to the target cluster: server-side apply under the project's
// field manager, one dependency wave at a time (CRDs and their Established condition before
// any custom resource), objects of a wave in parallel. A second run changes nothing. With
// dryRun the server computes each result (dryRun=All) and we print what would change as a diff.
import { createTwoFilesPatch } from "diff";
import { toYaml } from "../../../src/yaml";
import { KubeClient, MIGRATE_FIELD_MANAGER, statusMessage } from "../../app/kube";
import { idOf, isObj, KObj } from "./objects";
import { applyWaves } from "./order";
import { discoverKinds, mapLimit, objectPath, type ApiKind } from "./source";

export interface ApplyPlanOptions {
  dryRun: boolean;
  /** take over fields another manager owns instead of stopping at the conflict */
  forceConflicts: boolean;
  concurrency: number;
  /** how long to wait for a CRD to be Established */
  crdTimeoutMs: number;
  log: (line: string) => void;
  fieldManager?: string;
}

export interface ApplyReport {
  created: string[];
  updated: string[];
  unchanged: string[];
  conflicts: Array<{ id: string; message: string }>;
  failed: Array<{ id: string; message: string }>;
  /** unified diff of every object that would change (dry run) */
  diff: string;
}

const SERVER_FIELDS = [
  "managedFields",
  "resourceVersion",
  "uid",
  "creationTimestamp",
  "generation",
  "selfLink",
];

/** What an object says, without what the server keeps about it (for diffs). */
function comparable(o: Record<string, unknown> | undefined): string {
  if (!o) return "";
  const c = structuredClone(o);
  delete c.status;
  if (isObj(c.metadata)) for (const k of SERVER_FIELDS) delete c.metadata[k];
  return toYaml(c);
}

async function waitEstablished(client: KubeClient, name: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  const path = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`;
  while (Date.now() < end) {
    const crd = await client.get<{ status?: { conditions?: Array<{ type: string; status: string }> } }>(path);
    if (crd?.status?.conditions?.some((c) => c.type === "Established" && c.status === "True")) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    `CRD ${name} is not Established after ${Math.round(timeoutMs / 1000)} s; its custom resources were not applied`,
  );
}

async function applyOne(
  client: KubeClient,
  kinds: readonly ApiKind[],
  o: KObj,
  opts: ApplyPlanOptions,
  report: ApplyReport,
  crdKinds: ReadonlySet<string>,
): Promise<void> {
  const id = idOf(o);
  const path = objectPath(kinds, o);
  if (!path && opts.dryRun && crdKinds.has(`${o.apiVersion}/${o.kind}`)) {
    report.created.push(id); // its CRD is in the plan: served once the CRD is applied
    return;
  }
  if (!path) {
    report.failed.push({ id, message: `the target serves no ${o.apiVersion}/${o.kind}` });
    return;
  }
  const before = await client.get<Record<string, unknown>>(path);
  const r = await client.serverSideApply<Record<string, unknown>>(path, o, {
    fieldManager: opts.fieldManager ?? MIGRATE_FIELD_MANAGER,
    force: opts.forceConflicts,
    dryRun: opts.dryRun,
  });
  if (r.status === 409) {
    report.conflicts.push({ id, message: statusMessage(r.body) });
    return;
  }
  if (r.status < 200 || r.status >= 300) {
    report.failed.push({ id, message: `HTTP ${r.status} ${statusMessage(r.body)}` });
    return;
  }
  const a = comparable(before);
  const b = comparable(r.body);
  if (!before) report.created.push(id);
  else if (
    a === b &&
    (before.metadata as { resourceVersion?: string }).resourceVersion ===
      (r.body.metadata as { resourceVersion?: string }).resourceVersion
  ) {
    report.unchanged.push(id);
  } else report.updated.push(id);
  if (opts.dryRun && a !== b)
    report.diff += createTwoFilesPatch(`target/${id}`, `migrated/${id}`, a, b, undefined, undefined, {
      context: 3,
    });
}

/** Applies (or dry-runs) objects wave by wave; never throws for one object, reports it instead. */
export async function applyPlan(
  client: KubeClient,
  objects: readonly KObj[],
  opts: ApplyPlanOptions,
): Promise<ApplyReport> {
  const report: ApplyReport = {
    created: [],
    updated: [],
    unchanged: [],
    conflicts: [],
    failed: [],
    diff: "",
  };
  let kinds = await discoverKinds(client);
  let done = 0;
  const crdKinds = new Set(
    objects
      .filter((o) => o.kind === "CustomResourceDefinition")
      .flatMap((o) => {
        const spec = o.spec as {
          group?: string;
          names?: { kind?: string };
          versions?: Array<{ name: string }>;
        };
        return (spec.versions ?? []).map((v) => `${spec.group}/${v.name}/${spec.names?.kind}`);
      }),
  );
  for (const wave of applyWaves(objects)) {
    if (!opts.dryRun && (report.failed.length > 0 || report.conflicts.length > 0)) {
      opts.log(`  stop before ${wave.name}: an earlier wave had conflicts or failures`);
      for (const o of wave.objects)
        report.failed.push({ id: idOf(o), message: "not applied: an earlier wave failed" });
      continue;
    }
    opts.log(`  ${wave.name}: ${wave.objects.length} object(s)`);
    await mapLimit(wave.objects, opts.concurrency, async (o) => {
      await applyOne(client, kinds, o, opts, report, crdKinds);
      done += 1;
      if (done % 200 === 0) opts.log(`    ${done}/${objects.length} applied`);
    });
    if (wave.rank === 0 && !opts.dryRun) {
      for (const crd of wave.objects) await waitEstablished(client, crd.metadata.name!, opts.crdTimeoutMs);
      kinds = await discoverKinds(client); // the new kinds are served from now on
    }
  }
  return report;
}
