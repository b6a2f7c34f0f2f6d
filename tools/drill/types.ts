// A drill scenario runs real tools (HAProxy, keepalived, PostgreSQL) against simulated sites
// in network namespaces it creates, and returns its figures. It must clean up everything it
// started, by id, and stop by itself within its time bound.

export interface DrillContext {
  /** progress line to stderr */
  log: (line: string) => void;
  /** folder for this run's temporary files (configs, sockets, logs) */
  workDir: string;
}

export interface ScenarioReport {
  name: string;
  /** true when every target of the scenario was met */
  passed: boolean;
  /** targets as text, e.g. "detectionSeconds <= 2" */
  targets: string[];
  [figure: string]: unknown;
}

export interface DrillScenario {
  name: string;
  description: string;
  /** upper bound on the run time, seconds; the runner aborts a scenario past it */
  timeoutSeconds: number;
  run(ctx: DrillContext): Promise<ScenarioReport | ScenarioReport[]>;
}
