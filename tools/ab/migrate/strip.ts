// Fields a cluster sets itself, removed before an object is applied to another cluster. Pure:
// object in, new object out (the input is never changed). docs/ab-upgrade.md says which field
// follows Velero (restore.go resetMetadata, pkg/restore/actions/*), kubectl-neat (cmd/neat.go)
// or neither.
import { clone, groupKind, groupOf, isObj, Json, KObj } from "./objects";

/** metadata fields the API server owns (Velero resetMetadata, plus managedFields as neat/crane). */
export const SERVER_METADATA = [
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "selfLink",
  "managedFields",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "ownerReferences",
  "generateName",
] as const;

/** Annotations written by controllers or clients, never by the object's author. */
export const CONTROLLER_ANNOTATIONS = [
  "kubectl.kubernetes.io/last-applied-configuration",
  "deployment.kubernetes.io/revision",
  "deployment.kubernetes.io/revision-history",
  "deployment.kubernetes.io/desired-replicas",
  "deployment.kubernetes.io/max-replicas",
  "pv.kubernetes.io/bind-completed",
  "pv.kubernetes.io/bound-by-controller",
  "pv.kubernetes.io/provisioned-by",
  "pv.kubernetes.io/migrated-to",
  "volume.beta.kubernetes.io/storage-provisioner",
  "volume.kubernetes.io/storage-provisioner",
  "volume.kubernetes.io/selected-node",
  "endpoints.kubernetes.io/last-change-trigger-time",
  "control-plane.alpha.kubernetes.io/leader",
  "kubernetes.io/service-account.uid",
  "autoscaling.alpha.kubernetes.io/conditions",
  "autoscaling.alpha.kubernetes.io/current-metrics",
] as const;

/** Labels set by controllers (Job controller uid; the namespace name label the API adds). */
const CONTROLLER_UID_LABELS = ["batch.kubernetes.io/controller-uid", "controller-uid"];

type Meta = Json & { labels?: Record<string, string>; annotations?: Record<string, string> };

function dropKeys(o: Record<string, unknown> | undefined, keys: readonly string[]): void {
  if (!o) return;
  for (const k of keys) delete o[k];
}

function dropEmpty(meta: Meta, key: "labels" | "annotations"): void {
  const m = meta[key];
  if (m && Object.keys(m).length === 0) delete meta[key];
}

function stripMetadata(o: KObj): void {
  const meta = o.metadata as Meta;
  dropKeys(meta, SERVER_METADATA);
  dropKeys(meta.annotations, CONTROLLER_ANNOTATIONS);
  if (o.kind === "Namespace" && groupOf(o) === "") dropKeys(meta.labels, ["kubernetes.io/metadata.name"]);
  dropEmpty(meta, "labels");
  dropEmpty(meta, "annotations");
}

/** `metadata.creationTimestamp: null` that kubectl prints in every pod template. */
function stripTemplateMeta(template: unknown): void {
  if (!isObj(template) || !isObj(template.metadata)) return;
  if (template.metadata.creationTimestamp === null) delete template.metadata.creationTimestamp;
  if (Object.keys(template.metadata).length === 0) delete template.metadata;
}

/** Token volumes the API injects into a pod (`<sa>-token-*`, `default-token-*`, `kube-api-access-*`). */
function isInjectedVolume(name: unknown, sa: string): boolean {
  return (
    typeof name === "string" &&
    (name.startsWith(`${sa}-token-`) ||
      name.startsWith("default-token-") ||
      name.startsWith("kube-api-access-"))
  );
}

function stripPodSpec(spec: Json): void {
  // Velero PodAction / neat neatScheduler: scheduling belongs to the target cluster
  delete spec.nodeName;
  delete spec.priority; // admission fills it from priorityClassName on the target
  delete spec.serviceAccount; // deprecated alias of serviceAccountName (neat)
  const sa = typeof spec.serviceAccountName === "string" ? spec.serviceAccountName : "default";
  if (Array.isArray(spec.volumes)) {
    spec.volumes = spec.volumes.filter((v) => !(isObj(v) && isInjectedVolume(v.name, sa)));
    if ((spec.volumes as unknown[]).length === 0) delete spec.volumes;
  }
  for (const key of ["containers", "initContainers"]) {
    const list = Array.isArray(spec[key]) ? (spec[key] as unknown[]) : [];
    for (const c of list) {
      if (!isObj(c) || !Array.isArray(c.volumeMounts)) continue;
      c.volumeMounts = c.volumeMounts.filter((m) => !(isObj(m) && isInjectedVolume(m.name, sa)));
      if ((c.volumeMounts as unknown[]).length === 0) delete c.volumeMounts;
    }
  }
}

/** Field paths of nodePorts some manager set explicitly (Velero deleteNodePorts). */
function explicitNodePorts(original: KObj): { named: Set<string>; numbers: Set<number> } {
  const named = new Set<string>();
  const numbers = new Set<number>();
  const lastApplied = original.metadata.annotations?.["kubectl.kubernetes.io/last-applied-configuration"];
  if (lastApplied) {
    try {
      const applied = JSON.parse(lastApplied) as {
        spec?: { ports?: Array<{ name?: string; nodePort?: number }> };
      };
      for (const p of applied.spec?.ports ?? []) {
        if (typeof p.nodePort === "number" && p.nodePort > 0) {
          if (p.name) named.add(p.name);
          else numbers.add(p.nodePort);
        }
      }
    } catch {
      // not JSON: no explicit ports known from it
    }
    return { named, numbers };
  }
  const managed = Array.isArray(original.metadata.managedFields) ? original.metadata.managedFields : [];
  for (const entry of managed) {
    const ports =
      isObj(entry) && isObj(entry.fieldsV1) && isObj(entry.fieldsV1["f:spec"])
        ? entry.fieldsV1["f:spec"]["f:ports"]
        : undefined;
    if (!isObj(ports)) continue;
    for (const [key, fields] of Object.entries(ports)) {
      if (isObj(fields) && "f:nodePort" in fields) named.add(key);
    }
  }
  return { named, numbers };
}

/** managedFields key of a Service port: k:{"port":80,"protocol":"TCP"} (Velero portKey). */
function portKey(p: Json): string {
  return `k:${JSON.stringify({ port: p.port, protocol: p.protocol ?? "TCP" })}`;
}

function stripService(o: KObj, original: KObj): void {
  const spec = o.spec as Json | undefined;
  if (!spec) return;
  // Velero ServiceAction: the target allocates its own cluster IPs (headless stays headless)
  if (spec.clusterIP !== "None") {
    delete spec.clusterIP;
    delete spec.clusterIPs;
  }
  if (spec.type === "ExternalName") return;
  const explicit = explicitNodePorts(original);
  for (const p of Array.isArray(spec.ports) ? spec.ports : []) {
    if (!isObj(p) || p.nodePort === undefined) continue;
    const keep =
      (typeof p.name === "string" && p.name !== "" && explicit.named.has(p.name)) ||
      explicit.numbers.has(Number(p.nodePort)) ||
      explicit.named.has(portKey(p));
    if (!keep) delete p.nodePort;
  }
  if (!explicit.named.has("healthCheckNodePort")) delete spec.healthCheckNodePort;
}

function stripJob(o: KObj, spec: Json): void {
  dropKeys(o.metadata.labels, CONTROLLER_UID_LABELS);
  // Velero JobAction: the controller-uid selector and labels name the source's Job
  const sel =
    isObj(spec.selector) && isObj(spec.selector.matchLabels) ? spec.selector.matchLabels : undefined;
  dropKeys(sel, CONTROLLER_UID_LABELS);
  if (sel && Object.keys(sel).length === 0) {
    delete spec.selector;
    delete spec.manualSelector;
  }
  const tpl = isObj(spec.template) && isObj(spec.template.metadata) ? spec.template.metadata : undefined;
  dropKeys(tpl?.labels as Record<string, unknown> | undefined, CONTROLLER_UID_LABELS);
}

function stripServiceAccount(o: KObj): void {
  // Velero ServiceAccountAction: the token secret of the source is not copied
  const name = o.metadata.name ?? "";
  if (!Array.isArray(o.secrets)) return;
  o.secrets = o.secrets.filter(
    (s) => !(isObj(s) && typeof s.name === "string" && s.name.startsWith(`${name}-token-`)),
  );
  if ((o.secrets as unknown[]).length === 0) delete o.secrets;
}

function stripSecret(o: KObj): void {
  // Velero SecretAction: a hand-made token secret is refilled by the target's token controller
  if (o.type !== "kubernetes.io/service-account-token" || !isObj(o.data)) return;
  dropKeys(o.data, ["token", "ca.crt", "namespace"]);
}

function stripPersistentVolume(spec: Json): void {
  if (isObj(spec.claimRef)) dropKeys(spec.claimRef, ["uid", "resourceVersion"]);
}

function stripCrd(o: KObj): void {
  // Velero CRDV1PreserveUnknownFieldsAction: v1 refuses preserveUnknownFields: true
  const spec = o.spec as Json | undefined;
  if (!spec || o.apiVersion !== "apiextensions.k8s.io/v1" || spec.preserveUnknownFields !== true) return;
  spec.preserveUnknownFields = false;
  for (const v of Array.isArray(spec.versions) ? spec.versions : []) {
    if (!isObj(v)) continue;
    const schema = isObj(v.schema) ? v.schema.openAPIV3Schema : undefined;
    if (isObj(schema)) schema["x-kubernetes-preserve-unknown-fields"] = true;
    // Unlike Velero (which leaves it): v1 requires a schema per version, so a CRD that had
    // none (a v1beta1 original) gets the schema that keeps every field.
    else v.schema = { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } };
  }
}

function stripNamespace(o: KObj): void {
  const spec = o.spec as { finalizers?: unknown } | undefined;
  // the API adds the "kubernetes" finalizer to every namespace itself
  if (
    spec &&
    Array.isArray(spec.finalizers) &&
    spec.finalizers.length === 1 &&
    spec.finalizers[0] === "kubernetes"
  ) {
    delete o.spec;
  }
}

/** Pod templates of workloads, however deep the kind nests them. */
function podTemplates(o: KObj): Json[] {
  const spec = o.spec as Json | undefined;
  if (!spec) return [];
  const out: Json[] = [];
  if (isObj(spec.template)) out.push(spec.template);
  if (isObj(spec.jobTemplate) && isObj(spec.jobTemplate.spec) && isObj(spec.jobTemplate.spec.template)) {
    out.push(spec.jobTemplate.spec.template);
    stripTemplateMeta(spec.jobTemplate);
  }
  return out;
}

/** The object with every server-set field removed; `o` itself is not changed. */
export function stripObject(original: KObj): KObj {
  const o = clone(original);
  stripMetadata(o);
  delete o.status;
  const gk = groupKind(o);
  const spec = isObj(o.spec) ? o.spec : undefined;
  if (gk === "Pod" && spec) stripPodSpec(spec);
  for (const t of podTemplates(o)) {
    stripTemplateMeta(t);
    if (isObj(t.spec)) stripPodSpec(t.spec);
  }
  if (gk === "Service") stripService(o, original);
  if (gk === "Job.batch" && spec) stripJob(o, spec);
  if (gk === "ServiceAccount") stripServiceAccount(o);
  if (gk === "Secret") stripSecret(o);
  if (gk === "PersistentVolume" && spec) stripPersistentVolume(spec);
  if (gk === "CustomResourceDefinition.apiextensions.k8s.io") stripCrd(o);
  if (gk === "Namespace") stripNamespace(o);
  return o;
}
