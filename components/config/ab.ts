// Schema of the A/B upgrade tool's settings (`jetstream-paas:ab`, site stacks): how long a slot
// soaks before it may be retired, the smoke checks sent through the pre-live frontend, and
// what a migration copies. Read by `npm run ab` only; the site program plans nothing from it.
import { z } from "zod";
import { dnsLabel } from "./fields";
import { hostname } from "./mesh";

const int = (min: number, max: number, what: string) =>
  z
    .number({ error: "must be a number" })
    .int({ error: `must be a whole number from ${min} to ${max}${what}` })
    .min(min, { error: `must be a whole number from ${min} to ${max}${what}` })
    .max(max, { error: `must be a whole number from ${min} to ${max}${what}` });

/** One app's smoke check: `requests` GETs of `path` with `Host: host` through pre-live. */
export const smokeCheckSchema = z.strictObject({
  /** names the check in the report */
  name: dnsLabel,
  /** Host header: the app's public host name, as the Istio gateway routes it */
  host: hostname,
  path: z
    .string({ error: "must be a string" })
    .regex(/^\/[\x21-\x7e]*$/, { error: "must be an absolute path without spaces (/healthz)" })
    .default("/"),
  expectStatus: int(100, 599, "").default(200),
  /** text the body must contain; omit to check the status only */
  bodyContains: z.string({ error: "must be a string" }).min(1, { error: "must not be empty" }).optional(),
  requests: int(1, 10_000, " (requests per check)").default(20),
  /** the 95th percentile of the response times must stay at or under this */
  p95Ms: int(1, 60_000, " (ms)").default(500),
});

export const SMOKE_DEFAULTS = { timeoutMs: 5000, concurrency: 4 } as const;
export const MIGRATE_DEFAULTS = {
  clusterKinds: ["CustomResourceDefinition", "PriorityClass"],
  concurrency: 8,
  crdTimeoutSeconds: 60,
} as const;
/** One day: a slot that was live keeps the way back open this long before `ab retire` destroys it. */
export const SOAK_MINUTES_DEFAULT = 1440;

const clusterKind = z.string({ error: "must be a string" }).regex(/^[A-Z][A-Za-z0-9]*(\.[a-z0-9.-]+)?$/, {
  error: "must be a kind, optionally with its group (ClusterRole.rbac.authorization.k8s.io)",
});

export const abSchema = z.strictObject({
  soakMinutes: int(0, 525_600, " (minutes)").default(SOAK_MINUTES_DEFAULT),
  smoke: z
    .strictObject({
      checks: z
        .array(smokeCheckSchema)
        .default([])
        .superRefine((checks, ctx) => {
          const seen = new Set<string>();
          checks.forEach((c, i) => {
            if (seen.has(c.name))
              ctx.addIssue({
                code: "custom",
                path: [i, "name"],
                input: c.name,
                message: "must be unique among smoke.checks",
              });
            seen.add(c.name);
          });
        }),
      /** each request gives up after this long (a timeout counts as a failed request) */
      timeoutMs: int(100, 120_000, " (ms)").default(SMOKE_DEFAULTS.timeoutMs),
      /** requests in flight at once per check */
      concurrency: int(1, 64, "").default(SMOKE_DEFAULTS.concurrency),
    })
    .default({ checks: [], ...SMOKE_DEFAULTS }),
  migrate: z
    .strictObject({
      /** cluster-scoped kinds a migration copies (namespaced kinds are always considered) */
      clusterKinds: z.array(clusterKind).default([...MIGRATE_DEFAULTS.clusterKinds]),
      /** server-side applies in flight at once */
      concurrency: int(1, 64, "").default(MIGRATE_DEFAULTS.concurrency),
      crdTimeoutSeconds: int(1, 3600, " (seconds)").default(MIGRATE_DEFAULTS.crdTimeoutSeconds),
    })
    .default({ ...MIGRATE_DEFAULTS, clusterKinds: [...MIGRATE_DEFAULTS.clusterKinds] }),
});

export type AbConfig = z.output<typeof abSchema>;
export type SmokeCheckConfig = z.output<typeof smokeCheckSchema>;
