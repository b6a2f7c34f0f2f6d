// Every drill scenario, in the order `npm run drill` runs them. Each component adds its own.
import { abCutoverScenario } from "./ab-cutover";
import { dbFailoverScenario } from "./db-failover";
import { DNS_SCENARIOS } from "./dns-flip";
import { TLS_SCENARIOS } from "./tls-renew";
import { EDGE_SCENARIOS } from "./edge";
import type { DrillScenario } from "./types";

export const SCENARIOS: DrillScenario[] = [
  ...EDGE_SCENARIOS,
  dbFailoverScenario,
  abCutoverScenario,
  ...TLS_SCENARIOS,
  ...DNS_SCENARIOS,
];
