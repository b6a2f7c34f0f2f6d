// Every drill scenario, in the order `npm run drill` runs them. Each component adds its own.
import type { DrillScenario } from "./types";

export const SCENARIOS: DrillScenario[] = [];
