// A bench suite measures something and returns its figures as Markdown; `npm run bench` writes
// them to out/bench/<suite>.md. Figures that belong in docs are copied there with their date.

export interface BenchContext {
  /** repetitions per measurement (the suite takes the median and says so) */
  runs: number;
  /** progress line to stderr */
  log: (line: string) => void;
}

export interface BenchSuite {
  name: string;
  description: string;
  run(ctx: BenchContext): Promise<string>;
}
