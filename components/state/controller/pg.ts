// PostgreSQL actions of the controller, through psql (the edge hosts install
// postgresql-client; no Node driver is shipped). Every call is bounded by a timeout and
// authenticates as the controller role over TLS with the server certificate verified.
import { execFile } from "node:child_process";
import type { DbEndpoint } from "./config";

export interface PsqlResult {
  ok: boolean;
  out: string;
  err: string;
}

export function conninfo(e: DbEndpoint, connectTimeout = 2): string {
  return [
    `host=${e.host}`,
    `port=${e.port}`,
    `user=${e.user}`,
    `dbname=${e.dbname}`,
    `passfile=${e.passfile}`,
    `sslmode=${e.sslmode}`,
    `sslrootcert=${e.sslrootcert}`,
    `connect_timeout=${connectTimeout}`,
    "application_name=jsp-failover",
  ].join(" ");
}

/** Runs each statement as its own -c (ALTER SYSTEM refuses a transaction block). */
export function psql(
  psqlPath: string,
  e: DbEndpoint,
  statements: string[],
  timeoutMs = 5000,
): Promise<PsqlResult> {
  const args = [conninfo(e), "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1"];
  for (const s of statements) args.push("-c", s);
  return new Promise((resolve) => {
    execFile(
      psqlPath,
      args,
      { timeout: timeoutMs, encoding: "utf8", env: { ...process.env, PGCONNECT_TIMEOUT: "2" } },
      (err, stdout, stderr) => {
        resolve({
          ok: !err,
          out: String(stdout).trim(),
          err: String(stderr).trim() || (err ? err.message : ""),
        });
      },
    );
  });
}

export async function probe(
  psqlPath: string,
  e: DbEndpoint,
): Promise<{ ok: boolean; inRecovery?: boolean; readOnly?: boolean; err?: string }> {
  const r = await psql(
    psqlPath,
    e,
    ["SELECT pg_is_in_recovery()::text || ' ' || current_setting('default_transaction_read_only')"],
    4000,
  );
  if (!r.ok) return { ok: false, err: r.err };
  const [rec, ro] = r.out.split(/\s+/);
  return { ok: true, inRecovery: rec === "true", readOnly: ro === "on" };
}

export async function replicaStatus(
  psqlPath: string,
  e: DbEndpoint,
): Promise<{ reachable: boolean; inRecovery?: boolean; streaming?: boolean }> {
  const r = await psql(
    psqlPath,
    e,
    [
      "SELECT pg_is_in_recovery()::text || ' ' || coalesce((SELECT status FROM pg_stat_wal_receiver LIMIT 1), 'none')",
    ],
    4000,
  );
  if (!r.ok) return { reachable: false };
  const [rec, status] = r.out.split(/\s+/);
  return { reachable: true, inRecovery: rec === "true", streaming: status === "streaming" };
}

/** pg_promote(wait => true); a server that is already primary counts as promoted. */
export async function promote(psqlPath: string, e: DbEndpoint): Promise<{ ok: boolean; detail: string }> {
  const r = await psql(psqlPath, e, ["SELECT pg_promote(true, 30)"], 40_000);
  if (r.ok && r.out === "t") return { ok: true, detail: "pg_promote() returned true" };
  const after = await probe(psqlPath, e);
  if (after.ok && after.inRecovery === false)
    return { ok: true, detail: `already out of recovery (${r.err || r.out})` };
  return { ok: false, detail: r.err || `pg_promote returned ${r.out}` };
}

/**
 * Soft fence of an old primary that still answers: new transactions default to read-only and
 * client sessions are ended. With synchronous replication the old primary could not commit
 * anyway once its standby left; this also stops reads of stale data. It is not a STONITH:
 * docs/failover.md says what a real cloud adds (security group or server stop).
 */
export async function fence(psqlPath: string, e: DbEndpoint): Promise<{ ok: boolean; detail: string }> {
  const r = await psql(
    psqlPath,
    e,
    [
      "ALTER SYSTEM SET default_transaction_read_only = on",
      "SELECT pg_reload_conf()",
      "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND usename <> current_user",
    ],
    4000,
  );
  return r.ok
    ? { ok: true, detail: `read-only; ${r.out.split("\n").pop()} session(s) ended` }
    : { ok: false, detail: r.err };
}

/** Lifts the fence (used when an operator brings a server back as primary). */
export async function unfence(psqlPath: string, e: DbEndpoint): Promise<{ ok: boolean; detail: string }> {
  const r = await psql(
    psqlPath,
    e,
    ["ALTER SYSTEM RESET default_transaction_read_only", "SELECT pg_reload_conf()"],
    4000,
  );
  return { ok: r.ok, detail: r.ok ? "read-write" : r.err };
}

export async function walPositions(
  psqlPath: string,
  primary: DbEndpoint,
  standby: DbEndpoint,
): Promise<{ primaryLsn?: string; standbyReplayLsn?: string; caughtUp: boolean }> {
  const p = await psql(psqlPath, primary, ["SELECT pg_current_wal_lsn()"], 4000);
  const s = await psql(
    psqlPath,
    standby,
    [
      "SELECT coalesce(pg_last_wal_replay_lsn()::text, '') || ' ' || (pg_last_wal_replay_lsn() >= '" +
        (p.out || "0/0") +
        "'::pg_lsn)::text",
    ],
    4000,
  );
  if (!p.ok || !s.ok) return { caughtUp: false };
  const [lsn, ok] = s.out.split(/\s+/);
  return { primaryLsn: p.out, standbyReplayLsn: lsn, caughtUp: ok === "true" };
}
