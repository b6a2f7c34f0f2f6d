// Which whole objects a migration drops, and why: what a cluster makes itself, what the target
// slot's own stack manages, and stateful objects whose data the migration does not move. Pure:
// each rule looks at one object (and the whole input where it needs a sibling) and returns a
// reason or nothing. docs/ab-upgrade.md lists the rules with the Velero / kubectl-neat /
// crane-lib code each follows or departs from.
import { groupKind, groupOf, idOf, isObj, KObj } from "./objects";
import { matchesSelector, Selector } from "./selector";

export interface MigrateScope {
  /** namespaces to copy; undefined: every namespace that is not a platform namespace */
  namespaces?: readonly string[];
  /** namespaces the target slot's stack owns (mesh, monitoring, kube-system, ...) */
  platformNamespaces: readonly string[];
  /** cluster-scoped kinds to copy, as Kind or Kind.group ("CustomResourceDefinition.apiextensions.k8s.io") */
  clusterKinds: readonly string[];
  selector?: Selector;
  /** identities (idOf) of objects the target slot's stack declares itself */
  targetOwned: ReadonlySet<string>;
  /** Helm releases the target slot's stack installs */
  targetReleases: ReadonlySet<string>;
  /** CRD groups the target's platform installs (Istio, Flagger, Prometheus operator, CNI) */
  platformCrdGroups: readonly string[];
}

/** Kinds no cluster ever gets from another (Velero's nonRestorableResources and more). */
export const NEVER_MIGRATED: Record<string, string> = {
  Event: "events describe the source cluster's past",
  "Event.events.k8s.io": "events describe the source cluster's past",
  Node: "nodes belong to the source cluster",
  "Lease.coordination.k8s.io": "leases are held by the source cluster's controllers and nodes",
  "CSINode.storage.k8s.io": "made by the source cluster's CSI driver per node",
  "VolumeAttachment.storage.k8s.io": "records a volume mounted on a source node",
  "ControllerRevision.apps": "history of the source's StatefulSets/DaemonSets; recreated",
  "CertificateSigningRequest.certificates.k8s.io": "signed by the source cluster's CA",
  ComponentStatus: "describes the source control plane",
  "PodMetrics.metrics.k8s.io": "measurements of the source cluster",
  "NodeMetrics.metrics.k8s.io": "measurements of the source cluster",
  "Backup.velero.io": "Velero syncs backups from object storage itself",
  "Restore.velero.io": "Velero restores are cluster-specific",
  "BackupRepository.velero.io": "managed by Velero",
  PersistentVolumeClaim:
    "volume claim: the migration does not move volume data (docs/ab-upgrade.md#stateful-data)",
  PersistentVolume: "volume: the migration does not move volume data (docs/ab-upgrade.md#stateful-data)",
};

/** Annotation the kubelet puts on the API copy of a static pod. */
const MIRROR_POD = "kubernetes.io/config.mirror";

/** ConfigMaps the target cluster publishes into every namespace itself. */
const PUBLISHED_CONFIGMAPS: Record<string, string> = {
  "kube-root-ca.crt":
    "published into every namespace by the target's kube-controller-manager (root CA publisher)",
  "istio-ca-root-cert": "published into every namespace by the target's istiod",
};

const ENDPOINTSLICE_CONTROLLERS = new Set([
  "endpointslice-controller.k8s.io",
  "endpointslicemirroring-controller.k8s.io",
]);

/** Cluster-scoped objects made by Kubernetes itself or its installer, whatever the kind. */
const SYSTEM_NAME = /^(system[:-]|kubeadm:|calico|cilium|flannel|kube-|cluster-admin$|admin$|edit$|view$)/;

type Rule = (o: KObj, all: InputIndex, scope: MigrateScope) => string | undefined;

/** What the rules need to know about the rest of the input. */
export interface InputIndex {
  /** "ns/name" of Services with a selector (their Endpoints are the controller's) */
  selectorServices: ReadonlySet<string>;
  /** identities of every object in the input */
  ids: ReadonlySet<string>;
}

export function indexInput(objects: readonly KObj[]): InputIndex {
  const selectorServices = new Set<string>();
  for (const o of objects) {
    const spec = o.spec as { selector?: unknown } | undefined;
    if (
      o.kind === "Service" &&
      groupOf(o) === "" &&
      isObj(spec?.selector) &&
      Object.keys(spec.selector).length > 0
    ) {
      selectorServices.add(`${o.metadata.namespace}/${o.metadata.name}`);
    }
  }
  return { selectorServices, ids: new Set(objects.map(idOf)) };
}

const neverMigrated: Rule = (o) => {
  const why = NEVER_MIGRATED[groupKind(o)];
  if (why) return why;
  if (groupOf(o) === "extensions")
    return "deprecated API group extensions: export it with its current API version";
  return undefined;
};

const owned: Rule = (o) => {
  const refs = o.metadata.ownerReferences;
  if (!Array.isArray(refs) || refs.length === 0) return undefined;
  const r = refs[0];
  return `owned by ${r.kind ?? "?"} ${r.name ?? "?"}: its controller makes it again on the target`;
};

const platformNamespace: Rule = (o, _all, scope) => {
  const ns = o.kind === "Namespace" && groupOf(o) === "" ? o.metadata.name : o.metadata.namespace;
  if (ns && scope.platformNamespaces.includes(ns)) {
    return `platform namespace ${ns}: the target slot's own stack manages it`;
  }
  return undefined;
};

const targetManaged: Rule = (o, _all, scope) => {
  if (scope.targetOwned.has(idOf(o)))
    return "declared by the target slot's own stack (Pulumi creates it there)";
  const labels = o.metadata.labels ?? {};
  if (labels["app.kubernetes.io/managed-by"]?.toLowerCase() === "pulumi") {
    return "managed by Pulumi (app.kubernetes.io/managed-by: pulumi): the target slot's stack creates its own";
  }
  const release = o.metadata.annotations?.["meta.helm.sh/release-name"];
  if (release && scope.targetReleases.has(release)) {
    return `installed by Helm release ${release}, which the target slot's stack installs itself`;
  }
  return undefined;
};

function saTokenAutoCreated(o: KObj): boolean {
  const sa = o.metadata.annotations?.["kubernetes.io/service-account.name"];
  return sa !== undefined && (o.metadata.name ?? "").startsWith(`${sa}-token-`);
}

const clusterMade: Rule = (o, all) => {
  const core = groupOf(o) === "";
  const name = o.metadata.name ?? "";
  if (
    core &&
    o.kind === "Secret" &&
    o.type === "kubernetes.io/service-account-token" &&
    saTokenAutoCreated(o)
  ) {
    return "service-account token made by the source's token controller; the target issues its own";
  }
  if (core && o.kind === "ConfigMap" && PUBLISHED_CONFIGMAPS[name]) return PUBLISHED_CONFIGMAPS[name];
  if (core && o.kind === "Namespace" && name === "default") return "exists on every cluster";
  if (core && o.kind === "ServiceAccount" && name === "default" && !customizedDefaultSa(o)) {
    return "made by the target cluster in every namespace (nothing customised on it)";
  }
  if (core && o.kind === "Endpoints") {
    const ann = o.metadata.annotations ?? {};
    const byController =
      all.selectorServices.has(`${o.metadata.namespace}/${name}`) ||
      "endpoints.kubernetes.io/last-change-trigger-time" in ann ||
      o.metadata.labels?.["endpoints.kubernetes.io/managed-by"] === "endpoint-controller";
    if (byController) return "made by the endpoints controller for a Service with a selector";
  }
  if (o.kind === "EndpointSlice" && groupOf(o) === "discovery.k8s.io") {
    const by = o.metadata.labels?.["endpointslice.kubernetes.io/managed-by"];
    if (by && ENDPOINTSLICE_CONTROLLERS.has(by)) return `made by ${by}`;
  }
  return undefined;
};

function customizedDefaultSa(o: KObj): boolean {
  const pulls = o.imagePullSecrets;
  return (Array.isArray(pulls) && pulls.length > 0) || o.automountServiceAccountToken !== undefined;
}

const finished: Rule = (o) => {
  const status = (o.status ?? {}) as { phase?: string; completionTime?: string; succeeded?: number };
  if (groupOf(o) === "" && o.kind === "Pod") {
    if (o.metadata.annotations?.[MIRROR_POD]) return "mirror pod of a static pod on a source node";
    if (status.phase === "Succeeded" || status.phase === "Failed") return `pod finished (${status.phase})`;
  }
  if (groupOf(o) === "batch" && o.kind === "Job" && status.completionTime) {
    return "job completed: applying it again would run it again";
  }
  return undefined;
};

function isClusterScoped(o: KObj): boolean {
  return o.metadata.namespace === undefined || o.metadata.namespace === "";
}

const clusterScope: Rule = (o, _all, scope) => {
  if (!isClusterScoped(o) || (o.kind === "Namespace" && groupOf(o) === "")) return undefined;
  const gk = groupKind(o);
  if (!scope.clusterKinds.includes(o.kind) && !scope.clusterKinds.includes(gk)) {
    return `cluster-scoped ${gk} not chosen (--cluster-kind)`;
  }
  if (SYSTEM_NAME.test(o.metadata.name ?? ""))
    return "made by Kubernetes or the cluster installer (system name)";
  if (gk === "CustomResourceDefinition.apiextensions.k8s.io") {
    const group = (o.spec as { group?: string } | undefined)?.group ?? "";
    const platform = scope.platformCrdGroups.find((g) => group === g || group.endsWith(`.${g}`));
    if (platform) return `CRD of group ${group}: the target's platform (${platform}) installs it`;
  }
  return undefined;
};

const notChosen: Rule = (o, _all, scope) => {
  const ns = o.kind === "Namespace" && groupOf(o) === "" ? o.metadata.name : o.metadata.namespace;
  if (scope.namespaces && ns && !scope.namespaces.includes(ns))
    return `namespace ${ns} not chosen (--namespace)`;
  return undefined;
};

/** Namespaces a slot's stack owns, for the migration: the mesh's platform namespaces but `default`, whose objects are the users'. */
export function migrationPlatformNamespaces(platform: readonly string[]): string[] {
  return platform.filter((n) => n !== "default");
}

/** CRD groups the platform of a slot installs: Istio, Flagger, the Prometheus operator, Kiali, the CNIs, snapshots. */
export const PLATFORM_CRD_GROUPS = [
  "istio.io",
  "flagger.app",
  "monitoring.coreos.com",
  "kiali.io",
  "projectcalico.org",
  "cilium.io",
  "snapshot.storage.k8s.io",
  "metrics.k8s.io",
] as const;

/** In order: the first rule that answers gives the reason. */
const RULES: Rule[] = [
  neverMigrated,
  owned,
  finished,
  clusterMade,
  platformNamespace,
  notChosen,
  targetManaged,
  clusterScope,
];

/** Why `o` is not migrated, or undefined when it is. The selector is applied by the planner. */
export function dropReason(o: KObj, all: InputIndex, scope: MigrateScope): string | undefined {
  for (const rule of RULES) {
    const why = rule(o, all, scope);
    if (why) return why;
  }
  return undefined;
}

export function selected(o: KObj, scope: MigrateScope): boolean {
  return scope.selector === undefined || matchesSelector(o.metadata.labels, scope.selector);
}

/** PersistentVolumeClaims a workload mounts or templates (StatefulSet volumeClaimTemplates). */
export function claimsOf(o: KObj): string[] {
  const spec = (o.spec ?? {}) as Record<string, unknown>;
  const claims: string[] = [];
  const fromPodSpec = (ps: unknown) => {
    const vols = isObj(ps) && Array.isArray(ps.volumes) ? ps.volumes : [];
    for (const v of vols) {
      const claim =
        isObj(v) && isObj(v.persistentVolumeClaim) ? v.persistentVolumeClaim.claimName : undefined;
      if (typeof claim === "string") claims.push(claim);
      if (isObj(v) && isObj(v.ephemeral)) claims.push(`${String(v.name)} (ephemeral)`);
    }
  };
  if (groupOf(o) === "" && o.kind === "Pod") fromPodSpec(spec);
  const template = isObj(spec.template) ? spec.template : undefined;
  fromPodSpec(template?.spec);
  const jobTemplate =
    isObj(spec.jobTemplate) && isObj(spec.jobTemplate.spec) ? spec.jobTemplate.spec : undefined;
  fromPodSpec(isObj(jobTemplate?.template) ? jobTemplate.template.spec : undefined);
  const vcts = Array.isArray(spec.volumeClaimTemplates) ? spec.volumeClaimTemplates : [];
  for (const t of vcts)
    if (isObj(t) && isObj(t.metadata)) claims.push(`${String(t.metadata.name)} (volumeClaimTemplate)`);
  return claims;
}
