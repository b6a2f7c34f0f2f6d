// A fake Kubernetes API server on 127.0.0.1 that the real kubectl can talk to, for the pipeline
// test: discovery for the kinds the pipeline touches, GET/LIST/WATCH, PATCH (merge and the
// strategic merge kubectl set image sends), bearer tokens mapped to subjects, and every request
// authorized with Kubernetes' RBAC rules over the rendered Role/RoleBinding objects
// (test/harness/rbac.ts). A tiny deployment "controller" completes a rollout on each patch,
// unless the test marked the deployment as failing (progress deadline exceeded).
// Separate from test/harness/fake-kube.ts (used by `npm run app` tests) on purpose.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type * as http from "node:http";
import * as https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { allowed, Request, Subject } from "./rbac";

type Obj = Record<string, unknown> & { metadata?: Record<string, unknown> };

interface Kind {
  group: string;
  version: string;
  resource: string;
  kind: string;
  namespaced: boolean;
}

export const KINDS: readonly Kind[] = [
  { group: "", version: "v1", resource: "namespaces", kind: "Namespace", namespaced: false },
  { group: "", version: "v1", resource: "services", kind: "Service", namespaced: true },
  { group: "", version: "v1", resource: "configmaps", kind: "ConfigMap", namespaced: true },
  { group: "", version: "v1", resource: "secrets", kind: "Secret", namespaced: true },
  { group: "", version: "v1", resource: "pods", kind: "Pod", namespaced: true },
  { group: "apps", version: "v1", resource: "deployments", kind: "Deployment", namespaced: true },
  { group: "flagger.app", version: "v1beta1", resource: "canaries", kind: "Canary", namespaced: true },
  {
    group: "networking.istio.io",
    version: "v1",
    resource: "virtualservices",
    kind: "VirtualService",
    namespaced: true,
  },
];

export interface FakeApiServer {
  url: string;
  /** key `<group>/<resource>/<namespace>/<name>` */
  objects: Map<string, Obj>;
  /** "VERB group/resource ns/name -> status" for every resource request */
  log: string[];
  /** deployments (`ns/name`) whose next rollout fails with ProgressDeadlineExceeded */
  failingRollouts: Set<string>;
  put(o: Obj): void;
  get(group: string, resource: string, ns: string, name: string): Obj | undefined;
  /** a kubeconfig for a token (TLS with the fake's own CA) */
  kubeconfig(token: string): string;
  close(): Promise<void>;
}

const VERB: Record<string, string> = {
  GET: "get",
  PATCH: "patch",
  PUT: "update",
  POST: "create",
  DELETE: "delete",
};

function status(code: number, reason: string, message: string): Obj {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", code, reason, message };
}

/** Strategic merge, as far as kubectl set image needs it: lists of named objects merge by name. */
export function strategicMerge(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== "object") return patch;
  if (Array.isArray(patch)) {
    if (!Array.isArray(target) || !patch.every((p) => p && typeof p === "object" && "name" in p))
      return patch;
    const out = [...(target as Obj[])];
    for (const p of patch as Obj[]) {
      const i = out.findIndex((t) => t.name === p.name);
      if (i >= 0) out[i] = strategicMerge(out[i], p) as Obj;
      else out.push(p);
    }
    return out;
  }
  const out: Obj =
    target && typeof target === "object" && !Array.isArray(target) ? { ...(target as Obj) } : {};
  for (const [k, v] of Object.entries(patch as Obj)) {
    if (k.startsWith("$")) continue;
    if (v === null) delete out[k];
    else out[k] = strategicMerge(out[k], v);
  }
  return out;
}

function discovery(): Record<string, Obj> {
  const docs: Record<string, Obj> = {
    "/api": { kind: "APIVersions", versions: ["v1"], serverAddressByClientCIDRs: [] },
    "/version": { major: "1", minor: "35", gitVersion: "v1.35.4-fake", platform: "linux/amd64" },
  };
  const groups = new Map<string, Kind[]>();
  for (const k of KINDS)
    groups.set(`${k.group}/${k.version}`, [...(groups.get(`${k.group}/${k.version}`) ?? []), k]);
  const apiGroups: Obj[] = [];
  for (const [gv, kinds] of groups) {
    const [group, version] = gv.split("/");
    const path = group === "" ? `/api/${version}` : `/apis/${group}/${version}`;
    docs[path] = {
      kind: "APIResourceList",
      apiVersion: "v1",
      groupVersion: group === "" ? version : `${group}/${version}`,
      resources: kinds.map((k) => ({
        name: k.resource,
        singularName: k.kind.toLowerCase(),
        namespaced: k.namespaced,
        kind: k.kind,
        verbs: ["get", "list", "watch", "patch", "update", "create", "delete"],
      })),
    };
    if (group !== "") {
      const gvd = { groupVersion: `${group}/${version}`, version };
      apiGroups.push({ name: group, versions: [gvd], preferredVersion: gvd });
    }
  }
  docs["/apis"] = { kind: "APIGroupList", apiVersion: "v1", groups: apiGroups };
  return docs;
}

interface Parsed {
  kind: Kind;
  namespace?: string;
  name?: string;
}

function parsePath(path: string): Parsed | undefined {
  const m =
    /^\/api\/(v1)(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?$/.exec(path) ??
    /^\/apis\/([^/]+\/[^/]+)(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?$/.exec(path);
  if (!m) return undefined;
  const gv = m[1] === "v1" ? "/v1" : m[1];
  const [group, version] = gv.split("/");
  // /api/v1/namespaces/<name> is the namespace itself
  let ns: string | undefined = m[2];
  let res = m[3];
  let name = m[4];
  if (
    m[2] !== undefined &&
    m[3] !== undefined &&
    m[4] === undefined &&
    !KINDS.some((k) => k.resource === m[3])
  ) {
    ns = undefined;
    res = "namespaces";
    name = m[2];
  }
  const kind = KINDS.find((k) => k.group === group && k.version === version && k.resource === res);
  return kind ? { kind, namespace: ns, name } : undefined;
}

/** A throwaway self-signed certificate for 127.0.0.1 (openssl): kubectl sends tokens only over TLS. */
export function loopbackCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), "jsp-fake-api-tls-"));
  try {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=fake-apiserver",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ],
      { stdio: "pipe" },
    );
    return {
      key: readFileSync(join(dir, "key.pem"), "utf8"),
      cert: readFileSync(join(dir, "cert.pem"), "utf8"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function startFakeApiServer(opts: {
  rbac: readonly Obj[];
  tokens: Record<string, Subject>;
}): Promise<FakeApiServer> {
  const objects = new Map<string, Obj>();
  const log: string[] = [];
  const failingRollouts = new Set<string>();
  const watchers = new Set<{ key: (o: Obj) => boolean; res: http.ServerResponse }>();
  let rv = 1;
  const docs = discovery();
  const key = (g: string, r: string, ns: string | undefined, n: string) => `${g}/${r}/${ns ?? ""}/${n}`;
  const notify = (type: string, o: Obj) => {
    for (const w of watchers) if (w.key(o)) w.res.write(`${JSON.stringify({ type, object: o })}\n`);
  };
  const store = (g: string, r: string, o: Obj) => {
    const md = (o.metadata ??= {});
    md.resourceVersion = String(++rv);
    objects.set(key(g, r, md.namespace as string | undefined, md.name as string), o);
    return o;
  };

  const tls = loopbackCertificate();
  const server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const path = url.pathname;
    const send = (code: number, body: Obj) => {
      res.writeHead(code, { "Content-Type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method === "GET" && docs[path]) return send(200, docs[path]);
    const parsed = parsePath(path);
    if (!parsed) return send(404, status(404, "NotFound", `${path} not found`));
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    const subject = token ? opts.tokens[token] : undefined;
    if (!subject) {
      log.push(`401 ${req.method} ${path} auth=${req.headers.authorization ?? "none"}`);
      return send(401, status(401, "Unauthorized", "Unauthorized"));
    }
    const watch = url.searchParams.get("watch") === "true" || url.searchParams.get("watch") === "1";
    const verb =
      req.method === "GET" ? (parsed.name ? "get" : watch ? "watch" : "list") : VERB[req.method ?? ""];
    const q: Request = {
      verb,
      apiGroup: parsed.kind.group,
      resource: parsed.kind.resource,
      namespace: parsed.kind.namespaced ? parsed.namespace : undefined,
      name: parsed.name,
    };
    const where = `${parsed.kind.group || "core"}/${parsed.kind.resource} ${parsed.namespace ?? "-"}/${parsed.name ?? "*"}`;
    if (!allowed(opts.rbac as never, subject, q)) {
      log.push(`${verb} ${where} -> 403`);
      return send(
        403,
        status(
          403,
          "Forbidden",
          `${parsed.kind.resource} is forbidden: User "${subject.user}" cannot ${verb} resource "${parsed.kind.resource}" in namespace "${parsed.namespace ?? ""}"`,
        ),
      );
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const k = parsed.kind;
      if (verb === "get") {
        const o = objects.get(key(k.group, k.resource, parsed.namespace, parsed.name!));
        log.push(`get ${where} -> ${o ? 200 : 404}`);
        return o
          ? send(200, o)
          : send(404, status(404, "NotFound", `${k.resource} "${parsed.name}" not found`));
      }
      if (verb === "list" || verb === "watch") {
        const nameSel = /metadata\.name=([^,]+)/.exec(url.searchParams.get("fieldSelector") ?? "")?.[1];
        const match = (o: Obj) =>
          `${k.group}/${k.resource}` === String(o.__kind) &&
          (parsed.namespace === undefined || o.metadata?.namespace === parsed.namespace) &&
          (nameSel === undefined || o.metadata?.name === nameSel);
        const items = [...objects.values()].filter(match).map(strip);
        log.push(`${verb} ${where} -> 200`);
        if (verb === "list") {
          return send(200, {
            kind: `${k.kind}List`,
            apiVersion: k.group ? `${k.group}/${k.version}` : "v1",
            metadata: { resourceVersion: String(rv) },
            items,
          });
        }
        res.writeHead(200, { "Content-Type": "application/json", "Transfer-Encoding": "chunked" });
        res.flushHeaders();
        const w = { key: (o: Obj) => match({ ...o, __kind: `${k.group}/${k.resource}` }), res };
        watchers.add(w);
        const timeout = Number(url.searchParams.get("timeoutSeconds") ?? "30");
        const t = setTimeout(() => res.end(), Math.min(timeout, 30) * 1000);
        req.on("close", () => {
          clearTimeout(t);
          watchers.delete(w);
        });
        return;
      }
      if (verb === "patch") {
        const cur = objects.get(key(k.group, k.resource, parsed.namespace, parsed.name!));
        if (!cur) {
          log.push(`patch ${where} -> 404`);
          return send(404, status(404, "NotFound", `${k.resource} "${parsed.name}" not found`));
        }
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Obj;
        let next = strategicMerge(cur, body) as Obj;
        if (k.resource === "deployments")
          next = rollout(next, failingRollouts.has(`${parsed.namespace}/${parsed.name}`));
        store(k.group, k.resource, next);
        log.push(`patch ${where} -> 200`);
        notify("MODIFIED", strip(next));
        return send(200, strip(next));
      }
      log.push(`${verb} ${where} -> 405`);
      send(405, status(405, "MethodNotAllowed", `${verb} is not served by the fake`));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  const fake: FakeApiServer = {
    url: `https://127.0.0.1:${port}`,
    objects,
    log,
    failingRollouts,
    put(o: Obj) {
      const [group] = String(o.apiVersion).includes("/") ? String(o.apiVersion).split("/") : [""];
      const kind = KINDS.find((x) => x.kind === o.kind && x.group === group);
      if (!kind) throw new Error(`fake: unknown kind ${String(o.kind)}`);
      store(kind.group, kind.resource, { ...structuredClone(o), __kind: `${kind.group}/${kind.resource}` });
    },
    get(group, resource, ns, name) {
      const o = objects.get(key(group, resource, ns, name));
      return o ? strip(o) : undefined;
    },
    kubeconfig(token: string) {
      return [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        `  - name: fake\n    cluster:\n      server: ${fake.url}\n      certificate-authority-data: ${Buffer.from(tls.cert).toString("base64")}`,
        `users:\n  - name: deployer\n    user:\n      token: ${token}`,
        "contexts:\n  - name: fake\n    context:\n      cluster: fake\n      user: deployer",
        "current-context: fake",
        "",
      ].join("\n");
    },
    close: () =>
      new Promise<void>((r) => {
        for (const w of watchers) w.res.end();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
  return fake;
}

function strip(o: Obj): Obj {
  const { __kind: _drop, ...rest } = o;
  void _drop;
  return rest;
}

/** The deployment controller's part: a new generation, then either rolled out or failed. */
function rollout(d: Obj, fail: boolean): Obj {
  const md = d.metadata as Record<string, unknown>;
  const generation = Number(md.generation ?? 1) + 1;
  const replicas = Number((d.spec as { replicas?: number }).replicas ?? 1);
  const statusObj = fail
    ? {
        observedGeneration: generation,
        replicas: replicas + 1,
        updatedReplicas: 1,
        availableReplicas: replicas,
        conditions: [
          {
            type: "Progressing",
            status: "False",
            reason: "ProgressDeadlineExceeded",
            message: "image pull failed",
          },
        ],
      }
    : {
        observedGeneration: generation,
        replicas,
        updatedReplicas: replicas,
        readyReplicas: replicas,
        availableReplicas: replicas,
        conditions: [
          { type: "Available", status: "True", reason: "MinimumReplicasAvailable" },
          { type: "Progressing", status: "True", reason: "NewReplicaSetAvailable" },
        ],
      };
  return { ...d, metadata: { ...md, generation }, status: statusObj };
}
