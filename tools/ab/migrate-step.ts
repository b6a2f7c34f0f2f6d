// `ab migrate`: read the live slot's objects (API, or kubectl dumps in file mode), drop what
// the new cluster makes or its own stack manages, strip server-set fields, validate every
// object, then apply them to the target slot with server-side apply (or print the diff, or
// write them to files). tools/ab/migrate/ holds the pure pieces.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PLATFORM_NAMESPACES } from "../../components/config";
import { KubeClient, parseKubeconfig } from "../app/kube";
import { Refusal, UsageError } from "../lib/cli";
import { ObjectValidator } from "../lib/k8s-validate";
import { applyPlan, ApplyReport } from "./migrate/apply";
import { writePlan } from "./migrate/files";
import { KObj, readObjectFiles } from "./migrate/objects";
import { MigrationPlan, planMigration, validatePlan } from "./migrate/plan";
import { migrationPlatformNamespaces, MigrateScope, PLATFORM_CRD_GROUPS } from "./migrate/rules";
import { parseSelector } from "./migrate/selector";
import { readSource } from "./migrate/source";
import { AbContext, loadState, stepper } from "./steps";
import { newLock, refuseIfLocked, refuseLiveTarget } from "./state";

export interface MigrateOptions {
  from?: string;
  to?: string;
  namespace?: string[];
  selector?: string;
  dryRun: boolean;
  fromFile?: string;
  out?: string;
  fromKubeconfig?: string;
  toKubeconfig?: string;
  forceConflicts: boolean;
}

/** Usage checks that need no stack: run before anything is read. */
export function checkMigrateArgs(o: MigrateOptions, slots: readonly string[]): void {
  if (o.selector !== undefined) parseSelector(o.selector);
  for (const [flag, v] of [
    ["--from", o.from],
    ["--to", o.to],
  ] as const) {
    if (v !== undefined && !slots.includes(v))
      throw new UsageError(`${flag} ${v}: not a slot of this site (its edge.slots: ${slots.join(", ")})`);
  }
  if (o.fromFile) {
    if (!o.out)
      throw new UsageError(
        "--from-file needs --out DIR (file mode writes what it would apply; it contacts no cluster)",
      );
    if (o.dryRun) throw new UsageError("--dry-run goes with a target cluster, not with --from-file");
    if (o.fromKubeconfig) throw new UsageError("--from-file and --from-kubeconfig are two sources: give one");
    return;
  }
  if (o.out) throw new UsageError("--out goes with --from-file");
  if (!o.from || !o.to) throw new UsageError("give --from SLOT --to SLOT (or --from-file FILE --out DIR)");
  if (o.from === o.to) throw new UsageError("--from and --to must be different slots");
}

function topReasons(plan: MigrationPlan): string[] {
  const counts = new Map<string, number>();
  for (const s of plan.skipped) {
    const key = s.reason
      .replace(/ [A-Za-z]+ \S+: its controller/, " <owner>: its controller")
      .replace(/namespace [a-z0-9-]+(:| not)/, "namespace <ns>$1")
      .slice(0, 90);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${String(n).padStart(5)}  ${r}`);
}

async function scopeFor(ctx: AbContext, o: MigrateOptions): Promise<MigrateScope> {
  const { config, state } = await loadState(ctx.runner);
  // file mode without --to: the slot a migration would go to (pre-live, else the other one)
  const to = o.to ?? state.prelive ?? Object.keys(config.edge!.slots).find((s) => s !== state.live);
  if (!o.to && to) ctx.io.out(`    target slot ${to} (pre-live): what its stack declares is dropped`);
  const managed = to
    ? await ctx.runner.targetManaged(to)
    : { ids: new Set<string>(), releases: new Set<string>() };
  return {
    namespaces: o.namespace,
    platformNamespaces: migrationPlatformNamespaces(PLATFORM_NAMESPACES),
    clusterKinds: config.ab.migrate.clusterKinds,
    selector: o.selector ? parseSelector(o.selector) : undefined,
    targetOwned: managed.ids,
    targetReleases: managed.releases,
    platformCrdGroups: [...PLATFORM_CRD_GROUPS],
  };
}

function printPlan(ctx: AbContext, plan: MigrationPlan): void {
  ctx.io.out(
    `    read ${plan.read} object(s): ${plan.apply.length} to migrate, ${plan.skipped.length} dropped`,
  );
  for (const line of topReasons(plan).slice(0, 12)) ctx.io.out(`    ${line}`);
  for (const w of plan.warnings) ctx.io.out(`    WARNING: ${w}`);
}

async function validated(ctx: AbContext, plan: MigrationPlan): Promise<void> {
  const invalid = await validatePlan(plan, new ObjectValidator());
  for (const i of invalid.slice(0, 10)) ctx.io.out(`    invalid: ${i.id}: ${i.reason.slice(9, 200)}`);
  ctx.io.out(`    ${plan.apply.length} valid, ${invalid.length} invalid`);
}

async function fileMode(ctx: AbContext, o: MigrateOptions): Promise<void> {
  const step = stepper(ctx.io, 4);
  let objects: KObj[] = [];
  let plan: MigrationPlan | undefined;
  await step(`read ${o.fromFile} (kubectl get -o yaml|json; no cluster is contacted)`, async () => {
    try {
      objects = readObjectFiles(o.fromFile!);
    } catch (err) {
      throw new Refusal(`migrate: ${(err as Error).message}`);
    }
  });
  await step(
    "drop what a new cluster makes itself or its own stack manages; strip server-set fields",
    async () => {
      plan = planMigration(objects, await scopeFor(ctx, o));
      printPlan(ctx, plan);
    },
  );
  await step("validate every object (kubernetes-models, Istio models, Flagger and other CRD schemas)", () =>
    validated(ctx, plan!),
  );
  let files: string[] = [];
  await step(`write ${o.out}`, async () => {
    files = writePlan(o.out!, plan!);
  });
  ctx.io.out("");
  ctx.io.out("summary:");
  ctx.io.out(
    `  ${files.length} object file(s) under ${o.out}/<namespace or _cluster>/ (apply order in order.txt)`,
  );
  ctx.io.out(`  ${plan!.skipped.length} dropped, each with its reason, in ${join(o.out!, "skipped.json")}`);
  const invalid = plan!.skipped.filter((s) => s.reason.startsWith("invalid: "));
  if (invalid.length > 0)
    throw new Refusal(
      `migrate: ${invalid.length} object(s) failed validation and were not written (see skipped.json)`,
    );
}

function clientFor(
  ctx: AbContext,
  file: string | undefined,
  fromStack: Promise<string | undefined>,
  which: string,
): Promise<KubeClient> {
  return (async () => {
    const text = file ? readFileSync(file, "utf8") : await fromStack;
    if (!text) {
      throw new Refusal(
        `migrate: no kubeconfig for the ${which} slot (${ctx.runner.kind === "synth" ? "a planned slot has no API server: use --from-file FILE --out DIR, or --from-kubeconfig/--to-kubeconfig" : "its stack exports no kubeconfig; is it up?"})`,
      );
    }
    return new KubeClient(parseKubeconfig(text));
  })();
}

function printApply(ctx: AbContext, r: ApplyReport, dryRun: boolean): void {
  const verb = dryRun ? "would be " : "";
  ctx.io.out(
    `    ${r.created.length} ${verb}created, ${r.updated.length} ${verb}changed, ${r.unchanged.length} unchanged`,
  );
  for (const c of r.conflicts) ctx.io.out(`    CONFLICT ${c.id}: ${c.message}`);
  for (const f of r.failed.slice(0, 20)) ctx.io.out(`    FAILED ${f.id}: ${f.message}`);
  if (dryRun && r.diff) {
    ctx.io.out("");
    for (const line of r.diff.trimEnd().split("\n")) ctx.io.out(line);
  }
}

async function apiMode(ctx: AbContext, o: MigrateOptions): Promise<void> {
  const { config, state } = await loadState(ctx.runner);
  refuseIfLocked(state.lock, `migrate --to ${o.to}`, ctx.now?.());
  refuseLiveTarget("migrate", o.to!, state);
  const source = await clientFor(ctx, o.fromKubeconfig, ctx.runner.kubeconfig(o.from!), `source (${o.from})`);
  const target = await clientFor(ctx, o.toKubeconfig, ctx.runner.kubeconfig(o.to!), `target (${o.to})`);
  const lock = newLock(`migrate-${o.to}`, ctx.now?.());
  const held = await ctx.runner.acquireLock(lock);
  if (held) refuseIfLocked(held, `migrate --to ${o.to}`, ctx.now?.());
  let report: ApplyReport | undefined;
  let plan: MigrationPlan | undefined;
  try {
    const step = stepper(ctx.io, 4);
    let objects: KObj[] = [];
    await step(`read ${o.from} through its API (discovery, preferred versions, list)`, async () => {
      const scope = await scopeFor(ctx, o);
      const read = await readSource(source, scope, config.ab.migrate.concurrency);
      objects = read.objects;
      ctx.io.out(
        `    ${read.namespaces.length} namespace(s), ${read.kinds.length} kinds served; not read (never migrated): ${read.notRead.join(", ") || "none"}`,
      );
      plan = planMigration(objects, scope);
      printPlan(ctx, plan);
    });
    await step("validate every object", () => validated(ctx, plan!));
    if (plan!.skipped.some((s) => s.reason.startsWith("invalid: ")))
      throw new Refusal("migrate: objects failed validation; nothing was applied");
    await step(
      `${o.dryRun ? "dry-run (dryRun=All) against" : "server-side apply to"} ${o.to}, in dependency order`,
      async () => {
        report = await applyPlan(target, plan!.apply, {
          dryRun: o.dryRun,
          forceConflicts: o.forceConflicts,
          concurrency: config.ab.migrate.concurrency,
          crdTimeoutMs: config.ab.migrate.crdTimeoutSeconds * 1000,
          log: ctx.io.out,
        });
        printApply(ctx, report, o.dryRun);
      },
    );
    const dir = join(
      ctx.runner.reportDir,
      "migrate",
      `${ctx.runner.site}-${o.from}-to-${o.to}-${new Date().toISOString().replace(/[:.]/g, "-")}`,
    );
    await step(`write the report to ${dir}`, async () => {
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, "skipped.json"), `${JSON.stringify(plan!.skipped, null, 2)}\n`);
      writeFileSync(
        join(dir, "report.json"),
        `${JSON.stringify({ ...report, diff: undefined, warnings: plan!.warnings }, null, 2)}\n`,
      );
      if (report!.diff) writeFileSync(join(dir, "diff.patch"), report!.diff);
    });
  } finally {
    await ctx.runner.releaseLock(lock);
  }
  const r = report!;
  ctx.io.out("");
  ctx.io.out("summary:");
  ctx.io.out(
    `  ${o.from} -> ${o.to}: ${r.created.length + r.updated.length} ${o.dryRun ? "would change" : "applied"}, ${r.unchanged.length} already there, ${plan!.skipped.length} dropped`,
  );
  if (r.conflicts.length > 0)
    throw new Refusal(
      `migrate: ${r.conflicts.length} field-manager conflict(s) on ${o.to}; resolve them or rerun with --force-conflicts`,
    );
  if (r.failed.length > 0) throw new Refusal(`migrate: ${r.failed.length} object(s) failed; see above`);
}

export async function migrate(ctx: AbContext, o: MigrateOptions): Promise<void> {
  return o.fromFile ? fileMode(ctx, o) : apiMode(ctx, o);
}
