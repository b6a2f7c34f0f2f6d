// The load test shared by the release pipeline (a stage after each site's deploy) and by
// Flagger's load tester (a blocking webhook in each canary analysis step): one definition of
// the traffic (path, rate, workers, duration) and of the thresholds (p95 latency, error rate),
// so both run the same `jsp-loadtest` command with the same limits (docs/delivery.md).
import { z } from "zod";

/** Defaults: the owner of every load-test default (components/delivery/render/loadtest.ts reads them). */
export const LOAD_TEST_DEFAULTS = {
  path: "/",
  duration: "30s",
  qps: 10,
  concurrency: 2,
  p95Ms: 500,
  maxErrorRatePercent: 1,
} as const;

/** A hey duration: 5s-10m, so a load loop is always bounded in time. */
export const loadDuration = z
  .string({ error: "must be a string" })
  .regex(/^[1-9][0-9]*(s|m)$/, { error: "must be a duration in seconds or minutes such as 30s or 2m" })
  .refine((d) => durationSeconds(d) >= 5 && durationSeconds(d) <= 600, {
    error: "must be between 5s and 10m (every load run is bounded)",
  });

export function durationSeconds(d: string): number {
  const n = Number(d.slice(0, -1));
  return d.endsWith("m") ? n * 60 : n;
}

/** The traffic and the thresholds, without where it goes (pipeline and canary add the URL). */
export const loadProfileShape = {
  /** request path on the target */
  path: z
    .string({ error: "must be a string" })
    .regex(/^\/[A-Za-z0-9._~/-]*$/, { error: "must be an absolute URL path such as /healthz" })
    .default(LOAD_TEST_DEFAULTS.path),
  /** how long one run sends requests (hey -z) */
  duration: loadDuration.default(LOAD_TEST_DEFAULTS.duration),
  /** requests per second per worker (hey -q) */
  qps: z
    .number({ error: "must be a number" })
    .int({ error: "must be an integer" })
    .min(1, { error: "must be 1-100" })
    .max(100, { error: "must be 1-100" })
    .default(LOAD_TEST_DEFAULTS.qps),
  /** concurrent workers (hey -c) */
  concurrency: z
    .number({ error: "must be a number" })
    .int({ error: "must be an integer" })
    .min(1, { error: "must be 1-50" })
    .max(50, { error: "must be 1-50" })
    .default(LOAD_TEST_DEFAULTS.concurrency),
  /** the run fails when the 95th percentile latency is above this */
  p95Ms: z
    .number({ error: "must be a number" })
    .int({ error: "must be an integer" })
    .min(1, { error: "must be 1-60000 (ms)" })
    .max(60000, { error: "must be 1-60000 (ms)" })
    .default(LOAD_TEST_DEFAULTS.p95Ms),
  /** the run fails when more than this percent of requests fail (no answer, or HTTP 5xx) */
  maxErrorRatePercent: z
    .number({ error: "must be a number" })
    .min(0, { error: "must be 0-100 (percent)" })
    .max(100, { error: "must be 0-100 (percent)" })
    .default(LOAD_TEST_DEFAULTS.maxErrorRatePercent),
};

export const loadProfileSchema = z.strictObject(loadProfileShape);
export type LoadProfile = z.output<typeof loadProfileSchema>;
