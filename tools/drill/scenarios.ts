// Every drill scenario, in the order `npm run drill` runs them. Each component adds its own.
import { dbFailoverScenario } from "./db-failover";
import { DNS_SCENARIOS } from "./dns-flip";
import { EDGE_SCENARIOS } from "./edge";
import type { DrillScenario } from "./types";

export const SCENARIOS: DrillScenario[] = [...EDGE_SCENARIOS, dbFailoverScenario, ...DNS_SCENARIOS];
