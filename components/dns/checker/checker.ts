// The DNS checker's IO (it runs on the witness, the third place): probe both sites' edges by
// address, keep the samples, read where the public names point, ask `decide`, move the names
// when it says so, record every decision that changes and every move. State that matters
// lives in the DNS service itself (where the names point), so a restarted checker resumes
// safely: it starts a fresh window, and never moves names that already point at the standby.
import { execFile } from "node:child_process";
import { appendFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { DesignateClient, pointNames, readNames } from "../../../src/openstack/designate";
import type { CheckerConfig } from "./config";
import { decide, Decision, EdgeState, prune, Sample, Target } from "./decide";

/** GET http://<address>:<port><path>: 200 up, another answer degraded, none down. */
export function probeEdge(
  address: string,
  port: number,
  path: string,
  timeoutMs: number,
): Promise<EdgeState> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (s: EdgeState) => {
      if (!done) {
        done = true;
        resolve(s);
      }
    };
    const req = request(
      { host: address, port, path, method: "GET", timeout: timeoutMs, agent: false },
      (res) => {
        res.resume();
        finish(res.statusCode === 200 ? "up" : "degraded");
      },
    );
    req.on("timeout", () => {
      req.destroy();
      finish("down");
    });
    req.on("error", () => finish("down"));
    req.end();
    setTimeout(() => {
      req.destroy();
      finish("down");
    }, timeoutMs + 100).unref();
  });
}

export interface CheckerEvent {
  at: string;
  event: string;
  [k: string]: unknown;
}

export function record(
  cfg: CheckerConfig,
  event: string,
  detail: Record<string, unknown> = {},
): CheckerEvent {
  const e: CheckerEvent = { at: new Date().toISOString(), event, ...detail };
  mkdirSync(cfg.stateDir, { recursive: true });
  appendFileSync(join(cfg.stateDir, "events.jsonl"), `${JSON.stringify(e)}\n`);
  console.log(`jsp-dns-checker ${event} ${JSON.stringify(detail)}`);
  return e;
}

export function readEvents(cfg: CheckerConfig): CheckerEvent[] {
  try {
    return readFileSync(join(cfg.stateDir, "events.jsonl"), "utf8")
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l) as CheckerEvent);
  } catch {
    return [];
  }
}

function writeState(cfg: CheckerConfig, state: unknown): void {
  mkdirSync(cfg.stateDir, { recursive: true });
  const file = join(cfg.stateDir, "state.json");
  writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

/** How the checker reads and moves the names: Designate, or an outside provider's command. */
export interface NamesBackend {
  target(): Promise<Target>;
  move(): Promise<string[]>;
}

export function designateBackend(cfg: CheckerConfig): NamesBackend {
  if (cfg.action.kind !== "designate") throw new Error("not a designate action");
  const a = cfg.action;
  // Under systemd the unit hands the root-only file over as a credential (LoadCredential=);
  // run by hand as root (status), the file itself is read.
  const file = process.env.CREDENTIALS_DIRECTORY
    ? join(process.env.CREDENTIALS_DIRECTORY, "designate.json")
    : a.credentialFile;
  const cred = JSON.parse(readFileSync(file, "utf8")) as { id?: string; secret?: string };
  if (!cred.id || !cred.secret) throw new Error(`dns checker: ${file} must hold {"id", "secret"}`);
  const client = new DesignateClient(
    {
      authUrl: a.authUrl,
      region: a.region,
      applicationCredentialId: cred.id,
      applicationCredentialSecret: cred.secret,
    },
    { timeoutMs: Math.max(2000, cfg.probe.timeoutMs) },
  );
  let zoneId: string | undefined;
  const zone = async () => (zoneId ??= await client.zoneId(cfg.zone));
  const addresses = { from: cfg.from.address, to: cfg.to.address };
  return {
    target: async () => {
      const view = await readNames(client, await zone(), cfg.names, addresses);
      return view.target === "none" ? "other" : (view.target as Target);
    },
    move: async () => pointNames(client, await zone(), cfg.names, cfg.to.address),
  };
}

/** An outside DNS provider: the command moves the names; the checker cannot read them back. */
export function commandBackend(cfg: CheckerConfig): NamesBackend {
  if (cfg.action.kind !== "command") throw new Error("not a command action");
  const a = cfg.action;
  // Without an API to read, the checker's own record says where the names are: its last
  // "moved", until an operator who moved them back says so (`jsp-dns-checker reset --yes`).
  const last = () =>
    readEvents(cfg)
      .filter((e) => e.event === "moved" || e.event === "reset")
      .pop();
  return {
    target: async () => (last()?.event === "moved" ? "to" : "from"),
    move: () =>
      new Promise((resolve, reject) => {
        execFile(
          a.argv[0],
          a.argv.slice(1),
          {
            timeout: a.timeoutSeconds * 1000,
            env: {
              ...process.env,
              DNS_NAMES: cfg.names.join(" "),
              DNS_TO_SITE: cfg.to.site,
              DNS_TO_ADDRESS: cfg.to.address,
              DNS_FROM_ADDRESS: cfg.from.address,
            },
          },
          (err) =>
            err ? reject(new Error(`${a.argv[0]} failed (${err.code ?? "timeout"})`)) : resolve(cfg.names),
        );
      }),
  };
}

export interface RunOptions {
  /** stop after this many ticks (tests, the drill) */
  maxTicks?: number;
  backend?: NamesBackend;
}

export async function tick(
  cfg: CheckerConfig,
  backend: NamesBackend,
  history: Sample[],
): Promise<{ sample: Sample; target: Target; decision: Decision; moved?: string[] }> {
  const [from, to] = await Promise.all([
    probeEdge(cfg.from.address, cfg.probe.port, cfg.probe.path, cfg.probe.timeoutMs),
    probeEdge(cfg.to.address, cfg.probe.port, cfg.probe.path, cfg.probe.timeoutMs),
  ]);
  const sample: Sample = { at: Date.now(), from, to };
  history.push(sample);
  let target: Target;
  try {
    target = await backend.target();
  } catch {
    target = "unknown";
  }
  const decision = decide(history, target, cfg.policy, sample.at);
  if (decision.action !== "flip") return { sample, target, decision };
  try {
    const moved = await backend.move();
    return { sample, target, decision, moved };
  } catch (err) {
    return {
      sample,
      target,
      decision: { action: "none", reason: `moving the names failed: ${(err as Error).message}` },
    };
  }
}

export async function runChecker(cfg: CheckerConfig, opts: RunOptions = {}): Promise<void> {
  const backend =
    opts.backend ?? (cfg.action.kind === "designate" ? designateBackend(cfg) : commandBackend(cfg));
  let history: Sample[] = [];
  let lastReason = "";
  record(cfg, "started", { from: cfg.from, to: cfg.to, names: cfg.names, policy: cfg.policy });
  for (let n = 0; opts.maxTicks === undefined || n < opts.maxTicks; n++) {
    const started = Date.now();
    const r = await tick(cfg, backend, history);
    history = prune(history, cfg.policy, r.sample.at);
    if (r.moved) {
      record(cfg, "moved", {
        names: r.moved,
        to: cfg.to,
        reason: r.decision.reason,
        evidence: r.decision.evidence,
      });
    } else if (r.decision.reason !== lastReason) {
      record(cfg, "decision", { target: r.target, sample: r.sample, reason: r.decision.reason });
    }
    lastReason = r.decision.reason;
    writeState(cfg, {
      at: new Date().toISOString(),
      target: r.target,
      lastSample: r.sample,
      decision: r.decision,
    });
    const wait = cfg.intervalSeconds * 1000 - (Date.now() - started);
    if (wait > 0) await new Promise((res) => setTimeout(res, wait));
  }
}
