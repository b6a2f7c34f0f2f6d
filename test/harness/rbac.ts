// Kubernetes RBAC evaluation of rendered objects (the semantics of
// k8s.io/kubernetes pkg/apis/rbac/v1/evaluation_helpers.go): a request is allowed when some
// binding that applies to the subject grants a rule matching verb, API group, resource
// (with subresource, `*`, `*/sub`), resourceName (empty = any) — a RoleBinding only inside its
// own namespace, a ClusterRoleBinding everywhere. Used to prove what a token can and cannot do.
export interface Rule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}
type Obj = {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Rule[];
  roleRef?: { kind: string; name: string };
  subjects?: Array<{ kind: string; name: string; namespace?: string }>;
};

export interface Request {
  verb: string;
  apiGroup: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export interface Subject {
  /** system:serviceaccount:<ns>:<name> */
  user: string;
  groups: string[];
}

export function serviceAccountSubject(namespace: string, name: string): Subject {
  return {
    user: `system:serviceaccount:${namespace}:${name}`,
    groups: ["system:serviceaccounts", `system:serviceaccounts:${namespace}`, "system:authenticated"],
  };
}

function has(list: readonly string[] | undefined, v: string): boolean {
  return (list ?? []).some((x) => x === "*" || x === v);
}

export function ruleAllows(r: Rule, q: Request): boolean {
  if (!has(r.verbs, q.verb)) return false;
  if (!has(r.apiGroups, q.apiGroup)) return false;
  const combined = q.subresource ? `${q.resource}/${q.subresource}` : q.resource;
  const resOk = (r.resources ?? []).some(
    (x) => x === "*" || x === combined || (q.subresource !== undefined && x === `*/${q.subresource}`),
  );
  if (!resOk) return false;
  if (!r.resourceNames || r.resourceNames.length === 0) return true;
  return q.name !== undefined && r.resourceNames.includes(q.name);
}

function appliesTo(b: Obj, s: Subject): boolean {
  return (b.subjects ?? []).some((x) => {
    if (x.kind === "User") return x.name === s.user;
    if (x.kind === "Group") return s.groups.includes(x.name);
    if (x.kind === "ServiceAccount") return s.user === `system:serviceaccount:${x.namespace}:${x.name}`;
    return false;
  });
}

/** Whether the rendered RBAC objects allow the request for the subject. */
export function allowed(objects: readonly Obj[], s: Subject, q: Request): boolean {
  const roles = (kind: string, name: string, ns?: string) =>
    objects.filter(
      (o) =>
        o.kind === kind &&
        o.metadata.name === name &&
        (kind === "ClusterRole" || o.metadata.namespace === ns),
    );
  for (const b of objects) {
    if (b.kind !== "RoleBinding" && b.kind !== "ClusterRoleBinding") continue;
    if (!appliesTo(b, s) || !b.roleRef) continue;
    // a RoleBinding grants only in its own namespace; cluster-scoped requests never through one
    if (b.kind === "RoleBinding" && (q.namespace === undefined || q.namespace !== b.metadata.namespace))
      continue;
    const refNs = b.kind === "RoleBinding" ? b.metadata.namespace : undefined;
    for (const role of roles(b.roleRef.kind, b.roleRef.name, refNs)) {
      if ((role.rules ?? []).some((r) => ruleAllows(r, q))) return true;
    }
  }
  return false;
}
