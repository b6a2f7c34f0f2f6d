// The order objects are applied in: what others refer to first (CRDs before their custom
// resources, namespaces before what lives in them, RBAC and service accounts before workloads,
// configuration before the pods that mount it), then workloads, services, and last the Istio
// and Flagger objects that point at them. Pure; ties sort by namespace, kind and name.
import { groupKind, groupOf, KObj } from "./objects";

/** Rank per kind (Kind.group); kinds not listed get the rank of their class below. */
const RANKS: Array<[number, string, string[]]> = [
  [0, "CRDs", ["CustomResourceDefinition.apiextensions.k8s.io"]],
  [1, "namespaces", ["Namespace"]],
  [
    2,
    "cluster configuration",
    ["PriorityClass.scheduling.k8s.io", "StorageClass.storage.k8s.io", "IngressClass.networking.k8s.io"],
  ],
  [3, "RBAC roles", ["ClusterRole.rbac.authorization.k8s.io", "Role.rbac.authorization.k8s.io"]],
  [
    4,
    "RBAC bindings",
    ["ClusterRoleBinding.rbac.authorization.k8s.io", "RoleBinding.rbac.authorization.k8s.io"],
  ],
  [5, "service accounts", ["ServiceAccount"]],
  [6, "quotas and limits", ["ResourceQuota", "LimitRange"]],
  [7, "config maps and secrets", ["ConfigMap", "Secret"]],
  [
    8,
    "workloads",
    [
      "Deployment.apps",
      "StatefulSet.apps",
      "DaemonSet.apps",
      "ReplicaSet.apps",
      "CronJob.batch",
      "Job.batch",
      "Pod",
      "ReplicationController",
      "PodTemplate",
    ],
  ],
  [
    9,
    "services and networking",
    [
      "Service",
      "Endpoints",
      "Ingress.networking.k8s.io",
      "NetworkPolicy.networking.k8s.io",
      "HorizontalPodAutoscaler.autoscaling",
      "PodDisruptionBudget.policy",
    ],
  ],
];

export const RANK_NAMES: Record<number, string> = {
  ...Object.fromEntries(RANKS.map(([r, name]) => [r, name])),
  10: "other built-in objects",
  11: "Istio objects",
  12: "Flagger objects",
  13: "other custom resources",
};

const BY_KIND = new Map<string, number>(
  RANKS.flatMap(([r, , kinds]) => kinds.map((k): [string, number] => [k, r])),
);

const BUILT_IN_GROUP = /(^$|^[a-z]+$|\.k8s\.io$)/;

export function rankOf(o: KObj): number {
  const r = BY_KIND.get(groupKind(o));
  if (r !== undefined) return r;
  const g = groupOf(o);
  if (g.endsWith("istio.io")) return 11;
  if (g === "flagger.app") return 12;
  return BUILT_IN_GROUP.test(g) ? 10 : 13;
}

const key = (o: KObj) => `${o.metadata.namespace ?? ""}\u0000${groupKind(o)}\u0000${o.metadata.name ?? ""}`;

/** A new array in apply order. */
export function sortForApply(objects: readonly KObj[]): KObj[] {
  return [...objects].sort(
    (a, b) => rankOf(a) - rankOf(b) || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0),
  );
}

/** Objects grouped by rank, in apply order: a rank is applied only after the one before it. */
export function applyWaves(objects: readonly KObj[]): Array<{ rank: number; name: string; objects: KObj[] }> {
  const waves = new Map<number, KObj[]>();
  for (const o of sortForApply(objects)) {
    const r = rankOf(o);
    let wave = waves.get(r);
    if (!wave) waves.set(r, (wave = []));
    wave.push(o);
  }
  return [...waves].map(([rank, objs]) => ({ rank, name: RANK_NAMES[rank], objects: objs }));
}
