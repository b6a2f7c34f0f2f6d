// Smoke checks through the pre-live frontend: per app, N GETs of a path with the app's Host
// header; each must answer the expected status (and body text), and the 95th percentile of
// the response times must stay within the bound. Bounded in count and time by the config.
import * as http from "node:http";
import * as https from "node:https";
import type { SmokeCheckConfig } from "../../components/config";

export interface SmokeResult {
  name: string;
  host: string;
  path: string;
  requests: number;
  ok: number;
  failed: number;
  p50Ms: number;
  p95Ms: number;
  p95BoundMs: number;
  passed: boolean;
  /** a few distinct failure reasons */
  errors: string[];
}

export interface SmokeReport {
  via: string;
  slot: string;
  version?: string;
  startedAt: string;
  passed: boolean;
  checks: SmokeResult[];
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

interface One {
  ms: number;
  error?: string;
}

function once(url: URL, check: SmokeCheckConfig, agent: http.Agent, timeoutMs: number): Promise<One> {
  const t0 = process.hrtime.bigint();
  const lib = url.protocol === "https:" ? https : http;
  return new Promise((resolve) => {
    const req = lib.request(
      url,
      {
        method: "GET",
        agent,
        headers: { Host: check.host, "User-Agent": "jetstream-paas-ab-smoke" },
        timeout: timeoutMs,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => {
          if (body.length < 65_536) body += c;
        });
        res.on("end", () => {
          const ms = Number(process.hrtime.bigint() - t0) / 1e6;
          if (res.statusCode !== check.expectStatus)
            return resolve({ ms, error: `HTTP ${res.statusCode} (expected ${check.expectStatus})` });
          if (check.bodyContains && !body.includes(check.bodyContains))
            return resolve({ ms, error: `body lacks "${check.bodyContains}"` });
          resolve({ ms });
        });
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on("error", (e: NodeJS.ErrnoException) =>
      resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, error: e.code ?? e.message }),
    );
    req.end();
  });
}

async function runCheck(
  base: string,
  check: SmokeCheckConfig,
  timeoutMs: number,
  concurrency: number,
): Promise<SmokeResult> {
  const url = new URL(check.path, base);
  const agent = new (url.protocol === "https:" ? https.Agent : http.Agent)({
    keepAlive: true,
    maxSockets: concurrency,
  });
  const results: One[] = [];
  let next = 0;
  const worker = async () => {
    while (next < check.requests) {
      next += 1;
      results.push(await once(url, check, agent, timeoutMs));
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, check.requests) }, worker));
  agent.destroy();
  const times = results.map((r) => r.ms).sort((a, b) => a - b);
  const failed = results.filter((r) => r.error);
  const p95 = percentile(times, 95);
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    name: check.name,
    host: check.host,
    path: check.path,
    requests: results.length,
    ok: results.length - failed.length,
    failed: failed.length,
    p50Ms: round(percentile(times, 50)),
    p95Ms: round(p95),
    p95BoundMs: check.p95Ms,
    passed: failed.length === 0 && p95 <= check.p95Ms,
    errors: [...new Set(failed.map((f) => f.error!))].slice(0, 3),
  };
}

export async function runSmoke(
  via: string,
  checks: readonly SmokeCheckConfig[],
  o: { timeoutMs: number; concurrency: number; slot: string; version?: string; log: (line: string) => void },
): Promise<SmokeReport> {
  const startedAt = new Date().toISOString();
  const results: SmokeResult[] = [];
  for (const c of checks) {
    o.log(`    ${c.name}: ${c.requests} x GET ${c.path} Host: ${c.host}`);
    results.push(await runCheck(via, c, o.timeoutMs, o.concurrency));
  }
  return {
    via,
    slot: o.slot,
    version: o.version,
    startedAt,
    passed: results.every((r) => r.passed),
    checks: results,
  };
}

/** The report as a table, one row per check. */
export function smokeTable(r: SmokeReport): string[] {
  const rows = [["check", "host", "path", "ok/requests", "p50 ms", "p95 ms (bound)", "result"]];
  for (const c of r.checks) {
    rows.push([
      c.name,
      c.host,
      c.path,
      `${c.ok}/${c.requests}`,
      String(c.p50Ms),
      `${c.p95Ms} (${c.p95BoundMs})`,
      c.passed ? "passed" : `FAILED ${c.errors.join("; ")}`.trim(),
    ]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  return rows.map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]))
      .join("  ")
      .trimEnd(),
  );
}
