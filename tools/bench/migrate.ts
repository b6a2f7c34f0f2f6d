// Bench suite "migrate": `ab migrate` against the local fake API (test/harness/fake-kube.ts):
// N objects across 20 namespaces read from a source server (discovery + list), planned,
// validated and server-side applied to an empty target, then applied a second time (which
// changes nothing). Objects/s per size, median of the runs with min-max, so the growth with
// the count shows. Both servers run in this process on 127.0.0.1; what is measured is the
// tool's own cost plus HTTP on loopback, not a real API server's.
import { cpus } from "node:os";
import { KubeClient, parseKubeconfig } from "../app/kube";
import { applyPlan } from "../ab/migrate/apply";
import { planMigration, validatePlan } from "../ab/migrate/plan";
import { migrationPlatformNamespaces, MigrateScope, PLATFORM_CRD_GROUPS } from "../ab/migrate/rules";
import { readSource } from "../ab/migrate/source";
import { PLATFORM_NAMESPACES } from "../../components/config";
import { ObjectValidator } from "../lib/k8s-validate";
import { FakeKube, Obj, startFakeKube } from "../../test/harness/fake-kube";
import type { BenchSuite } from "./types";

const NAMESPACES = 20;

/** The k-th object of a namespace: a mix like an app namespace's (config, secrets, workloads, services). */
function objectAt(ns: string, k: number): Obj {
  const name = `app-${k}`;
  const labels = { app: name, team: ns };
  switch (k % 5) {
    case 0:
      return {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name, namespace: ns, labels },
        data: { CONFIG: `value-${k}`, MODE: "prod" },
      };
    case 1:
      return {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name, namespace: ns, labels },
        type: "Opaque",
        data: { token: Buffer.from(`s-${k}`).toString("base64") },
      };
    case 2:
      return { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace: ns, labels } };
    case 3:
      return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name, namespace: ns, labels, annotations: { "deployment.kubernetes.io/revision": "2" } },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name } },
            spec: {
              serviceAccountName: `app-${k - 1}`,
              containers: [
                {
                  name: "app",
                  image: `registry.example.org/app@sha256:${"a".repeat(64)}`,
                  ports: [{ containerPort: 8080 }],
                },
              ],
            },
          },
        },
        status: { replicas: 2, readyReplicas: 2 },
      };
    default:
      return {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name, namespace: ns, labels },
        spec: {
          clusterIP: `10.233.${k % 250}.${(k * 7) % 250}`,
          ports: [{ port: 80, targetPort: 8080, protocol: "TCP" }],
          selector: { app: `app-${k - 1}` },
        },
      };
  }
}

function seed(source: FakeKube, count: number): void {
  for (let n = 0; n < NAMESPACES; n++)
    source.put({ apiVersion: "v1", kind: "Namespace", metadata: { name: `team-${n}` } });
  for (let i = 0; i < count - NAMESPACES; i++)
    source.put(objectAt(`team-${i % NAMESPACES}`, Math.floor(i / NAMESPACES)));
}

const scope: MigrateScope = {
  platformNamespaces: migrationPlatformNamespaces(PLATFORM_NAMESPACES),
  clusterKinds: ["CustomResourceDefinition"],
  targetOwned: new Set(),
  targetReleases: new Set(),
  platformCrdGroups: [...PLATFORM_CRD_GROUPS],
};

interface Sample {
  objects: number;
  readMs: number;
  validateMs: number;
  applyMs: number;
  secondMs: number;
  unchanged: number;
}

async function once(count: number): Promise<Sample> {
  const source = await startFakeKube();
  const target = await startFakeKube();
  try {
    seed(source, count);
    const c = (k: FakeKube) => new KubeClient(parseKubeconfig(k.kubeconfig()));
    const opts = {
      dryRun: false,
      forceConflicts: false,
      concurrency: 8,
      crdTimeoutMs: 5000,
      log: () => undefined,
    };
    let t = performance.now();
    const read = await readSource(c(source), scope);
    const plan = planMigration(read.objects, scope);
    const readMs = performance.now() - t;
    t = performance.now();
    await validatePlan(plan, new ObjectValidator());
    const validateMs = performance.now() - t;
    t = performance.now();
    const first = await applyPlan(c(target), plan.apply, opts);
    const applyMs = performance.now() - t;
    if (first.failed.length || first.conflicts.length)
      throw new Error(`bench apply failed: ${JSON.stringify(first.failed.slice(0, 2))}`);
    t = performance.now();
    const second = await applyPlan(c(target), plan.apply, opts);
    const secondMs = performance.now() - t;
    return {
      objects: plan.apply.length,
      readMs,
      validateMs,
      applyMs,
      secondMs,
      unchanged: second.unchanged.length,
    };
  } finally {
    await source.close();
    await target.close();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const spread = (xs: number[]) => `${Math.round(Math.min(...xs))}-${Math.round(Math.max(...xs))}`;

async function migrateBench(runs: number, log: (line: string) => void): Promise<string> {
  const rows: string[] = [];
  for (const count of [250, 500, 1000, 2000]) {
    await once(Math.min(count, 100)); // warm the validators and the JIT
    const samples: Sample[] = [];
    for (let r = 0; r < runs; r++) samples.push(await once(count));
    const total = samples.map((s) => s.readMs + s.validateMs + s.applyMs);
    const rate = samples.map((s, i) => (s.objects / total[i]) * 1000);
    const applyRate = samples.map((s) => (s.objects / s.applyMs) * 1000);
    const s0 = samples[0];
    rows.push(
      `| ${count} | ${s0.objects} | ${Math.round(median(samples.map((s) => s.readMs)))} | ${Math.round(median(samples.map((s) => s.validateMs)))} | ${Math.round(median(samples.map((s) => s.applyMs)))} | ${Math.round(median(total))} (${spread(total)}) | ${Math.round(median(rate))} (${spread(rate)}) | ${Math.round(median(applyRate))} | ${Math.round(median(samples.map((s) => s.secondMs)))}, ${s0.unchanged} unchanged |`,
    );
    log(`${count} objects: median ${Math.round(median(rate))} objects/s`);
  }
  const date = new Date().toISOString().slice(0, 10);
  return [
    `Measured ${date} by \`npm run bench -- --suite migrate\` (median of ${runs} runs, min-max in brackets; ${cpus().length} CPUs, ${cpus()[0]?.model ?? "?"}, node ${process.version}).`,
    `Objects across ${NAMESPACES} namespaces (ConfigMaps, Secrets, ServiceAccounts, Deployments, Services in equal parts), source and target the fake API on 127.0.0.1 in this process; apply concurrency 8; the second apply of the same plan is the idempotence check.`,
    "",
    "| objects in source | migrated | read+plan ms | validate ms | apply ms | total ms | objects/s (total) | objects/s (apply) | second apply ms |",
    "|---|---|---|---|---|---|---|---|---|",
    ...rows,
  ].join("\n");
}

export const migrateSuite: BenchSuite = {
  name: "migrate",
  description: "ab migrate against the local fake API: objects/s for 250-2000 objects across 20 namespaces",
  run: ({ runs, log }) => migrateBench(runs, log),
};
