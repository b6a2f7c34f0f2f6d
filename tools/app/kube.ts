// A minimal Kubernetes API client for `npm run app`: reads a kubeconfig (current context,
// certificate or token auth) and speaks JSON over node's http/https. No extra dependency.
import { readFileSync } from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import { homedir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";

export interface KubeTarget {
  server: string;
  namespace?: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  token?: string;
  insecureSkipTlsVerify: boolean;
}

interface KubeconfigDoc {
  "current-context"?: string;
  clusters?: Array<{ name: string; cluster: Record<string, unknown> }>;
  users?: Array<{ name: string; user: Record<string, unknown> }>;
  contexts?: Array<{ name: string; context: { cluster: string; user: string; namespace?: string } }>;
}

/** The kubeconfig file to use: --kubeconfig, else the first of $KUBECONFIG, else ~/.kube/config. */
export function kubeconfigPath(explicit?: string): string {
  if (explicit) return explicit;
  const env = process.env.KUBECONFIG?.split(":").find((p) => p.length > 0);
  return env ?? join(homedir(), ".kube", "config");
}

function bytes(obj: Record<string, unknown>, dataKey: string, fileKey: string): Buffer | undefined {
  const data = obj[dataKey];
  if (typeof data === "string") return Buffer.from(data, "base64");
  const file = obj[fileKey];
  if (typeof file === "string") return readFileSync(file);
  return undefined;
}

/** Resolves the current context of a kubeconfig text into a target; throws naming what is missing. */
export function parseKubeconfig(text: string, context?: string): KubeTarget {
  const doc = (parse(text) ?? {}) as KubeconfigDoc;
  const ctxName = context ?? doc["current-context"];
  if (!ctxName) throw new Error("kubeconfig has no current-context (pass --context)");
  const ctx = doc.contexts?.find((c) => c.name === ctxName)?.context;
  if (!ctx) throw new Error(`kubeconfig has no context "${ctxName}"`);
  const cluster = doc.clusters?.find((c) => c.name === ctx.cluster)?.cluster;
  if (!cluster || typeof cluster.server !== "string")
    throw new Error(`kubeconfig has no cluster "${ctx.cluster}" with a server`);
  const user = doc.users?.find((u) => u.name === ctx.user)?.user ?? {};
  if (user.exec || user["auth-provider"]) {
    throw new Error(
      `user "${ctx.user}" uses an exec/auth-provider plugin; use a certificate or token kubeconfig`,
    );
  }
  return {
    server: cluster.server.replace(/\/+$/, ""),
    namespace: ctx.namespace,
    ca: bytes(cluster, "certificate-authority-data", "certificate-authority"),
    cert: bytes(user, "client-certificate-data", "client-certificate"),
    key: bytes(user, "client-key-data", "client-key"),
    token: typeof user.token === "string" ? user.token : undefined,
    insecureSkipTlsVerify: cluster["insecure-skip-tls-verify"] === true,
  };
}

export interface KubeResponse<T = Record<string, unknown>> {
  status: number;
  body: T;
}

export class KubeError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "KubeError";
  }
}

export const FIELD_MANAGER = "jetstream-paas-app";
/** The field manager of `npm run ab -- migrate`: objects it copied show it in managedFields. */
export const MIGRATE_FIELD_MANAGER = "jetstream-paas-ab";

export interface ApplyOptions {
  fieldManager: string;
  /** take fields other managers own (kubectl --force-conflicts) */
  force?: boolean;
  /** dryRun=All: the server answers with the result and stores nothing */
  dryRun?: boolean;
}

export class KubeClient {
  constructor(
    private readonly target: KubeTarget,
    private readonly timeoutMs = 15_000,
  ) {}

  request<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    contentType?: string,
  ): Promise<KubeResponse<T>> {
    const url = new URL(this.target.server + path);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { Accept: "application/json" };
    if (payload !== undefined) {
      headers["Content-Type"] = contentType ?? "application/json";
      headers["Content-Length"] = String(Buffer.byteLength(payload));
    }
    if (this.target.token) headers.Authorization = `Bearer ${this.target.token}`;
    const isHttps = url.protocol === "https:";
    const options: https.RequestOptions = {
      method,
      hostname: url.hostname,
      port: url.port || (isHttps ? 443 : 80),
      path: url.pathname + url.search,
      headers,
      timeout: this.timeoutMs,
    };
    if (isHttps) {
      options.ca = this.target.ca;
      options.cert = this.target.cert;
      options.key = this.target.key;
      options.rejectUnauthorized = !this.target.insecureSkipTlsVerify;
    }
    return new Promise((resolve, reject) => {
      const req = (isHttps ? https : http).request(options, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown = {};
          try {
            parsed = text ? JSON.parse(text) : {};
          } catch {
            parsed = { message: text };
          }
          resolve({ status: res.statusCode ?? 0, body: parsed as T });
        });
      });
      req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer in ${this.timeoutMs} ms`)));
      req.on("error", reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /** GET; undefined on 404; throws on any other non-2xx. */
  async get<T = Record<string, unknown>>(path: string): Promise<T | undefined> {
    const r = await this.request<T>("GET", path);
    if (r.status === 404) return undefined;
    if (r.status < 200 || r.status >= 300)
      throw new KubeError(r.status, `GET ${path}: HTTP ${r.status} ${message(r.body)}`);
    return r.body;
  }

  /**
   * JSON merge patch (RFC 7386) under a named field manager, so `managedFields` shows who moved
   * a field (and Pulumi's server-side apply reports a conflict instead of silently undoing it);
   * throws on non-2xx.
   */
  async mergePatch<T = Record<string, unknown>>(path: string, patch: unknown): Promise<T> {
    const sep = path.includes("?") ? "&" : "?";
    const r = await this.request<T>(
      "PATCH",
      `${path}${sep}fieldManager=${FIELD_MANAGER}`,
      patch,
      "application/merge-patch+json",
    );
    if (r.status < 200 || r.status >= 300)
      throw new KubeError(r.status, `PATCH ${path}: HTTP ${r.status} ${message(r.body)}`);
    return r.body;
  }

  /**
   * Server-side apply (application/apply-patch+yaml; JSON is valid YAML). Returns the answer
   * whatever its status, so the caller can tell a field-manager conflict (409) from a failure.
   */
  serverSideApply<T = Record<string, unknown>>(
    path: string,
    obj: unknown,
    o: ApplyOptions,
  ): Promise<KubeResponse<T>> {
    const q = new URLSearchParams({ fieldManager: o.fieldManager });
    if (o.force) q.set("force", "true");
    if (o.dryRun) q.set("dryRun", "All");
    return this.request<T>("PATCH", `${path}?${q.toString()}`, obj, "application/apply-patch+yaml");
  }
}

/** The `message` of a Kubernetes Status body, or "". */
export function statusMessage(body: unknown): string {
  return message(body);
}

function message(body: unknown): string {
  const m = (body as { message?: unknown })?.message;
  return typeof m === "string" ? m : "";
}
