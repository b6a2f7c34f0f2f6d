export { decide, siteDown, transitions, prune, validatePolicy, DEFAULT_POLICY } from "./decide";
export type { Sample, Policy, Phase, Decision } from "./decide";
export { parseServersState, primarySiteView } from "./haproxy";
export type { ServerState } from "./haproxy";
export { parseControllerConfig } from "./config";
export type { ControllerConfig, DbEndpoint, Pointer } from "./config";
export { status, manualPromote, failback, runFailover, loadState, readEvents } from "./controller";
export type { PersistedState, ControllerEvent, StatusReport } from "./controller";
