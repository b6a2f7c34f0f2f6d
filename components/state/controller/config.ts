// The controller's configuration file (JSON, /etc/jetstream-paas/failover/controller.json),
// rendered by the state component and read by the controller and `npm run failover`.
// Validated by hand so that the bundle shipped in user data stays small.
import { DEFAULT_POLICY, Policy, validatePolicy } from "./decide";

/** How the controller reaches one PostgreSQL server (psql over TLS, password from a passfile). */
export interface DbEndpoint {
  /** site of this server, e.g. "iu" */
  site: string;
  host: string;
  port: number;
  /** role used by the controller (jsp_failover); password read from `passfile` (libpq format) */
  user: string;
  passfile: string;
  dbname: string;
  /** CA that signed the server's certificate; verify-full checks the host name/IP too */
  sslrootcert: string;
  sslmode: "verify-full" | "verify-ca";
}

/** Where applications find the primary. */
export type Pointer =
  /** a JSON file {host, port, site, since}; readers reconnect to what it says (the drill, a hostPath) */
  | { kind: "file"; path: string }
  /**
   * a command run with NEW_PRIMARY_HOST/PORT/SITE in its environment, e.g. kubectl applying the
   * selector-less `postgres` Service's Endpoints in each cluster (docs/failover.md)
   */
  | { kind: "command"; argv: string[]; timeoutSeconds: number };

export interface ControllerConfig {
  /** the site this controller runs at */
  localSite: string;
  /** the database it may promote (the local replica) and the one it watches (the primary) */
  replica: DbEndpoint;
  primary: DbEndpoint;
  /** probe the primary directly too (needs a network path; otherwise the replica's WAL receiver is the probe) */
  probePrimary: boolean;
  haproxy: { socket: string; backends: string[]; primaryServerPattern: string };
  pointer: Pointer;
  policy: Policy;
  intervalSeconds: number;
  /** act only while this address is on a local interface (the keepalived VIP); undefined: always */
  leaderVip?: string;
  /** phase, samples and the event log (events.jsonl) */
  stateDir: string;
  psqlPath: string;
}

function fail(key: string, rule: string): never {
  throw new Error(`controller config: ${key} ${rule}`);
}

function str(o: Record<string, unknown>, key: string, path: string): string {
  const v = o[key];
  if (typeof v !== "string" || v.length === 0) fail(`${path}${key}`, "must be a non-empty string");
  return v;
}

function num(o: Record<string, unknown>, key: string, path: string, dflt?: number): number {
  const v = o[key] ?? dflt;
  if (typeof v !== "number" || !Number.isFinite(v)) fail(`${path}${key}`, "must be a number");
  return v;
}

function obj(v: unknown, path: string): Record<string, unknown> {
  if (!v || typeof v !== "object" || Array.isArray(v)) fail(path, "must be an object");
  return v as Record<string, unknown>;
}

function endpoint(v: unknown, path: string): DbEndpoint {
  const o = obj(v, path);
  const sslmode = o.sslmode ?? "verify-full";
  if (sslmode !== "verify-full" && sslmode !== "verify-ca")
    fail(`${path}.sslmode`, "must be verify-full or verify-ca");
  return {
    site: str(o, "site", `${path}.`),
    host: str(o, "host", `${path}.`),
    port: num(o, "port", `${path}.`, 5432),
    user: str(o, "user", `${path}.`),
    passfile: str(o, "passfile", `${path}.`),
    dbname: typeof o.dbname === "string" ? o.dbname : "postgres",
    sslrootcert: str(o, "sslrootcert", `${path}.`),
    sslmode,
  };
}

export function parseControllerConfig(text: string): ControllerConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    fail("(file)", `is not JSON: ${(e as Error).message}`);
  }
  const o = obj(raw, "(root)");
  const hp = obj(o.haproxy, "haproxy");
  const backends = hp.backends;
  if (!Array.isArray(backends) || backends.length === 0 || !backends.every((b) => typeof b === "string")) {
    fail("haproxy.backends", "must be a non-empty list of backend names");
  }
  const pattern = str(hp, "primaryServerPattern", "haproxy.");
  try {
    new RegExp(pattern);
  } catch {
    fail("haproxy.primaryServerPattern", "must be a regular expression");
  }
  const p = obj(o.pointer, "pointer");
  let pointer: Pointer;
  if (p.kind === "file") pointer = { kind: "file", path: str(p, "path", "pointer.") };
  else if (p.kind === "command") {
    if (!Array.isArray(p.argv) || p.argv.length === 0 || !p.argv.every((a) => typeof a === "string")) {
      fail("pointer.argv", "must be a non-empty list of strings");
    }
    pointer = {
      kind: "command",
      argv: p.argv as string[],
      timeoutSeconds: num(p, "timeoutSeconds", "pointer.", 60),
    };
  } else fail("pointer.kind", "must be file or command");
  const pol = o.policy === undefined ? {} : obj(o.policy, "policy");
  const policy: Policy = {
    windowSeconds: num(pol, "windowSeconds", "policy.", DEFAULT_POLICY.windowSeconds),
    minSamples: num(pol, "minSamples", "policy.", DEFAULT_POLICY.minSamples),
    maxTransitions: num(pol, "maxTransitions", "policy.", DEFAULT_POLICY.maxTransitions),
    flapLookbackSeconds: num(pol, "flapLookbackSeconds", "policy.", DEFAULT_POLICY.flapLookbackSeconds),
  };
  validatePolicy(policy);
  const intervalSeconds = num(o, "intervalSeconds", "", 2);
  if (intervalSeconds <= 0 || intervalSeconds * policy.minSamples > policy.windowSeconds) {
    fail(
      "intervalSeconds",
      "must be > 0 and leave room for policy.minSamples samples in policy.windowSeconds",
    );
  }
  const replica = endpoint(o.replica, "replica");
  const primary = endpoint(o.primary, "primary");
  if (replica.site === primary.site) fail("replica.site", "must differ from primary.site");
  return {
    localSite: str(o, "localSite", ""),
    replica,
    primary,
    probePrimary: o.probePrimary === true,
    haproxy: {
      socket: str(hp, "socket", "haproxy."),
      backends: backends as string[],
      primaryServerPattern: pattern,
    },
    pointer,
    policy,
    intervalSeconds,
    leaderVip: typeof o.leaderVip === "string" ? o.leaderVip : undefined,
    stateDir: str(o, "stateDir", ""),
    psqlPath: typeof o.psqlPath === "string" ? o.psqlPath : "psql",
  };
}
