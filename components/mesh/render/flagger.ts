// Flagger: Helm values of the controller (meshProvider istio) and the load tester, the objects
// of their namespace (inside the mesh, allow-nothing plus Flagger -> load tester), and the
// Canary builder. A Canary owns its app's Services (<app>, <app>-primary, <app>-canary) and
// VirtualService: the mesh component creates neither for a canary app.
import type { MeshAppConfig, MeshCanaryConfig, MeshConfig } from "../../config/mesh";
import { CHARTS } from "../versions";
import { durationSeconds } from "../../config/load-test";
import {
  LOADTEST_LOADTESTER_DIR,
  LOADTEST_SCRIPT_NAME,
  loadTestArgs,
  renderLoadTestScript,
  shQuote,
} from "../../delivery/render/loadtest";
import { allowNothing } from "./istio";
import {
  assertUnique,
  FLAGGER_NAMESPACE,
  K8sObject,
  LOADTESTER_PORT,
  LOADTESTER_URL,
  namespaceObject,
  principal,
  PROMETHEUS_URL,
  PUBLIC_GATEWAY_REF,
  ReleasePlan,
  RELEASES,
  SERVICE_ACCOUNTS,
  sortObjects,
} from "./objects";

export interface FlaggerPlan {
  flagger: ReleasePlan;
  loadtester: ReleasePlan;
  objects: K8sObject[];
  /** the Canary objects alone (also in `objects`) */
  canaries: K8sObject[];
}

export function flaggerValues(): Record<string, unknown> {
  return {
    meshProvider: "istio",
    metricsServer: PROMETHEUS_URL,
    // The CRDs come from the chart's crds/ directory (Helm installs them before the release).
    crd: { create: false },
    serviceAccount: { create: true, name: SERVICE_ACCOUNTS.flagger.name },
    leaderElection: { enabled: true, replicaCount: 2 },
    podDisruptionBudget: { enabled: true, minAvailable: 1 },
    securityContext: { enabled: true, context: { readOnlyRootFilesystem: true, runAsUser: 10001 } },
    prometheus: { install: false },
  };
}

export function loadtesterValues(): Record<string, unknown> {
  return {
    fullnameOverride: RELEASES.loadtester,
    // Its own identity (created beside it), so app namespaces can ALLOW exactly the load tester.
    serviceAccountName: SERVICE_ACCOUNTS.loadtester.name,
    rbac: { create: false },
    service: { type: "ClusterIP", port: 80 },
    securityContext: {
      enabled: true,
      context: { readOnlyRootFilesystem: true, runAsUser: 100, runAsGroup: 101 },
    },
    cmd: { timeout: "1h" },
    // jsp-loadtest, the pipeline's load test, from a ConfigMap (chart values volumes/volumeMounts)
    volumes: [{ name: "jsp-loadtest", configMap: { name: LOADTEST_CONFIGMAP, defaultMode: 0o555 } }],
    volumeMounts: [{ name: "jsp-loadtest", mountPath: LOADTEST_LOADTESTER_DIR, readOnly: true }],
  };
}

export const LOADTEST_CONFIGMAP = "jsp-loadtest";

/** The ConfigMap holding jsp-loadtest for the load tester. */
export function loadtestConfigMap(): K8sObject {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: LOADTEST_CONFIGMAP, namespace: FLAGGER_NAMESPACE },
    data: { [LOADTEST_SCRIPT_NAME]: renderLoadTestScript() },
  };
}

/**
 * The command the load tester runs (blocking, `type: bash`) in each analysis step: the same
 * jsp-loadtest as the pipeline's load stage, against the canary Service; over a threshold it
 * exits 1, the webhook answers 500 and Flagger counts a failed check.
 */
export function loadCommand(app: MeshAppConfig, canary: MeshCanaryConfig): string {
  const url = `http://${app.name}-canary.${app.namespace}:${app.port}`;
  const args = loadTestArgs(canary.loadTest, { url, name: `${app.namespace}/${app.name}-canary` });
  return `sh ${LOADTEST_LOADTESTER_DIR}/${LOADTEST_SCRIPT_NAME} ${args.map(shQuote).join(" ")}`;
}

/** The Flagger Canary of an app (flagger.app/v1beta1, provider istio). */
export function buildCanary(app: MeshAppConfig): K8sObject {
  const c = app.canary;
  if (!c) throw new Error(`mesh.apps ${app.namespace}/${app.name}: no canary configured`);
  const service: Record<string, unknown> = {
    port: app.port,
    targetPort: app.port,
    trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } },
  };
  if (app.hosts.length > 0) {
    service.gateways = [PUBLIC_GATEWAY_REF, "mesh"];
    service.hosts = [...app.hosts].sort();
  }
  const analysis: Record<string, unknown> = {
    interval: c.interval,
    threshold: c.threshold,
    maxWeight: c.maxWeight,
    stepWeight: c.stepWeight,
    metrics: [
      { name: "request-success-rate", interval: c.interval, thresholdRange: { min: c.minSuccessRate } },
      { name: "request-duration", interval: c.interval, thresholdRange: { max: c.maxRequestDurationMs } },
    ],
  };
  if (c.loadTest.enabled) {
    analysis.webhooks = [
      {
        name: "load-test",
        type: "rollout",
        url: LOADTESTER_URL,
        // the webhook waits for the whole run
        timeout: `${durationSeconds(c.loadTest.duration) + 30}s`,
        metadata: { type: "bash", cmd: loadCommand(app, c) },
      },
    ];
  }
  return {
    apiVersion: "flagger.app/v1beta1",
    kind: "Canary",
    metadata: { name: app.name, namespace: app.namespace },
    spec: {
      provider: "istio",
      targetRef: { apiVersion: "apps/v1", kind: "Deployment", name: app.name },
      progressDeadlineSeconds: 600,
      service,
      analysis,
    },
  };
}

/** Policies of the Flagger namespace: allow-nothing, and Flagger may call the load tester. */
export function flaggerNamespacePolicies(): K8sObject[] {
  return [
    allowNothing(FLAGGER_NAMESPACE),
    {
      apiVersion: "security.istio.io/v1",
      kind: "AuthorizationPolicy",
      metadata: { name: "allow-flagger-to-loadtester", namespace: FLAGGER_NAMESPACE },
      spec: {
        action: "ALLOW",
        selector: { matchLabels: { "app.kubernetes.io/name": "loadtester" } },
        rules: [
          {
            from: [{ source: { principals: [principal(SERVICE_ACCOUNTS.flagger)] } }],
            to: [{ operation: { ports: [String(LOADTESTER_PORT)] } }],
          },
        ],
      },
    },
  ];
}

export function planFlagger(config: MeshConfig): FlaggerPlan {
  const canaries = config.apps.filter((a) => a.canary).map(buildCanary);
  const objects: K8sObject[] = [
    namespaceObject(FLAGGER_NAMESPACE, { "istio-injection": "enabled" }),
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: SERVICE_ACCOUNTS.loadtester.name, namespace: FLAGGER_NAMESPACE },
    },
    loadtestConfigMap(),
    ...flaggerNamespacePolicies(),
    ...canaries,
  ];
  assertUnique(objects);
  const pin = (k: "flagger" | "loadtester") => ({
    chart: CHARTS[k].chart,
    version: CHARTS[k].version,
    repo: CHARTS[k].repo,
  });
  return {
    flagger: {
      name: RELEASES.flagger,
      namespace: FLAGGER_NAMESPACE,
      ...pin("flagger"),
      values: flaggerValues(),
    },
    loadtester: {
      name: RELEASES.loadtester,
      namespace: FLAGGER_NAMESPACE,
      ...pin("loadtester"),
      values: loadtesterValues(),
    },
    objects: sortObjects(objects),
    canaries: sortObjects(canaries),
  };
}
