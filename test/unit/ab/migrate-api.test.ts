// Migration against the fake API server on 127.0.0.1: discovery and list on the source,
// server-side apply on the target in dependency order, idempotence, field-manager conflicts
// (409) and dry-run diffs, the way the real API answers them.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import { PLATFORM_NAMESPACES } from "../../../components/config";
import { KubeClient, MIGRATE_FIELD_MANAGER, parseKubeconfig } from "../../../tools/app/kube";
import { applyPlan } from "../../../tools/ab/migrate/apply";
import { idOf, KObj, readObjectFiles } from "../../../tools/ab/migrate/objects";
import { planMigration } from "../../../tools/ab/migrate/plan";
import {
  migrationPlatformNamespaces,
  MigrateScope,
  PLATFORM_CRD_GROUPS,
} from "../../../tools/ab/migrate/rules";
import { discoverKinds, readSource } from "../../../tools/ab/migrate/source";
import { FakeKube, Obj, startFakeKube } from "../../harness/fake-kube";

const DUMPS = join(__dirname, "..", "..", "fixtures", "kubectl-dumps");
const scope: MigrateScope = {
  platformNamespaces: migrationPlatformNamespaces(PLATFORM_NAMESPACES),
  clusterKinds: ["CustomResourceDefinition"],
  targetOwned: new Set(),
  targetReleases: new Set(["kube-prometheus-stack"]),
  platformCrdGroups: [...PLATFORM_CRD_GROUPS],
};
const quiet = {
  dryRun: false,
  forceConflicts: false,
  concurrency: 4,
  crdTimeoutMs: 5000,
  log: () => undefined,
};
const client = (k: FakeKube) => new KubeClient(parseKubeconfig(k.kubeconfig()));

/** A source cluster holding the dumps, as the API would have stored them. */
function seed(k: FakeKube): void {
  const objs = readObjectFiles(DUMPS).filter((o) => o.kind !== "List");
  for (const ns of new Set(objs.map((o) => o.metadata.namespace).filter(Boolean))) {
    k.put({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  }
  for (const o of objs) {
    try {
      k.put(o as unknown as Obj);
    } catch {
      // a kind the fake does not serve (none of the dumps' kinds today)
    }
  }
}

const patchOrder = (k: FakeKube) => k.requests.filter((r) => r.startsWith("PATCH ")).map((r) => r.slice(6));

describe("migration through the API", () => {
  let source: FakeKube;
  let target: FakeKube;
  before(async () => {
    source = await startFakeKube({ platform: true });
    seed(source);
  });
  beforeEach(async () => {
    target = await startFakeKube({ platform: true });
  });
  afterEach(async () => target.close());
  after(async () => source.close());

  it("discovery gives each group's preferred version and no subresources", async () => {
    const kinds = await discoverKinds(client(source));
    const hpa = kinds.filter((k) => k.kind === "HorizontalPodAutoscaler");
    assert.deepEqual(
      hpa.map((k) => k.version),
      ["v2"],
    );
    assert.ok(!kinds.some((k) => k.resource.includes("/")));
    assert.ok(kinds.some((k) => k.group === "networking.istio.io" && k.kind === "VirtualService"));
  });

  it("reads the chosen namespaces and kinds, skipping kinds never migrated", async () => {
    const read = await readSource(client(source), scope);
    assert.ok(read.namespaces.includes("weather") && !read.namespaces.includes("kube-system"));
    assert.ok(read.notRead.includes("Event") && read.notRead.includes("Lease.coordination.k8s.io"));
    assert.ok(read.objects.some((o) => idOf(o) === "Deployment.apps weather/forecast"));
    assert.ok(!read.objects.some((o) => o.kind === "Event"));
    assert.ok(!source.requests.some((r) => /\/events$/.test(r)), "events were not even listed");
  });

  it("applies in dependency order under the project's field manager; a second run changes nothing", async () => {
    const read = await readSource(client(source), scope);
    const plan = planMigration(read.objects, scope);
    const first = await applyPlan(client(target), plan.apply, quiet);
    assert.deepEqual(first.failed, []);
    assert.deepEqual(first.conflicts, []);
    assert.equal(first.created.length, plan.apply.length);
    const order = patchOrder(target);
    const at = (suffix: string) => order.findIndex((p) => p.endsWith(suffix));
    assert.ok(at("/customresourcedefinitions/gcpsamples.gcp.stacks.crossplane.io") === 0, "CRDs first");
    assert.ok(at("/namespaces/weather") < at("/namespaces/weather/configmaps/forecast-config"));
    assert.ok(at("/serviceaccounts/forecast") < at("/deployments/forecast"));
    assert.ok(at("/deployments/forecast") < at("/services/forecast"));
    assert.ok(at("/services/forecast") < at("/virtualservices/forecast"));
    assert.ok(target.patchQueries.every((q) => q.includes(`fieldManager=${MIGRATE_FIELD_MANAGER}`)));
    const dep = target.objects.get("/apis/apps/v1/namespaces/weather/deployments/forecast")!;
    const rv = (dep.metadata as { resourceVersion: string }).resourceVersion;

    const second = await applyPlan(client(target), plan.apply, quiet);
    assert.equal(second.unchanged.length, plan.apply.length, JSON.stringify(second.updated));
    const again = target.objects.get("/apis/apps/v1/namespaces/weather/deployments/forecast")!;
    assert.equal(
      (again.metadata as { resourceVersion: string }).resourceVersion,
      rv,
      "no write on the second run",
    );
  });

  it("the fake refuses what the real API refuses: a custom resource before its CRD, an object before its namespace, apply without a manager", async () => {
    const c = client(target);
    const cr = {
      apiVersion: "example.org/v1",
      kind: "Widget",
      metadata: { name: "w", namespace: "default" },
    };
    const r1 = await c.serverSideApply("/apis/example.org/v1/namespaces/default/widgets/w", cr, {
      fieldManager: "t",
    });
    assert.equal(r1.status, 404);
    const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c", namespace: "nowhere" } };
    const r2 = await c.serverSideApply("/api/v1/namespaces/nowhere/configmaps/c", cm, { fieldManager: "t" });
    assert.equal(r2.status, 404);
    assert.match(JSON.stringify(r2.body), /namespaces \\"nowhere\\" not found/);
    const r3 = await c.serverSideApply("/api/v1/namespaces/nowhere/configmaps/c", cm, { fieldManager: "" });
    assert.equal(r3.status, 422);
  });

  it("a field another manager owns is a 409 conflict naming it; --force-conflicts takes it", async () => {
    const read = await readSource(client(source), { ...scope, namespaces: ["weather"] });
    const plan = planMigration(read.objects, { ...scope, namespaces: ["weather"] });
    target.put({ apiVersion: "v1", kind: "Namespace", metadata: { name: "weather" } });
    const mine = plan.apply.find((o) => idOf(o) === "Deployment.apps weather/forecast")!;
    const theirs = structuredClone(mine) as KObj;
    (theirs.spec as { replicas: number }).replicas = 5;
    const r = await client(target).serverSideApply(
      "/apis/apps/v1/namespaces/weather/deployments/forecast",
      theirs,
      { fieldManager: "kubectl" },
    );
    assert.equal(r.status, 201);

    const report = await applyPlan(client(target), plan.apply, quiet);
    assert.equal(report.conflicts.length, 1);
    assert.equal(report.conflicts[0].id, "Deployment.apps weather/forecast");
    assert.match(
      report.conflicts[0].message,
      /^Apply failed with 1 conflict: conflict with "kubectl" using apps\/v1: \.spec\.replicas$/,
    );
    assert.ok(
      report.failed.some((f) => /earlier wave/.test(f.message)),
      "later waves are not applied after a conflict",
    );
    const still = target.objects.get("/apis/apps/v1/namespaces/weather/deployments/forecast")!;
    assert.equal(
      (still.spec as { replicas: number }).replicas,
      5,
      "nothing changed on the conflicting object",
    );

    const forced = await applyPlan(client(target), plan.apply, { ...quiet, forceConflicts: true });
    assert.deepEqual(forced.conflicts, []);
    const now = target.objects.get("/apis/apps/v1/namespaces/weather/deployments/forecast")!;
    assert.equal((now.spec as { replicas: number }).replicas, 2);
    const owners = target.managed.get("/apis/apps/v1/namespaces/weather/deployments/forecast")!;
    assert.ok(owners.find((e) => e.manager === MIGRATE_FIELD_MANAGER)!.fields.has(".spec.replicas"));
    assert.ok(!owners.find((e) => e.manager === "kubectl")?.fields.has(".spec.replicas"));
  });

  it("--dry-run stores nothing and prints what would change as a diff", async () => {
    const read = await readSource(client(source), { ...scope, namespaces: ["weather"] });
    const plan = planMigration(read.objects, { ...scope, namespaces: ["weather"] });
    target.put({ apiVersion: "v1", kind: "Namespace", metadata: { name: "weather" } });
    target.put({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "forecast-config", namespace: "weather" },
      data: { FORECAST_DAYS: "3" },
    });
    const before = target.objects.size;
    const plain = await applyPlan(client(target), plan.apply, { ...quiet, dryRun: true });
    assert.match(
      plain.conflicts.map((c) => c.message).join("\n"),
      /conflict with "kubectl-create" using v1: \.data\.FORECAST_DAYS/,
    );
    assert.ok(
      plain.created.includes("Deployment.apps weather/forecast"),
      "a dry run goes on past a conflict",
    );
    const report = await applyPlan(client(target), plan.apply, {
      ...quiet,
      dryRun: true,
      forceConflicts: true,
    });
    assert.equal(target.objects.size, before, "nothing stored");
    assert.deepEqual(report.failed, []);
    assert.ok(target.patchQueries.every((q) => q.includes("dryRun=All")));
    assert.match(report.diff, /--- target\/ConfigMap weather\/forecast-config/);
    assert.match(report.diff, /- {2}FORECAST_DAYS: "3"\n\+ {2}FORECAST_DAYS: "7"/);
    assert.match(report.diff, /\+\+\+ migrated\/Deployment.apps weather\/forecast/);
  });
});
