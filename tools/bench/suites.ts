// Every bench suite, in the order `npm run bench` runs them. Each part adds its own.
import { migrateSuite } from "./migrate";
import { synthSuite } from "./synth";
import type { BenchSuite } from "./types";

export const BENCH_SUITES: BenchSuite[] = [synthSuite, migrateSuite];
