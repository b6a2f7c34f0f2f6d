// The A/B state of a site as it lives in the stacks: stack tags on the site stack (which slot
// is live, pre-live, the previous live slot for rollback, who holds the operation lock) and on
// each slot stack (its last smoke result with the slot version it was made on, when it stopped
// being live). Both runners store the same tags (Pulumi stack tags, or out/ab/ for synth), so
// this module is the one codec and the one place of the preconditions. Pure.
import { randomBytes } from "node:crypto";
import { hostname, userInfo } from "node:os";
import { Refusal } from "../lib/cli";

/** Tag names (Pulumi Cloud: [a-zA-Z0-9-_.:], at most 40 characters; values at most 256). */
export const TAGS = {
  live: "jsp-ab:live",
  prelive: "jsp-ab:prelive",
  previous: "jsp-ab:previous",
  switchedAt: "jsp-ab:switched-at",
  lock: "jsp-ab:lock",
  smoke: "jsp-ab:smoke",
  leftLive: "jsp-ab:left-live",
} as const;

export type Tags = Record<string, string>;

export interface SiteState {
  live: string;
  prelive?: string;
  /** the live slot before the last switch: where `rollback` goes */
  previous?: string;
  switchedAt?: string;
  /** where live came from: the tag (set by `ab switch`) or the site config */
  liveFrom: "tag" | "config";
  lock?: LockRecord;
}

export interface SmokeRecord {
  passed: boolean;
  /** the slot version the checks ran against */
  version: string;
  at: string;
  summary: string;
}

export interface SlotState {
  smoke?: SmokeRecord;
  /** when the slot last stopped being live */
  leftLive?: string;
}

export interface LockRecord {
  holder: string;
  operation: string;
  at: string;
  nonce: string;
}

export function encodeLock(l: LockRecord): string {
  return `${l.holder} ${l.operation} ${l.at} ${l.nonce}`;
}

export function decodeLock(v: string | undefined): LockRecord | undefined {
  const f = v?.trim().split(/\s+/);
  if (!f || f.length !== 4) return undefined;
  return { holder: f[0], operation: f[1], at: f[2], nonce: f[3] };
}

/** Who is operating: JSP_AB_OPERATOR, else user@host. */
export function operator(): string {
  const fromEnv = process.env.JSP_AB_OPERATOR?.trim();
  const who = fromEnv || `${userInfo().username}@${hostname()}`;
  return who.replace(/\s+/g, "_");
}

export function newLock(operation: string, now = new Date()): LockRecord {
  return { holder: operator(), operation, at: now.toISOString(), nonce: randomBytes(6).toString("hex") };
}

export function encodeSmoke(s: SmokeRecord): string {
  return `${s.passed ? "passed" : "failed"} ${s.version} ${s.at} ${s.summary.replace(/\s+/g, "_")}`.slice(
    0,
    256,
  );
}

export function decodeSmoke(v: string | undefined): SmokeRecord | undefined {
  const f = v?.trim().split(/\s+/);
  if (!f || f.length < 3 || (f[0] !== "passed" && f[0] !== "failed")) return undefined;
  return { passed: f[0] === "passed", version: f[1], at: f[2], summary: (f[3] ?? "").replace(/_/g, " ") };
}

export function siteState(tags: Tags, config: { live: string; prelive?: string }): SiteState {
  const tagged = tags[TAGS.live];
  return {
    live: tagged ?? config.live,
    prelive: TAGS.prelive in tags ? tags[TAGS.prelive] || undefined : config.prelive,
    previous: tags[TAGS.previous] || undefined,
    switchedAt: tags[TAGS.switchedAt],
    liveFrom: tagged ? "tag" : "config",
    lock: decodeLock(tags[TAGS.lock]),
  };
}

export function slotState(tags: Tags): SlotState {
  return { smoke: decodeSmoke(tags[TAGS.smoke]), leftLive: tags[TAGS.leftLive] };
}

function ago(iso: string, now: Date): string {
  const min = Math.round((now.getTime() - Date.parse(iso)) / 60000);
  return min < 120 ? `${min} min ago` : `${Math.round(min / 60)} h ago`;
}

// ---- preconditions: each refuses with one line naming the rule, before anything changes

export function refuseIfLocked(lock: LockRecord | undefined, command: string, now = new Date()): void {
  if (!lock) return;
  throw new Refusal(
    `${command}: refused, ${lock.holder} holds the A/B lock for "${lock.operation}" since ${lock.at} (${ago(lock.at, now)}) (rule: one A/B operation per site at a time; if it is stale: npm run ab -- unlock --yes)`,
  );
}

export function refuseLiveTarget(command: string, slot: string, state: SiteState): void {
  if (slot === state.live) {
    throw new Refusal(
      `${command} ${slot}: refused, ${slot} is live (rule: never ${command} into the live slot; bring up and test the other slot)`,
    );
  }
}

export function refuseUnsmoked(slot: string, version: string | undefined, s: SlotState): void {
  const rule = "rule: switch only to a slot whose smoke test passed on its current version";
  if (!s.smoke)
    throw new Refusal(
      `switch ${slot}: refused, ${slot} has no passed smoke test (${rule}; run: npm run ab -- smoke ${slot})`,
    );
  if (!s.smoke.passed)
    throw new Refusal(`switch ${slot}: refused, ${slot}'s last smoke test failed at ${s.smoke.at} (${rule})`);
  if (version === undefined || s.smoke.version !== version) {
    throw new Refusal(
      `switch ${slot}: refused, ${slot} changed since its smoke test (passed on ${s.smoke.version}, now ${version ?? "not up"}) (${rule}; run: npm run ab -- smoke ${slot})`,
    );
  }
}

export function refuseRetire(
  slot: string,
  state: SiteState,
  s: SlotState,
  soakMinutes: number,
  now = new Date(),
): void {
  if (slot === state.live) {
    throw new Refusal(
      `retire ${slot}: refused, ${slot} is live (rule: the live slot is never retired; switch away from it first)`,
    );
  }
  if (s.leftLive) {
    const minutes = (now.getTime() - Date.parse(s.leftLive)) / 60000;
    if (minutes < soakMinutes) {
      throw new Refusal(
        `retire ${slot}: refused, ${slot} stopped being live ${ago(s.leftLive, now)}; it soaks ${soakMinutes} min before it may go (rule: keep the way back open for ab.soakMinutes)`,
      );
    }
  }
}

export function rollbackTarget(state: SiteState): string {
  if (!state.previous) {
    throw new Refusal(
      "rollback: refused, no previous live slot is recorded (rule: rollback returns to the slot live before the last switch)",
    );
  }
  return state.previous;
}
