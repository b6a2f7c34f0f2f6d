// The DNS checker's decision, as a pure function of what it saw. No IO here: the loop
// (checker.ts) probes both sites' edges from the third place, appends a Sample, reads where
// the public names point, and asks `decide`. Tests drive it with synthetic histories (one
// failed probe, a flapping site, a checker that is itself cut off, names already moved) and
// check that only sustained, consistent evidence moves the names, and only in one direction.

/**
 * One site's edge as the checker saw it: `up` answered 200 on its readiness URI (its live slot
 * has nodes); `degraded` answered something else (the edge is alive; it sends traffic to the
 * other site itself, so DNS must not move); `down` did not answer at all.
 */
export type EdgeState = "up" | "degraded" | "down";

export interface Sample {
  /** epoch milliseconds */
  at: number;
  /** the site the names point at normally (the primary, e.g. iu) */
  from: EdgeState;
  /** the site the checker may move them to (e.g. tacc) */
  to: EdgeState;
}

export interface Policy {
  /** every sample of this window must show `from` down and `to` up, seconds */
  windowSeconds: number;
  /** fewest samples in the window */
  minSamples: number;
  /** more up/down changes of `from` than this in the lookback blocks: flapping, an operator decides */
  maxTransitions: number;
  flapLookbackSeconds: number;
}

/** Where the public names point now, read from the DNS service each tick. */
export type Target = "from" | "to" | "mixed" | "other" | "unknown";

export interface Decision {
  action: "none" | "flip";
  reason: string;
  evidence?: { samples: number; fromMs: number; toMs: number };
}

export function validatePolicy(p: Policy): void {
  const bad = (k: string, rule: string): never => {
    throw new Error(`policy.${k} ${rule}`);
  };
  if (!(p.windowSeconds >= 1)) bad("windowSeconds", "must be at least 1");
  if (!(Number.isInteger(p.minSamples) && p.minSamples >= 3)) bad("minSamples", "must be an integer >= 3");
  if (!(Number.isInteger(p.maxTransitions) && p.maxTransitions >= 0))
    bad("maxTransitions", "must be an integer >= 0");
  if (!(p.flapLookbackSeconds >= p.windowSeconds)) bad("flapLookbackSeconds", "must be >= windowSeconds");
}

/** A sample that is evidence for moving the names: `from` silent and `to` healthy. */
export function evidence(s: Sample): boolean {
  return s.from === "down" && s.to === "up";
}

/** Changes between `from` answering and not answering, in time order. */
export function transitions(samples: readonly Sample[]): number {
  let n = 0;
  for (let i = 1; i < samples.length; i++)
    if ((samples[i].from === "down") !== (samples[i - 1].from === "down")) n++;
  return n;
}

export function decide(history: readonly Sample[], target: Target, policy: Policy, now: number): Decision {
  if (target === "to") {
    return {
      action: "none",
      reason: "the names point at the standby site; moving them back is an operator's call",
    };
  }
  if (target === "other") {
    return {
      action: "none",
      reason: "the names point at neither site's edge (changed by hand?); an operator decides",
    };
  }
  if (target === "unknown") {
    return { action: "none", reason: "cannot read the records from the DNS service; nothing can be moved" };
  }
  const latest = history[history.length - 1];
  if (!latest) return { action: "none", reason: "no samples yet" };
  if (latest.from !== "down") {
    return {
      action: "none",
      reason:
        latest.from === "up"
          ? "primary edge healthy"
          : "primary edge answers (it forwards to the standby itself)",
    };
  }
  const windowStart = now - policy.windowSeconds * 1000;
  const inWindow = history.filter((s) => s.at >= windowStart && s.at <= now);
  const unseenStandby = inWindow.filter((s) => s.to !== "up").length;
  if (unseenStandby > 0) {
    return {
      action: "none",
      reason: `the standby edge was not healthy from here in ${unseenStandby} sample(s): this checker may be the one cut off`,
    };
  }
  const lookback = history.filter((s) => s.at >= now - policy.flapLookbackSeconds * 1000 && s.at <= now);
  const flips = transitions(lookback);
  if (flips > policy.maxTransitions) {
    return {
      action: "none",
      reason: `flapping: the primary edge changed ${flips} times in ${policy.flapLookbackSeconds} s (max ${policy.maxTransitions}); an operator decides`,
    };
  }
  const answered = inWindow.filter((s) => s.from !== "down").length;
  if (answered > 0) {
    return {
      action: "none",
      reason: `the primary edge answered in ${answered} sample(s) of the last ${policy.windowSeconds} s`,
    };
  }
  if (inWindow.length < policy.minSamples) {
    return {
      action: "none",
      reason: `only ${inWindow.length} of ${policy.minSamples} samples in the window`,
    };
  }
  // the evidence must span the window, not be a burst at its end
  const first = inWindow[0];
  const covered = (latest.at - first.at) / 1000;
  if (covered < policy.windowSeconds * 0.8) {
    return {
      action: "none",
      reason: `silent for ${covered.toFixed(1)} s of the ${policy.windowSeconds} s window`,
    };
  }
  return {
    action: "flip",
    reason: `primary edge silent and standby healthy in all ${inWindow.length} samples over ${covered.toFixed(1)} s${target === "mixed" ? " (finishing a partial move)" : ""}`,
    evidence: { samples: inWindow.length, fromMs: first.at, toMs: latest.at },
  };
}

/** Drops samples older than what any rule looks at. */
export function prune(history: Sample[], policy: Policy, now: number): Sample[] {
  const keepFrom = now - Math.max(policy.flapLookbackSeconds, policy.windowSeconds) * 1000 - 1000;
  return history.filter((s) => s.at >= keepFrom);
}
