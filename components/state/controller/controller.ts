// The controller's IO: sample HAProxy and PostgreSQL, keep the history, ask `decide`, run the
// failover steps, record every event. Also the operator's steps (status, promote, failback)
// that `npm run failover` and the shipped `jsp-failover` command run.
import { execFile } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import type { ControllerConfig, DbEndpoint } from "./config";
import { decide, Decision, Phase, prune, Sample } from "./decide";
import { primarySiteView, parseServersState, query } from "./haproxy";
import { fence, probe, promote, replicaStatus, unfence, walPositions } from "./pg";

export interface PersistedState {
  phase: Phase;
  /** site currently serving as primary */
  primarySite: string;
  since: string;
  lastDecision?: Decision & { at: string };
}

export interface ControllerEvent {
  at: string;
  event: string;
  [k: string]: unknown;
}

export function statePath(cfg: ControllerConfig): string {
  return join(cfg.stateDir, "state.json");
}

export function loadState(cfg: ControllerConfig): PersistedState {
  const p = statePath(cfg);
  if (!existsSync(p))
    return { phase: "watching", primarySite: cfg.primary.site, since: new Date().toISOString() };
  return JSON.parse(readFileSync(p, "utf8")) as PersistedState;
}

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

export function saveState(cfg: ControllerConfig, s: PersistedState): void {
  mkdirSync(cfg.stateDir, { recursive: true });
  writeAtomic(statePath(cfg), `${JSON.stringify(s, null, 2)}\n`);
}

export function record(
  cfg: ControllerConfig,
  event: string,
  detail: Record<string, unknown> = {},
): ControllerEvent {
  const e: ControllerEvent = { at: new Date().toISOString(), event, ...detail };
  mkdirSync(cfg.stateDir, { recursive: true });
  appendFileSync(join(cfg.stateDir, "events.jsonl"), `${JSON.stringify(e)}\n`);
  console.log(`jsp-failover ${event} ${JSON.stringify(detail)}`);
  return e;
}

export function readEvents(cfg: ControllerConfig): ControllerEvent[] {
  const p = join(cfg.stateDir, "events.jsonl");
  if (!existsSync(p)) return [];
  return readFileSync(p, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as ControllerEvent);
}

export function isLeader(cfg: ControllerConfig): boolean {
  if (!cfg.leaderVip) return true;
  return Object.values(networkInterfaces()).some((addrs) =>
    (addrs ?? []).some((a) => a.address === cfg.leaderVip),
  );
}

export async function takeSample(cfg: ControllerConfig): Promise<Sample> {
  let backends: Sample["backends"];
  try {
    const text = await query(cfg.haproxy.socket, "show servers state");
    backends = primarySiteView(
      parseServersState(text),
      cfg.haproxy.backends,
      new RegExp(cfg.haproxy.primaryServerPattern),
    );
  } catch {
    backends = undefined;
  }
  const [primaryDb, replica] = await Promise.all([
    cfg.probePrimary
      ? probe(cfg.psqlPath, cfg.primary).then((r): Sample["primaryDb"] => (r.ok ? "ok" : "down"))
      : Promise.resolve<Sample["primaryDb"]>("skipped"),
    replicaStatus(cfg.psqlPath, cfg.replica),
  ]);
  return { at: Date.now(), backends, primaryDb, replica };
}

/** Points the applications at `target`. */
export async function pointAt(
  cfg: ControllerConfig,
  target: DbEndpoint,
): Promise<{ ok: boolean; detail: string }> {
  const p = cfg.pointer;
  if (p.kind === "file") {
    const body = { host: target.host, port: target.port, site: target.site, since: new Date().toISOString() };
    writeAtomic(p.path, `${JSON.stringify(body)}\n`);
    return { ok: true, detail: `wrote ${p.path}` };
  }
  return new Promise((resolve) => {
    execFile(
      p.argv[0],
      p.argv.slice(1),
      {
        timeout: p.timeoutSeconds * 1000,
        env: {
          ...process.env,
          NEW_PRIMARY_HOST: target.host,
          NEW_PRIMARY_PORT: String(target.port),
          NEW_PRIMARY_SITE: target.site,
        },
      },
      (err, _out, stderr) =>
        resolve({ ok: !err, detail: err ? `${err.message} ${String(stderr)}`.trim() : `ran ${p.argv[0]}` }),
    );
  });
}

/**
 * The failover steps, each idempotent so that a controller restarted half-way finishes the
 * job: fence the old primary if it answers, promote the local replica, point the apps, record.
 */
export async function runFailover(cfg: ControllerConfig, why: Record<string, unknown>): Promise<boolean> {
  const state = loadState(cfg);
  saveState(cfg, { ...state, phase: "failing-over", since: new Date().toISOString() });
  record(cfg, "failover-started", why);
  const old = await probe(cfg.psqlPath, cfg.primary);
  if (old.ok && old.inRecovery === false) {
    const f = await fence(cfg.psqlPath, cfg.primary);
    record(cfg, f.ok ? "old-primary-fenced" : "old-primary-fence-failed", { detail: f.detail });
  } else {
    record(cfg, "old-primary-unreachable", { detail: old.err ?? "in recovery" });
  }
  const p = await promote(cfg.psqlPath, cfg.replica);
  record(cfg, p.ok ? "replica-promoted" : "promote-failed", { site: cfg.replica.site, detail: p.detail });
  if (!p.ok) return false;
  const pt = await pointAt(cfg, cfg.replica);
  record(cfg, pt.ok ? "apps-pointed" : "point-failed", { site: cfg.replica.site, detail: pt.detail });
  if (!pt.ok) return false;
  saveState(cfg, { phase: "failed-over", primarySite: cfg.replica.site, since: new Date().toISOString() });
  record(cfg, "failover-done", { primarySite: cfg.replica.site });
  return true;
}

/** The watch loop; returns when `stop()` is called (SIGTERM from systemd). */
export async function runController(cfg: ControllerConfig, opts: { maxTicks?: number } = {}): Promise<void> {
  let stopped = false;
  const stop = () => {
    stopped = true;
  };
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  let history: Sample[] = [];
  let ticks = 0;
  let lastReason = "";
  record(cfg, "controller-started", {
    localSite: cfg.localSite,
    watching: cfg.primary.site,
    phase: loadState(cfg).phase,
  });
  while (!stopped && (opts.maxTicks === undefined || ticks < opts.maxTicks)) {
    ticks++;
    const started = Date.now();
    const sample = await takeSample(cfg);
    history.push(sample);
    history = prune(history, cfg.policy, sample.at);
    const state = loadState(cfg);
    if (state.phase === "failed-over" && cfg.probePrimary) {
      // The old primary came back: it must not take writes. Fence it; never fail back.
      // (Only where a network path to it exists, i.e. probePrimary; otherwise synchronous
      // replication keeps it from committing: docs/failover.md.)
      const old = await probe(cfg.psqlPath, cfg.primary);
      if (old.ok && old.inRecovery === false && old.readOnly === false && isLeader(cfg)) {
        const f = await fence(cfg.psqlPath, cfg.primary);
        record(cfg, f.ok ? "returned-primary-fenced" : "returned-primary-fence-failed", { detail: f.detail });
      }
    }
    const d = decide(history, state.phase, cfg.policy, sample.at);
    if (d.reason !== lastReason) {
      record(cfg, "decision", { action: d.action, reason: d.reason });
      lastReason = d.reason;
    }
    saveState(cfg, { ...loadState(cfg), lastDecision: { ...d, at: new Date(sample.at).toISOString() } });
    if (d.action !== "none") {
      if (!isLeader(cfg)) {
        record(cfg, "not-leader", { detail: `VIP ${cfg.leaderVip} is not here; the peer edge host acts` });
      } else {
        await runFailover(cfg, { reason: d.reason, evidence: d.evidence, samples: history.slice(-3) });
      }
    }
    const wait = Math.max(0, cfg.intervalSeconds * 1000 - (Date.now() - started));
    await new Promise((r) => setTimeout(r, wait));
  }
  record(cfg, "controller-stopped", {});
}

export interface StatusReport {
  state: PersistedState;
  primary: Awaited<ReturnType<typeof probe>>;
  replica: Awaited<ReturnType<typeof replicaStatus>>;
  backends?: { up: number; total: number };
  lastEvents: ControllerEvent[];
}

export async function status(cfg: ControllerConfig): Promise<StatusReport> {
  const s = await takeSample(cfg);
  return {
    state: loadState(cfg),
    primary: await probe(cfg.psqlPath, cfg.primary),
    replica: s.replica,
    backends: s.backends,
    lastEvents: readEvents(cfg).slice(-10),
  };
}

/** Operator: promote now, without waiting for the evidence window. */
export async function manualPromote(cfg: ControllerConfig, operator: string): Promise<boolean> {
  return runFailover(cfg, { reason: "operator", operator });
}

/**
 * Operator: planned fail-back to the configured primary site. Precondition: the old primary
 * was rebuilt as a standby of the current primary (docs/failover.md) and has caught up. Then:
 * fence the current primary, wait for the standby to replay everything, promote it, lift its
 * fence, point the apps back, and return to watching.
 */
export async function failback(
  cfg: ControllerConfig,
  operator: string,
  waitSeconds = 60,
): Promise<{ ok: boolean; detail: string }> {
  const state = loadState(cfg);
  if (state.phase !== "failed-over")
    return { ok: false, detail: `phase is ${state.phase}; nothing to fail back` };
  const back = await replicaStatus(cfg.psqlPath, cfg.primary);
  if (!back.reachable || back.inRecovery !== true || back.streaming !== true) {
    return {
      ok: false,
      detail: `${cfg.primary.site} is not a streaming standby of ${cfg.replica.site} yet (reachable=${back.reachable}, inRecovery=${back.inRecovery}, streaming=${back.streaming}); rebuild it first (docs/failover.md, "Fail back")`,
    };
  }
  record(cfg, "failback-started", { operator });
  const f = await fence(cfg.psqlPath, cfg.replica);
  if (!f.ok) return { ok: false, detail: `could not fence ${cfg.replica.site}: ${f.detail}` };
  const deadline = Date.now() + waitSeconds * 1000;
  let pos = await walPositions(cfg.psqlPath, cfg.replica, cfg.primary);
  while (!pos.caughtUp && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    pos = await walPositions(cfg.psqlPath, cfg.replica, cfg.primary);
  }
  if (!pos.caughtUp) {
    await unfence(cfg.psqlPath, cfg.replica);
    return {
      ok: false,
      detail: `standby did not catch up in ${waitSeconds} s; ${cfg.replica.site} unfenced, nothing changed`,
    };
  }
  const p = await promote(cfg.psqlPath, cfg.primary);
  if (!p.ok) return { ok: false, detail: `promote of ${cfg.primary.site} failed: ${p.detail}` };
  await unfence(cfg.psqlPath, cfg.primary);
  const pt = await pointAt(cfg, cfg.primary);
  saveState(cfg, { phase: "watching", primarySite: cfg.primary.site, since: new Date().toISOString() });
  record(cfg, "failback-done", {
    operator,
    primarySite: cfg.primary.site,
    lsn: pos.primaryLsn,
    pointer: pt.detail,
  });
  return {
    ok: pt.ok,
    detail: `${cfg.primary.site} is primary again at ${pos.primaryLsn}; rebuild ${cfg.replica.site} as its standby`,
  };
}
