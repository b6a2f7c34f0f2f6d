// Plain Kubernetes object shapes and the identities the mesh policies name. No Pulumi here:
// the components create resources from exactly these objects, and the tests validate them.

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A Kubernetes object as it is applied: apiVersion, kind, metadata and the rest of its body. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/** Values of one Helm release, as passed to `helm.v3.Release` and written to out/. */
export interface ReleasePlan {
  /** release name (explicit, so upgrades find it) */
  name: string;
  namespace: string;
  chart: string;
  version: string;
  repo: string;
  values: Record<string, unknown>;
}

/** SPIFFE trust domain of the mesh (Istio's default). */
export const TRUST_DOMAIN = "cluster.local";

export const ISTIO_NAMESPACE = "istio-system";
export const INGRESS_NAMESPACE = "istio-ingress";
export const MONITORING_NAMESPACE = "monitoring";
export const FLAGGER_NAMESPACE = "flagger-system";

/** Release names double as workload and service-account names in these charts. */
export const RELEASES = {
  istioBase: "istio-base",
  istiod: "istiod",
  gateway: "istio-ingressgateway",
  prometheus: "kube-prometheus-stack",
  grafana: "grafana",
  kiali: "kiali",
  flagger: "flagger",
  loadtester: "flagger-loadtester",
} as const;

/** The one Istio Gateway apps are published on, `<namespace>/<name>` as VirtualServices name it. */
export const PUBLIC_GATEWAY = { namespace: INGRESS_NAMESPACE, name: "public-gateway" } as const;
export const PUBLIC_GATEWAY_REF = `${PUBLIC_GATEWAY.namespace}/${PUBLIC_GATEWAY.name}`;

/** Selector labels the gateway chart gives release `istio-ingressgateway` (gateway.selectorLabels). */
export const GATEWAY_SELECTOR = { istio: "ingressgateway" } as const;

/** Service accounts, fixed by the values we pass, so AuthorizationPolicies can name them. */
export const SERVICE_ACCOUNTS = {
  gateway: { namespace: INGRESS_NAMESPACE, name: RELEASES.gateway },
  prometheus: { namespace: MONITORING_NAMESPACE, name: "prometheus" },
  flagger: { namespace: FLAGGER_NAMESPACE, name: RELEASES.flagger },
  loadtester: { namespace: FLAGGER_NAMESPACE, name: RELEASES.loadtester },
} as const;

/** Istio peer identity of a service account (AuthorizationPolicy `source.principals`). */
export function principal(sa: { namespace: string; name: string }): string {
  return `${TRUST_DOMAIN}/ns/${sa.namespace}/sa/${sa.name}`;
}

/** Where Prometheus answers queries inside the cluster (kube-prometheus-stack service). */
export const PROMETHEUS_URL = `http://${RELEASES.prometheus}-prometheus.${MONITORING_NAMESPACE}:9090`;
/** Where the load tester answers Flagger's webhooks (loadtester chart service, port 80). */
export const LOADTESTER_URL = `http://${RELEASES.loadtester}.${FLAGGER_NAMESPACE}/`;
/** The container port of the load tester (chart: containerPort http 8080). */
export const LOADTESTER_PORT = 8080;

export function namespaceObject(name: string, labels: Record<string, string> = {}): K8sObject {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name, labels: { "app.kubernetes.io/managed-by": "pulumi", ...labels } },
  };
}

/** Sorts objects deterministically: namespaces first, then kind, namespace, name. */
export function sortObjects(objects: K8sObject[]): K8sObject[] {
  const rank = (o: K8sObject) => (o.kind === "Namespace" ? 0 : 1);
  const key = (o: K8sObject) => `${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;
  return [...objects].sort((a, b) => rank(a) - rank(b) || key(a).localeCompare(key(b)));
}

/** Throws if two objects share kind, namespace and name (they would overwrite each other). */
export function assertUnique(objects: readonly K8sObject[]): void {
  const seen = new Set<string>();
  for (const o of objects) {
    const k = `${o.apiVersion}/${o.kind}/${o.metadata.namespace ?? ""}/${o.metadata.name}`;
    if (seen.has(k)) throw new Error(`object ${k} is rendered twice`);
    seen.add(k);
  }
}

/** Resource name for an object: `<kind>-<namespace>-<name>`, lowercase. */
export function objectKey(o: K8sObject): string {
  return [o.kind.toLowerCase(), o.metadata.namespace, o.metadata.name].filter(Boolean).join("-");
}
