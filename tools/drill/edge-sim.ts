// Pieces of the edge drill: an HTTP server that behaves like an Istio ingress node (app on
// the http NodePort, readiness `/healthz/ready` on 15021 and on the status NodePort), a
// bounded load generator, HAProxy and keepalived runners and a runtime-API client.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { join } from "node:path";
import { Proc, sleep, startInNs, waitFor } from "./netns";

/** Ingress-node stand-in: plain Node, no dependency, run with `ip netns exec NS node FILE`. */
export const INGRESS_NODE_JS = `// drill ingress node: app port answers with who served; readiness answers 200.
const http = require("node:http");
const [name, ip, appPorts, statusPorts] = process.argv.slice(2);
const handler = (kind) => (req, res) => {
  if (kind === "status") {
    res.writeHead(req.url === "/healthz/ready" ? 200 : 404, { "content-type": "text/plain" });
    return res.end(req.url === "/healthz/ready" ? "ready\\n" : "not found\\n");
  }
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    if (req.url === "/healthz/ready") { res.writeHead(200); return res.end("ready\\n"); }
    res.writeHead(200, { "content-type": "application/json", "x-served-by": name });
    res.end(JSON.stringify({ servedBy: name, method: req.method, bytes: body.length }) + "\\n");
  });
};
for (const p of appPorts.split(",")) http.createServer({ keepAliveTimeout: 15000 }, handler("app")).listen(Number(p), ip);
for (const p of statusPorts.split(",").filter(Boolean)) http.createServer(handler("status")).listen(Number(p), ip);
process.on("SIGTERM", () => process.exit(0));
`;

/**
 * Bounded load: RATE requests/s for SECONDS (at most RATE*SECONDS requests), CONC sockets,
 * each request with a 6 s timeout. Prints one JSON array of {t, ms, ok, status, by, err}.
 */
export const LOAD_JS = `// drill load generator: bounded in count and time.
const http = require("node:http");
const [url, rate, seconds, conc, method, keepAlive] = process.argv.slice(2);
const total = Math.floor(Number(rate) * Number(seconds));
const agent = new http.Agent({ keepAlive: keepAlive !== "close", maxSockets: Number(conc) });
const results = [];
let sent = 0, done = 0;
const start = Date.now();
function one() {
  const t = Date.now();
  const req = http.request(url, { method: method || "GET", agent, timeout: 6000 }, (res) => {
    res.resume();
    res.on("end", () => { results.push({ t, ms: Date.now() - t, ok: res.statusCode >= 200 && res.statusCode < 300, status: res.statusCode, by: res.headers["x-served-by"] || "" }); fin(); });
  });
  req.on("timeout", () => req.destroy(new Error("timeout")));
  req.on("error", (e) => { results.push({ t, ms: Date.now() - t, ok: false, status: 0, by: "", err: e.code || e.message }); fin(); });
  req.end();
}
function fin() { done++; if (done === total) { process.stdout.write(JSON.stringify(results)); process.exit(0); } }
const timer = setInterval(() => {
  const due = Math.min(total, Math.floor(((Date.now() - start) / 1000) * Number(rate)));
  while (sent < due) { sent++; one(); }
  if (sent >= total) clearInterval(timer);
}, 5);
setTimeout(() => { process.stdout.write(JSON.stringify(results)); process.exit(0); }, (Number(seconds) + 10) * 1000);
`;

export interface RequestResult {
  t: number;
  ms: number;
  ok: boolean;
  status: number;
  by: string;
  err?: string;
}

export function writeScripts(dir: string): { node: string; load: string } {
  const node = join(dir, "ingress-node.cjs");
  const load = join(dir, "load.cjs");
  writeFileSync(node, INGRESS_NODE_JS);
  writeFileSync(load, LOAD_JS);
  return { node, load };
}

/** Runs the load generator in `ns` and resolves with every request's result. */
export function runLoad(
  ns: string,
  script: string,
  url: string,
  opts: { rate: number; seconds: number; concurrency: number; method?: string },
): Promise<RequestResult[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      "ip",
      [
        "netns",
        "exec",
        ns,
        process.execPath,
        script,
        url,
        String(opts.rate),
        String(opts.seconds),
        String(opts.concurrency),
        opts.method ?? "GET",
        process.env.JSP_DRILL_CONN ?? "keep-alive",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    const killer = setTimeout(() => child.kill("SIGKILL"), (opts.seconds + 15) * 1000);
    child.on("exit", () => {
      clearTimeout(killer);
      try {
        resolve(JSON.parse(out) as RequestResult[]);
      } catch {
        reject(new Error(`load generator gave no report: ${err.slice(0, 400)}`));
      }
    });
  });
}

/** Sends one command to an HAProxy runtime API socket and returns the answer. */
export function runtimeApi(socket: string, command: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = createConnection(socket);
    let out = "";
    const t = setTimeout(() => {
      c.destroy();
      reject(new Error(`runtime API ${socket}: no answer to "${command}"`));
    }, timeoutMs);
    c.on("connect", () => c.write(`${command}\n`));
    c.on("data", (d) => (out += d.toString()));
    c.on("end", () => {
      clearTimeout(t);
      resolve(out);
    });
    c.on("error", (e) => {
      clearTimeout(t);
      reject(e);
    });
  });
}

export interface ServerState {
  backend: string;
  server: string;
  /** 0 stopped, 1 starting, 2 running, 3 soft-stopping (srv_op_state) */
  opState: number;
  adminState: number;
}

/** `show servers state` parsed. */
export async function serverStates(socket: string): Promise<ServerState[]> {
  const text = await runtimeApi(socket, "show servers state");
  const out: ServerState[] = [];
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || !/^\d+$/.test(f[0])) continue;
    out.push({ backend: f[1], server: f[3], opState: Number(f[5]), adminState: Number(f[6]) });
  }
  return out;
}

export interface HaproxyProc {
  proc: Proc;
  socket: string;
  /** SIGUSR2 to the master: seamless reload (master-worker) */
  reload(): void;
}

/** Starts HAProxy (master-worker, foreground) in `ns` and waits for its runtime API. */
export async function startHaproxy(
  ns: string,
  name: string,
  cfg: string,
  socket: string,
  log: string,
  env: Record<string, string>,
  masterWorker = true,
): Promise<HaproxyProc> {
  // env vars reach haproxy through `env`: ip netns exec keeps the environment
  for (const [k, v] of Object.entries(env)) process.env[k] = v;
  const proc = startInNs(ns, name, "haproxy", [...(masterWorker ? ["-W"] : ["-db"]), "-f", cfg], log);
  const up = await waitFor(
    async () => (await runtimeApi(socket, "show info", 500)).includes("Name: HAProxy"),
    5000,
  );
  if (!up) throw new Error(`HAProxy ${name} did not come up; see ${log}`);
  return {
    proc,
    socket,
    reload: () => process.kill(proc.pid, "SIGUSR2"),
  };
}

/** Time (ms epoch) at which `probe` first became true, polling every `everyMs`, or undefined. */
export async function firstTrue(
  probe: () => Promise<boolean>,
  timeoutMs: number,
  everyMs = 50,
): Promise<number | undefined> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    try {
      if (await probe()) return Date.now();
    } catch {
      // not ready
    }
    await sleep(everyMs);
  }
  return undefined;
}
