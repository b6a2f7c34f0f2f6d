// The failover controller's decision, as a pure function of what it observed. No IO here:
// the loop (controller.ts) samples HAProxy and PostgreSQL, appends a Sample, and asks
// `decide`. Tests drive it with synthetic histories (flapping, single failed probe, return
// of the old site) and check that only sustained, consistent evidence triggers a failover
// and that nothing ever fails back.

/** What one tick saw. Fields are undefined when that source could not be read at all. */
export interface Sample {
  /** epoch milliseconds */
  at: number;
  /** HAProxy's view of the primary site's servers (runtime API); undefined: socket unreadable */
  backends?: { up: number; total: number };
  /** direct probe of the primary database: "ok" answered, "down" refused/timed out, "skipped" not probed */
  primaryDb: "ok" | "down" | "skipped";
  /** the local replica: reachable at all, in recovery, WAL receiver streaming from the primary */
  replica: { reachable: boolean; inRecovery?: boolean; streaming?: boolean };
}

export interface Policy {
  /** how long the site must look down, without a single healthy sample, seconds */
  windowSeconds: number;
  /** fewest samples inside the window (guards against a stalled loop deciding on two points) */
  minSamples: number;
  /** flap guard: more than this many up/down transitions in `flapLookbackSeconds` blocks */
  maxTransitions: number;
  flapLookbackSeconds: number;
}

export type Phase = "watching" | "failing-over" | "failed-over";

export interface Decision {
  action: "none" | "failover" | "resume-failover";
  reason: string;
  /** samples that were evidence, for the event record */
  evidence?: { samples: number; fromMs: number; toMs: number };
}

export const DEFAULT_POLICY: Policy = {
  windowSeconds: 30,
  minSamples: 10,
  maxTransitions: 4,
  flapLookbackSeconds: 300,
};

/**
 * A sample is evidence of a lost primary site only when every source agrees: HAProxy sees
 * none of the site's servers up, the primary database does not answer, and the local
 * replica is not streaming from it. One source alone (a backend check, one probe) is not enough.
 */
export function siteDown(s: Sample): boolean {
  const backendsDown = s.backends !== undefined && s.backends.total > 0 && s.backends.up === 0;
  const dbDown = s.primaryDb !== "ok" && s.replica.streaming !== true;
  return backendsDown && dbDown;
}

export function validatePolicy(p: Policy): void {
  const bad = (k: string, rule: string) => {
    throw new Error(`policy.${k} ${rule}`);
  };
  if (!(p.windowSeconds >= 1)) bad("windowSeconds", "must be at least 1");
  if (!(Number.isInteger(p.minSamples) && p.minSamples >= 2)) bad("minSamples", "must be an integer >= 2");
  if (!(Number.isInteger(p.maxTransitions) && p.maxTransitions >= 0))
    bad("maxTransitions", "must be an integer >= 0");
  if (!(p.flapLookbackSeconds >= p.windowSeconds)) bad("flapLookbackSeconds", "must be >= windowSeconds");
}

/** Up/down changes of `siteDown` across the samples (in time order). */
export function transitions(samples: readonly Sample[]): number {
  let n = 0;
  for (let i = 1; i < samples.length; i++) if (siteDown(samples[i]) !== siteDown(samples[i - 1])) n++;
  return n;
}

/**
 * Decides what to do now. `history` is every sample kept (oldest first); `phase` is the
 * persisted phase. A failed-over controller never acts again: fail-back is an operator action.
 */
export function decide(history: readonly Sample[], phase: Phase, policy: Policy, now: number): Decision {
  if (phase === "failed-over") {
    return {
      action: "none",
      reason: "failed over; fail-back is an operator action (npm run failover -- failback)",
    };
  }
  if (phase === "failing-over") {
    return { action: "resume-failover", reason: "a failover was started and not finished; finishing it" };
  }
  const windowStart = now - policy.windowSeconds * 1000;
  const inWindow = history.filter((s) => s.at >= windowStart && s.at <= now);
  const latest = history[history.length - 1];
  if (!latest) return { action: "none", reason: "no samples yet" };
  if (!siteDown(latest)) return { action: "none", reason: "primary site healthy" };

  const lookback = history.filter((s) => s.at >= now - policy.flapLookbackSeconds * 1000 && s.at <= now);
  const flips = transitions(lookback);
  if (flips > policy.maxTransitions) {
    return {
      action: "none",
      reason: `flapping: ${flips} up/down transitions in ${policy.flapLookbackSeconds} s (max ${policy.maxTransitions}); an operator decides`,
    };
  }
  const healthyInWindow = inWindow.filter((s) => !siteDown(s)).length;
  if (healthyInWindow > 0) {
    return {
      action: "none",
      reason: `${healthyInWindow} healthy sample(s) in the last ${policy.windowSeconds} s`,
    };
  }
  if (inWindow.length < policy.minSamples) {
    return {
      action: "none",
      reason: `only ${inWindow.length} of ${policy.minSamples} samples in the window`,
    };
  }
  // The evidence must span the window: down from (nearly) its start to now, not a burst.
  const first = inWindow[0];
  const coverage = (latest.at - first.at) / 1000;
  if (coverage < policy.windowSeconds * 0.9) {
    return {
      action: "none",
      reason: `down for ${coverage.toFixed(1)} s of the ${policy.windowSeconds} s window`,
    };
  }
  if (!latest.replica.reachable || latest.replica.inRecovery !== true) {
    return {
      action: "none",
      reason: latest.replica.reachable
        ? "local database is not a replica in recovery: nothing to promote"
        : "local replica unreachable: nothing to promote",
    };
  }
  return {
    action: "failover",
    reason: `primary site down in all ${inWindow.length} samples over ${policy.windowSeconds} s (HAProxy: 0 servers up; database unreachable; replica not streaming)`,
    evidence: { samples: inWindow.length, fromMs: first.at, toMs: latest.at },
  };
}

/** Drops samples older than what any rule looks at. */
export function prune(history: Sample[], policy: Policy, now: number): Sample[] {
  const keepFrom = now - Math.max(policy.flapLookbackSeconds, policy.windowSeconds) * 1000 - 1000;
  return history.filter((s) => s.at >= keepFrom);
}
