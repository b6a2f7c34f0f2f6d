// A fake Kubernetes API server on 127.0.0.1 for tests of `npm run app` and `npm run ab`: an
// in-memory object store keyed by API path that answers like the real API:
// - discovery: /api, /apis, /api/v1, /apis/<group>/<version> (APIResourceList with verbs and
//   subresources), preferred versions; a CRD applied here serves its kind from then on;
// - GET of an object (404 Status when missing) and list of a collection (per namespace or
//   across all), `<Kind>List` with a resourceVersion;
// - PATCH as JSON merge patch (an Update under ?fieldManager) and as server-side apply
//   (application/apply-patch+yaml: fieldManager required, force, dryRun=All, create when
//   missing, 404 for an unknown kind or a missing namespace, 409 Conflict naming the other
//   field manager, no write when nothing changes);
// - 401 without the bearer token, 415 for other patch types, 405 for other methods.
// The Kubernetes API is the one thing tests may mock; everything else runs for real.
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { parse } from "yaml";
import { ManagedEntry, managedFieldsOf, Obj, recordUpdate, serverSideApply } from "./fake-kube-ssa";

export type { Obj };

export interface FakeResource {
  group: string;
  version: string;
  /** plural, e.g. "deployments" */
  name: string;
  kind: string;
  namespaced: boolean;
}

export interface FakeKube {
  url: string;
  token: string;
  /** objects by API path (/apis/apps/v1/namespaces/ns/deployments/name) */
  objects: Map<string, Obj>;
  /** field managers per object path */
  managed: Map<string, ManagedEntry[]>;
  /** every request, "METHOD path" (query removed) */
  requests: string[];
  /** query strings of PATCH requests, in order */
  patchQueries: string[];
  patches: Array<{ path: string; body: Obj }>;
  /** called before a GET is answered, to let a test change state over time */
  onGet?: (path: string, count: number) => void;
  /** adds a kind to discovery (CRDs applied through the API add theirs) */
  addResource(r: FakeResource): void;
  /** stores an object as the API would have created it (uid, resourceVersion, ...); returns its path */
  put(o: Obj, manager?: string): string;
  /** the API path of an object's kind and name */
  pathOf(o: Obj): string;
  kubeconfig(namespace?: string): string;
  close(): Promise<void>;
}

/** RFC 7386 merge patch: objects merge, null deletes, everything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const out: Obj =
    target && typeof target === "object" && !Array.isArray(target) ? { ...(target as Obj) } : {};
  for (const [k, v] of Object.entries(patch as Obj)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function status(code: number, reason: string, message: string, details?: Obj): Obj {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    code,
    reason,
    message,
    ...(details ? { details } : {}),
  };
}

const R = (group: string, version: string, name: string, kind: string, namespaced = true): FakeResource => ({
  group,
  version,
  name,
  kind,
  namespaced,
});

/** What a Kubespray cluster serves (a subset: every kind the project reads or migrates). */
export const BUILT_IN_RESOURCES: FakeResource[] = [
  R("", "v1", "namespaces", "Namespace", false),
  R("", "v1", "nodes", "Node", false),
  R("", "v1", "persistentvolumes", "PersistentVolume", false),
  ...(
    [
      ["pods", "Pod"],
      ["services", "Service"],
      ["endpoints", "Endpoints"],
      ["configmaps", "ConfigMap"],
      ["secrets", "Secret"],
      ["serviceaccounts", "ServiceAccount"],
      ["persistentvolumeclaims", "PersistentVolumeClaim"],
      ["resourcequotas", "ResourceQuota"],
      ["limitranges", "LimitRange"],
      ["events", "Event"],
      ["replicationcontrollers", "ReplicationController"],
      ["podtemplates", "PodTemplate"],
    ] as const
  ).map(([n, k]) => R("", "v1", n, k)),
  R("apps", "v1", "deployments", "Deployment"),
  R("apps", "v1", "statefulsets", "StatefulSet"),
  R("apps", "v1", "daemonsets", "DaemonSet"),
  R("apps", "v1", "replicasets", "ReplicaSet"),
  R("apps", "v1", "controllerrevisions", "ControllerRevision"),
  R("batch", "v1", "jobs", "Job"),
  R("batch", "v1", "cronjobs", "CronJob"),
  R("rbac.authorization.k8s.io", "v1", "roles", "Role"),
  R("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding"),
  R("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false),
  R("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", false),
  R("networking.k8s.io", "v1", "ingresses", "Ingress"),
  R("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy"),
  R("networking.k8s.io", "v1", "ingressclasses", "IngressClass", false),
  R("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget"),
  R("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler"),
  R("autoscaling", "v1", "horizontalpodautoscalers", "HorizontalPodAutoscaler"),
  R("coordination.k8s.io", "v1", "leases", "Lease"),
  R("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice"),
  R("events.k8s.io", "v1", "events", "Event"),
  R("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false),
  R("scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", false),
  R("storage.k8s.io", "v1", "storageclasses", "StorageClass", false),
  R("storage.k8s.io", "v1", "csinodes", "CSINode", false),
  R("storage.k8s.io", "v1", "volumeattachments", "VolumeAttachment", false),
];

/** The kinds a slot's platform adds (Istio and Flagger CRDs), for a target that has them installed. */
export const PLATFORM_RESOURCES: FakeResource[] = [
  R("networking.istio.io", "v1", "virtualservices", "VirtualService"),
  R("networking.istio.io", "v1", "destinationrules", "DestinationRule"),
  R("networking.istio.io", "v1", "gateways", "Gateway"),
  R("networking.istio.io", "v1", "serviceentries", "ServiceEntry"),
  R("networking.istio.io", "v1", "sidecars", "Sidecar"),
  R("security.istio.io", "v1", "authorizationpolicies", "AuthorizationPolicy"),
  R("security.istio.io", "v1", "peerauthentications", "PeerAuthentication"),
  R("security.istio.io", "v1", "requestauthentications", "RequestAuthentication"),
  R("flagger.app", "v1beta1", "canaries", "Canary"),
  R("flagger.app", "v1beta1", "metrictemplates", "MetricTemplate"),
  R("flagger.app", "v1beta1", "alertproviders", "AlertProvider"),
];

/** Kubernetes' own preference order of versions: GA over beta over alpha, higher first. */
function versionRank(v: string): number {
  const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
  if (!m) return 0;
  const stage = m[2] === "alpha" ? 0 : m[2] === "beta" ? 1 : 2;
  return stage * 1e6 + Number(m[1]) * 1e3 + Number(m[3] ?? 0);
}

interface Target {
  group: string;
  version: string;
  namespace?: string;
  resource?: string;
  name?: string;
}

/** /api/v1[/namespaces/ns]/res[/name], /apis/g/v[/namespaces/ns]/res[/name] */
function parseApiPath(path: string): Target | undefined {
  const segs = path.split("/").filter(Boolean);
  let group = "";
  let rest: string[];
  if (segs[0] === "api" && segs.length >= 2) rest = segs.slice(2);
  else if (segs[0] === "apis" && segs.length >= 3) {
    group = segs[1];
    rest = segs.slice(3);
  } else return undefined;
  const version = segs[0] === "api" ? segs[1] : segs[2];
  if (rest.length >= 3 && rest[0] === "namespaces")
    return { group, version, namespace: rest[1], resource: rest[2], name: rest[3] };
  return { group, version, resource: rest[0], name: rest[1] };
}

function collectionPath(r: FakeResource, namespace?: string): string {
  const base = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  return r.namespaced && namespace ? `${base}/namespaces/${namespace}/${r.name}` : `${base}/${r.name}`;
}

export interface FakeKubeOptions {
  token?: string;
  /** also serve the Istio and Flagger kinds, as a slot whose platform is installed does */
  platform?: boolean;
}

export async function startFakeKube(tokenOrOptions: string | FakeKubeOptions = {}): Promise<FakeKube> {
  const opts = typeof tokenOrOptions === "string" ? { token: tokenOrOptions } : tokenOrOptions;
  const token = opts.token ?? "test-token";
  const objects = new Map<string, Obj>();
  const managed = new Map<string, ManagedEntry[]>();
  const requests: string[] = [];
  const patches: Array<{ path: string; body: Obj }> = [];
  const patchQueries: string[] = [];
  const gets = new Map<string, number>();
  const resources: FakeResource[] = [...BUILT_IN_RESOURCES, ...(opts.platform ? PLATFORM_RESOURCES : [])];
  let rv = 1000;
  let uid = 0;
  const nextUid = () => `00000000-0000-4000-8000-${String(++uid).padStart(12, "0")}`;
  const fake: Partial<FakeKube> = { token, objects, managed, requests, patches, patchQueries };

  const findResource = (t: Target) =>
    resources.find((r) => r.group === t.group && r.version === t.version && r.name === t.resource);
  const findByKind = (apiVersion: string, kind: string) => {
    const [g, v] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
    return resources.find((r) => r.group === g && r.version === v && r.kind === kind);
  };
  fake.addResource = (r) => {
    if (!resources.some((x) => x.group === r.group && x.version === r.version && x.name === r.name))
      resources.push(r);
  };
  fake.pathOf = (o) => {
    const md = o.metadata as Obj;
    const r = findByKind(String(o.apiVersion), String(o.kind));
    if (!r) throw new Error(`fake API serves no ${String(o.apiVersion)}/${String(o.kind)}`);
    return `${collectionPath(r, md.namespace as string | undefined)}/${String(md.name)}`;
  };

  /** The response form: stored object plus managedFields. */
  const view = (path: string, o: Obj): Obj => {
    const entries = managed.get(path);
    if (!entries?.length) return o;
    return { ...o, metadata: { ...(o.metadata as Obj), managedFields: managedFieldsOf(entries) } };
  };

  const stamp = (o: Obj, prev: Obj | undefined, t: Target): Obj => {
    const md = { ...(o.metadata as Obj) };
    const pmd = (prev?.metadata ?? {}) as Obj;
    md.uid = pmd.uid ?? nextUid();
    md.creationTimestamp = pmd.creationTimestamp ?? new Date().toISOString().replace(/\.\d+Z$/, "Z");
    md.resourceVersion = String(++rv);
    if (t.namespace) md.namespace = t.namespace;
    const specChanged = JSON.stringify(o.spec ?? null) !== JSON.stringify(prev?.spec ?? null);
    md.generation = prev ? Number(pmd.generation ?? 1) + (specChanged ? 1 : 0) : 1;
    delete md.managedFields;
    return { ...o, metadata: md };
  };

  const registerCrd = (crd: Obj) => {
    const spec = crd.spec as {
      group: string;
      names: { plural: string; kind: string };
      scope: string;
      versions?: Array<{ name: string; served?: boolean }>;
    };
    for (const v of spec.versions ?? []) {
      if (v.served === false) continue;
      fake.addResource!({
        group: spec.group,
        version: v.name,
        name: spec.names.plural,
        kind: spec.names.kind,
        namespaced: spec.scope !== "Cluster",
      });
    }
    crd.status = {
      acceptedNames: { kind: spec.names.kind, plural: spec.names.plural },
      conditions: [
        { type: "NamesAccepted", status: "True", reason: "NoConflicts" },
        { type: "Established", status: "True", reason: "InitialNamesAccepted" },
      ],
      storedVersions: (spec.versions ?? []).map((v) => v.name).slice(0, 1),
    };
  };

  fake.put = (o, manager = "kubectl-create") => {
    const path = fake.pathOf!(o);
    const md = o.metadata as Obj;
    const t = { ...parseApiPath(path)!, namespace: md.namespace as string | undefined };
    const stored = stamp(structuredClone(o), objects.get(path), t);
    if (String(o.kind) === "CustomResourceDefinition") registerCrd(stored);
    objects.set(path, stored);
    managed.set(path, recordUpdate({}, stored, [], manager, String(o.apiVersion), new Date().toISOString()));
    return path;
  };

  const discovery = (path: string): Obj | undefined => {
    if (path === "/api") return { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [] };
    if (path === "/apis") {
      const groups = new Map<string, string[]>();
      for (const r of resources) {
        if (!r.group) continue;
        const vs = groups.get(r.group) ?? [];
        if (!vs.includes(r.version)) vs.push(r.version);
        groups.set(r.group, vs);
      }
      return {
        kind: "APIGroupList",
        apiVersion: "v1",
        groups: [...groups].map(([name, vs]) => {
          const sorted = [...vs].sort((a, b) => versionRank(b) - versionRank(a));
          const gv = (v: string) => ({ groupVersion: `${name}/${v}`, version: v });
          return { name, versions: sorted.map(gv), preferredVersion: gv(sorted[0]) };
        }),
      };
    }
    const m = /^\/api\/(v1)$|^\/apis\/([^/]+)\/([^/]+)$/.exec(path);
    if (!m) return undefined;
    const group = m[2] ?? "";
    const version = m[1] ?? m[3];
    const own = resources.filter((r) => r.group === group && r.version === version);
    if (own.length === 0) return undefined;
    const verbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
    return {
      kind: "APIResourceList",
      apiVersion: "v1",
      groupVersion: group ? `${group}/${version}` : version,
      resources: own.flatMap((r) => [
        { name: r.name, singularName: r.kind.toLowerCase(), namespaced: r.namespaced, kind: r.kind, verbs },
        {
          name: `${r.name}/status`,
          singularName: "",
          namespaced: r.namespaced,
          kind: r.kind,
          verbs: ["get", "patch", "update"],
        },
      ]),
    };
  };

  const list = (t: Target, r: FakeResource): Obj => {
    const items: Obj[] = [];
    for (const [p, o] of objects) {
      const pt = parseApiPath(p);
      if (!pt || pt.group !== r.group || pt.resource !== r.name || pt.name === undefined) continue;
      if (t.namespace && pt.namespace !== t.namespace) continue;
      // an object stored under another version of its group is served under this one too
      items.push(view(p, { ...o, apiVersion: r.group ? `${r.group}/${r.version}` : r.version }));
    }
    items.sort((a, b) => {
      const ka = `${String((a.metadata as Obj).namespace ?? "")}/${String((a.metadata as Obj).name)}`;
      const kb = `${String((b.metadata as Obj).namespace ?? "")}/${String((b.metadata as Obj).name)}`;
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
    return {
      kind: `${r.kind}List`,
      apiVersion: r.group ? `${r.group}/${r.version}` : r.version,
      metadata: { resourceVersion: String(rv) },
      items,
    };
  };

  const apply = (path: string, query: URLSearchParams, raw: string): [number, Obj] => {
    const manager = query.get("fieldManager");
    if (!manager) {
      return [
        422,
        status(
          422,
          "Invalid",
          'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
        ),
      ];
    }
    const t = parseApiPath(path);
    const r = t && findResource(t);
    if (!t || !r || !t.name)
      return [404, status(404, "NotFound", "the server could not find the requested resource")];
    let body: Obj;
    try {
      body = parse(raw) as Obj;
    } catch (err) {
      return [400, status(400, "BadRequest", `error decoding YAML: ${(err as Error).message}`)];
    }
    const md = (body?.metadata ?? {}) as Obj;
    if (body?.kind !== r.kind || body.apiVersion !== (r.group ? `${r.group}/${r.version}` : r.version)) {
      return [
        400,
        status(
          400,
          "BadRequest",
          `the apiVersion/kind of the body (${String(body?.apiVersion)}/${String(body?.kind)}) does not match the path`,
        ),
      ];
    }
    if (md.name !== t.name)
      return [400, status(400, "BadRequest", "the name of the object does not match the name on the URL")];
    if (r.namespaced && !objects.has(`/api/v1/namespaces/${t.namespace}`)) {
      return [
        404,
        status(404, "NotFound", `namespaces "${t.namespace}" not found`, {
          name: t.namespace,
          kind: "namespaces",
        }),
      ];
    }
    const current = objects.get(path);
    const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    const res = serverSideApply(
      current,
      managed.get(path) ?? [],
      body,
      manager,
      query.get("force") === "true",
      now,
    );
    if (res.conflicts.length > 0) {
      const causes = res.conflicts.map((c) => ({
        type: "FieldManagerConflict",
        message: `conflict with "${c.manager}" using ${c.apiVersion}`,
        field: c.field,
      }));
      const lines = res.conflicts.map(
        (c) => `conflict with "${c.manager}" using ${c.apiVersion}: ${c.field}`,
      );
      const message = `Apply failed with ${res.conflicts.length} conflict${res.conflicts.length > 1 ? "s" : ""}: ${lines.join("; ")}`;
      return [409, status(409, "Conflict", message, { name: t.name, kind: r.name, causes })];
    }
    const dryRun = query.get("dryRun") === "All";
    if (!res.changed && current) return [200, view(path, current)];
    const stored = stamp(res.object, current, t);
    if (r.kind === "CustomResourceDefinition" && r.group === "apiextensions.k8s.io" && !dryRun)
      registerCrd(stored);
    if (dryRun)
      return [
        current ? 200 : 201,
        { ...stored, metadata: { ...(stored.metadata as Obj), managedFields: managedFieldsOf(res.entries) } },
      ];
    objects.set(path, stored);
    managed.set(path, res.entries);
    return [current ? 200 : 201, view(path, stored)];
  };

  const server = http.createServer((req, res) => {
    const [path, qs] = (req.url ?? "/").split("?");
    const query = new URLSearchParams(qs ?? "");
    requests.push(`${req.method} ${path}`);
    const send = (code: number, body: Obj) => {
      res.writeHead(code, { "Content-Type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${token}`) {
      send(401, status(401, "Unauthorized", "Unauthorized"));
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.method === "GET") {
        const n = (gets.get(path) ?? 0) + 1;
        gets.set(path, n);
        fake.onGet?.(path, n);
        const d = discovery(path);
        if (d) return send(200, d);
        const o = objects.get(path);
        if (o) return send(200, view(path, o));
        const t = parseApiPath(path);
        const r = t && findResource(t);
        if (t && r && t.name === undefined) return send(200, list(t, r));
        return send(404, status(404, "NotFound", `${path} not found`));
      }
      if (req.method === "PATCH") {
        patchQueries.push(qs ?? "");
        const raw = Buffer.concat(chunks).toString("utf8");
        const type = req.headers["content-type"];
        if (type === "application/apply-patch+yaml") {
          const [code, body] = apply(path, query, raw);
          return send(code, body);
        }
        if (type !== "application/merge-patch+json") {
          return send(
            415,
            status(415, "UnsupportedMediaType", "only merge patch and server-side apply here"),
          );
        }
        const o = objects.get(path);
        if (!o) return send(404, status(404, "NotFound", `${path} not found`));
        const body = JSON.parse(raw) as Obj;
        patches.push({ path, body });
        const next = mergePatch(o, body) as Obj;
        const now = new Date().toISOString();
        managed.set(
          path,
          recordUpdate(
            o,
            next,
            managed.get(path) ?? [],
            query.get("fieldManager") ?? "unknown",
            String(o.apiVersion),
            now,
          ),
        );
        objects.set(path, next);
        return send(200, view(path, next));
      }
      send(405, status(405, "MethodNotAllowed", String(req.method)));
    });
  });
  // every cluster has these from its first start
  for (const name of ["default", "kube-system", "kube-public", "kube-node-lease"]) {
    fake.put({ apiVersion: "v1", kind: "Namespace", metadata: { name } }, "kube-apiserver");
  }
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  fake.url = `http://127.0.0.1:${port}`;
  fake.kubeconfig = (namespace?: string) =>
    [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      "  - name: fake",
      "    cluster:",
      `      server: ${fake.url}`,
      "users:",
      "  - name: tester",
      "    user:",
      `      token: ${token}`,
      "contexts:",
      "  - name: fake",
      "    context:",
      "      cluster: fake",
      "      user: tester",
      ...(namespace ? [`      namespace: ${namespace}`] : []),
      "current-context: fake",
      "",
    ].join("\n");
  fake.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections?.();
      server.close(() => r());
    });
  return fake as FakeKube;
}
