// The DNS checker's library: the decision, its config, the loop and its IO.
export { decide, evidence, prune, transitions, validatePolicy } from "./decide";
export type { Decision, EdgeState, Policy, Sample, Target } from "./decide";
export { parseCheckerConfig } from "./config";
export type { CheckerAction, CheckerConfig, CheckerSite } from "./config";
export { commandBackend, designateBackend, probeEdge, readEvents, runChecker, tick } from "./checker";
export type { NamesBackend, RunOptions } from "./checker";
