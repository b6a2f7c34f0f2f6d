// The DNS checker's configuration file (JSON, /etc/jetstream-paas/dns-checker/checker.json),
// rendered by components/dns/render/checker-files.ts. Checked by hand so that the bundle
// shipped to the witness stays small; every problem names its key.
import { Policy, validatePolicy } from "./decide";

export interface CheckerSite {
  site: string;
  /** the site edge's public address (its VIP's floating IP); probed directly, never by name */
  address: string;
}

export type CheckerAction =
  /** move the names in Jetstream2's Designate (the credential file holds an application credential) */
  | { kind: "designate"; authUrl: string; region: string; credentialFile: string }
  /**
   * an outside DNS provider: run this command with DNS_NAMES (space separated), DNS_TO_SITE,
   * DNS_TO_ADDRESS and DNS_FROM_ADDRESS in its environment; exit 0 means the names were moved
   */
  | { kind: "command"; argv: string[]; timeoutSeconds: number };

export interface CheckerConfig {
  zone: string;
  /** the public names (absolute, with the trailing dot) */
  names: string[];
  from: CheckerSite;
  to: CheckerSite;
  /** what is probed on each edge: its public HTTP port and readiness URI */
  probe: { port: number; path: string; timeoutMs: number };
  intervalSeconds: number;
  policy: Policy;
  action: CheckerAction;
  /** events.jsonl and state.json */
  stateDir: string;
}

function fail(key: string, rule: string): never {
  throw new Error(`dns checker config: ${key} ${rule}`);
}

type Obj = Record<string, unknown>;

function obj(v: unknown, key: string): Obj {
  if (!v || typeof v !== "object" || Array.isArray(v)) fail(key, "must be an object");
  return v as Obj;
}

function str(o: Obj, key: string, path: string): string {
  const v = o[key];
  if (typeof v !== "string" || v.length === 0) fail(`${path}${key}`, "must be a non-empty string");
  return v;
}

function num(o: Obj, key: string, path: string): number {
  const v = o[key];
  if (typeof v !== "number" || !Number.isFinite(v)) fail(`${path}${key}`, "must be a number");
  return v;
}

const IP_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function site(v: unknown, key: string): CheckerSite {
  const o = obj(v, key);
  const address = str(o, "address", `${key}.`);
  if (!IP_RE.test(address)) fail(`${key}.address`, "must be an IPv4 address");
  return { site: str(o, "site", `${key}.`), address };
}

function action(v: unknown): CheckerAction {
  const o = obj(v, "action");
  if (o.kind === "designate") {
    return {
      kind: "designate",
      authUrl: str(o, "authUrl", "action."),
      region: str(o, "region", "action."),
      credentialFile: str(o, "credentialFile", "action."),
    };
  }
  if (o.kind === "command") {
    if (!Array.isArray(o.argv) || o.argv.length === 0 || !o.argv.every((a) => typeof a === "string")) {
      fail("action.argv", "must be a non-empty list of strings");
    }
    return { kind: "command", argv: o.argv as string[], timeoutSeconds: num(o, "timeoutSeconds", "action.") };
  }
  fail("action.kind", "must be designate or command");
}

export function parseCheckerConfig(text: string): CheckerConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    fail("(file)", `is not JSON: ${(e as Error).message}`);
  }
  const o = obj(raw, "(root)");
  const names = o.names;
  if (
    !Array.isArray(names) ||
    names.length === 0 ||
    !names.every((n) => typeof n === "string" && n.endsWith("."))
  ) {
    fail("names", "must be a non-empty list of absolute names (with the trailing dot)");
  }
  const p = obj(o.probe, "probe");
  const pol = obj(o.policy, "policy");
  const policy: Policy = {
    windowSeconds: num(pol, "windowSeconds", "policy."),
    minSamples: num(pol, "minSamples", "policy."),
    maxTransitions: num(pol, "maxTransitions", "policy."),
    flapLookbackSeconds: num(pol, "flapLookbackSeconds", "policy."),
  };
  try {
    validatePolicy(policy);
  } catch (e) {
    fail("policy", (e as Error).message.replace(/^policy\./, ""));
  }
  const intervalSeconds = num(o, "intervalSeconds", "");
  if (intervalSeconds <= 0 || intervalSeconds * policy.minSamples > policy.windowSeconds) {
    fail(
      "intervalSeconds",
      "must be > 0 and leave room for policy.minSamples samples in policy.windowSeconds",
    );
  }
  const from = site(o.from, "from");
  const to = site(o.to, "to");
  if (from.site === to.site || from.address === to.address) fail("to", "must be another site than from");
  const probe = {
    port: num(p, "port", "probe."),
    path: str(p, "path", "probe."),
    timeoutMs: num(p, "timeoutMs", "probe."),
  };
  if (probe.timeoutMs >= intervalSeconds * 1000)
    fail("probe.timeoutMs", "must be shorter than intervalSeconds");
  return {
    zone: str(o, "zone", ""),
    names: names as string[],
    from,
    to,
    probe,
    intervalSeconds,
    policy,
    action: action(o.action),
    stateDir: str(o, "stateDir", ""),
  };
}
