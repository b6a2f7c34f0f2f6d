// A fake Kubernetes API server on 127.0.0.1 for tests of `npm run app`: an in-memory object
// store keyed by API path that answers GET and JSON merge-patch PATCH like the real API
// (404 Status for missing objects, 401 without the bearer token, 415 for other patch types).
// The Kubernetes API is the one thing tests may mock; everything else runs for real.
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export type Obj = Record<string, unknown>;

export interface FakeKube {
  url: string;
  token: string;
  objects: Map<string, Obj>;
  /** every request, "METHOD path" (query removed) */
  requests: string[];
  /** query strings of PATCH requests, in order */
  patchQueries: string[];
  patches: Array<{ path: string; body: Obj }>;
  /** called before a GET is answered, to let a test change state over time */
  onGet?: (path: string, count: number) => void;
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

function status(code: number, reason: string, message: string): Obj {
  return { kind: "Status", apiVersion: "v1", status: "Failure", code, reason, message };
}

export async function startFakeKube(token = "test-token"): Promise<FakeKube> {
  const objects = new Map<string, Obj>();
  const requests: string[] = [];
  const patches: Array<{ path: string; body: Obj }> = [];
  const patchQueries: string[] = [];
  const gets = new Map<string, number>();
  const fake: Partial<FakeKube> = { token, objects, requests, patches, patchQueries };
  const server = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
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
        const o = objects.get(path);
        if (o) send(200, o);
        else send(404, status(404, "NotFound", `${path} not found`));
        return;
      }
      if (req.method === "PATCH") {
        patchQueries.push((req.url ?? "").split("?")[1] ?? "");
        if (req.headers["content-type"] !== "application/merge-patch+json") {
          send(415, status(415, "UnsupportedMediaType", "only merge patch here"));
          return;
        }
        const o = objects.get(path);
        if (!o) {
          send(404, status(404, "NotFound", `${path} not found`));
          return;
        }
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Obj;
        patches.push({ path, body });
        const next = mergePatch(o, body) as Obj;
        objects.set(path, next);
        send(200, next);
        return;
      }
      send(405, status(405, "MethodNotAllowed", String(req.method)));
    });
  });
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
  fake.close = () => new Promise<void>((r) => server.close(() => r()));
  return fake as FakeKube;
}
