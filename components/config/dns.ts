// The `dns` and `tls` sections of the site project's config (docs/dns-tls.md): the public
// names, their records and TTLs, the site-loss checker's evidence rules, and the edge's ACME
// certificates. Both site stacks carry the same `dns` block: the stack of `recordsSite` plans
// the records, every edge asks for a certificate covering the public names.
import { z } from "zod";
import { fqdnIn, isRecordName, isZoneName, siteFqdn } from "../../src/dns-names";
import { SITES, site } from "./fields";

/** Let's Encrypt's production directory (https://letsencrypt.org/docs/acme-protocol-updates/). */
export const LETS_ENCRYPT_DIRECTORY = "https://acme-v02.api.letsencrypt.org/directory";

const zoneName = z.string({ error: "must be a string" }).refine(isZoneName, {
  error: "must be a DNS zone in lowercase with its trailing dot, e.g. myalloc.projects.jetstream-cloud.org.",
});

const recordName = z.string({ error: "must be a string" }).refine(isRecordName, {
  error:
    "must be @ (the zone apex), a name relative to the zone (weather) or a name in the zone ending in a dot",
});

const ttl = z
  .number({ error: "must be a number" })
  .int({ error: "must be a whole number of seconds" })
  .min(10, { error: "must be 10-86400 (seconds)" })
  .max(86400, { error: "must be 10-86400 (seconds)" });

const seconds = (min: number, max: number) =>
  z
    .number({ error: "must be a number" })
    .min(min, { error: `must be ${min}-${max} (seconds)` })
    .max(max, { error: `must be ${min}-${max} (seconds)` });

/** Evidence the checker needs before it moves the public names (components/dns/checker/decide.ts). */
export const DNS_CHECKER_DEFAULTS = {
  intervalSeconds: 5,
  windowSeconds: 30,
  minSamples: 5,
  probeTimeoutMs: 2000,
  maxTransitions: 4,
  flapLookbackSeconds: 300,
} as const;

export const dnsCheckerSchema = z
  .strictObject({
    /** one probe of each site's edge every this many seconds */
    intervalSeconds: seconds(1, 60).default(DNS_CHECKER_DEFAULTS.intervalSeconds),
    /** the live site must be unreachable, and the other healthy, in every probe of this window */
    windowSeconds: seconds(10, 600).default(DNS_CHECKER_DEFAULTS.windowSeconds),
    /** fewest probes in the window (a stalled checker must not decide on two points) */
    minSamples: z
      .number({ error: "must be a number" })
      .int({ error: "must be a whole number" })
      .min(3, { error: "must be at least 3 (one failed probe is never evidence)" })
      .default(DNS_CHECKER_DEFAULTS.minSamples),
    /** a probe with no answer within this time counts as unreachable */
    probeTimeoutMs: z
      .number({ error: "must be a number" })
      .int({ error: "must be whole milliseconds" })
      .min(100, { error: "must be 100-30000 (ms)" })
      .max(30000, { error: "must be 100-30000 (ms)" })
      .default(DNS_CHECKER_DEFAULTS.probeTimeoutMs),
    /** more up/down changes of the live site than this in the lookback: flapping, an operator decides */
    maxTransitions: z
      .number({ error: "must be a number" })
      .int({ error: "must be a whole number" })
      .min(0, { error: "must be >= 0" })
      .default(DNS_CHECKER_DEFAULTS.maxTransitions),
    flapLookbackSeconds: seconds(10, 86400).default(DNS_CHECKER_DEFAULTS.flapLookbackSeconds),
  })
  .superRefine((c, ctx) => {
    if (c.intervalSeconds * c.minSamples > c.windowSeconds) {
      ctx.addIssue({
        code: "custom",
        path: ["minSamples"],
        input: c.minSamples,
        message: "must fit in the window: intervalSeconds * minSamples <= windowSeconds",
      });
    }
    if (c.probeTimeoutMs >= c.intervalSeconds * 1000) {
      ctx.addIssue({
        code: "custom",
        path: ["probeTimeoutMs"],
        input: c.probeTimeoutMs,
        message: "must be shorter than intervalSeconds (a probe ends before the next starts)",
      });
    }
    if (c.flapLookbackSeconds < c.windowSeconds) {
      ctx.addIssue({
        code: "custom",
        path: ["flapLookbackSeconds"],
        input: c.flapLookbackSeconds,
        message: "must be >= windowSeconds",
      });
    }
  });

export const dnsSchema = z
  .strictObject({
    /** the zone; Jetstream2 gives an allocation `<allocation>.projects.jetstream-cloud.org.` at IU */
    zone: zoneName,
    /** look the zone up by name (Jetstream2 created it) or create it in Designate */
    zoneMode: z.enum(["existing", "create"], { error: "must be existing or create" }).default("existing"),
    /** SOA contact of a zone the stack creates */
    zoneEmail: z.email({ error: "must be an e-mail address" }).optional(),
    /** designate: the stack plans the records; external: it exports them for another DNS provider */
    provider: z
      .enum(["designate", "external"], { error: "must be designate or external" })
      .default("designate"),
    /** the site whose stack plans (or exports) the records; the other stack only reads the names */
    recordsSite: site.default("iu"),
    /** the platform's base name: `@` for the zone apex, or a name in the zone */
    baseName: recordName.default("@"),
    /** per-app host names (they must match the mesh apps' `hosts`) */
    appNames: z.array(recordName, { error: "must be a list of names" }).default([]),
    /** the site the public names point at when first created; the checker and operators move them */
    live: site.default("iu"),
    /** TTL of the public names: what a resolver may keep serving the old site after a flip */
    ttl: ttl.default(60),
    /** TTL of the per-site operator names (`iu.<zone>`, `tacc.<zone>`); they never move */
    siteTtl: ttl.default(300),
    checker: dnsCheckerSchema.prefault({}),
  })
  .superRefine((d, ctx) => {
    if (d.zoneMode === "create" && !d.zoneEmail) {
      ctx.addIssue({
        code: "custom",
        path: ["zoneEmail"],
        input: d.zoneEmail,
        message: "is required when zoneMode is create (the zone's SOA contact)",
      });
    }
    const seen = new Map<string, string>();
    const sites = new Set(SITES.map((s) => siteFqdn(d.zone, s)));
    const check = (name: string, path: PropertyKey[]) => {
      const fqdn = fqdnIn(d.zone, name);
      if (!fqdn) {
        ctx.addIssue({ code: "custom", path, input: name, message: `must be inside the zone ${d.zone}` });
        return;
      }
      if (sites.has(fqdn)) {
        ctx.addIssue({
          code: "custom",
          path,
          input: name,
          message: `is a per-site operator name (${[...sites].join(", ")}); choose another`,
        });
      }
      const other = seen.get(fqdn);
      if (other) {
        ctx.addIssue({ code: "custom", path, input: name, message: `names the same host as ${other}` });
      }
      seen.set(fqdn, path.join("."));
    };
    check(d.baseName, ["baseName"]);
    d.appNames.forEach((n, i) => check(n, ["appNames", i]));
  });

export const tlsSchema = z
  .strictObject({
    acme: z.strictObject({
      /** ACME directory; Let's Encrypt's staging directory or another CA's for tests */
      directoryUrl: z
        .url({ protocol: /^https$/, error: "must be an https:// URL of an ACME directory" })
        .default(LETS_ENCRYPT_DIRECTORY),
      /** the account's contact; lego names the account after it */
      email: z.email({ error: "must be an e-mail address (the ACME account contact)" }),
      /**
       * create: this stack generates the ACME account key (a @pulumi/tls secret) and exports it;
       * peer: it uses the one `edge.peerStack` exports. Both sites answer challenges for one account.
       */
      account: z.enum(["create", "peer"], { error: "must be create or peer" }).default("create"),
      /** key type of the certificates (generated on each edge host by lego) */
      keyType: z
        .enum(["ec256", "ec384", "rsa2048", "rsa4096"], { error: "must be ec256, ec384, rsa2048 or rsa4096" })
        .default("ec256"),
      /** renew when the certificate has fewer days left than this */
      renewDaysBefore: z
        .number({ error: "must be a number" })
        .int({ error: "must be whole days" })
        .min(7, { error: "must be 7-60 (days)" })
        .max(60, { error: "must be 7-60 (days)" })
        .default(30),
    }),
    hsts: z
      .strictObject({
        enabled: z.boolean({ error: "must be true or false" }).default(true),
        /** Mozilla's intermediate profile asks for two years */
        maxAgeSeconds: z
          .number({ error: "must be a number" })
          .int({ error: "must be whole seconds" })
          .min(300, { error: "must be 300-63072000 (seconds)" })
          .max(63072000, { error: "must be 300-63072000 (seconds)" })
          .default(63072000),
        /** off by default: the zone's other names (and the parent's) are not ours to pin */
        includeSubDomains: z.boolean({ error: "must be true or false" }).default(false),
        preload: z.boolean({ error: "must be true or false" }).default(false),
      })
      .prefault({})
      .superRefine((h, ctx) => {
        if (h.preload && (!h.includeSubDomains || h.maxAgeSeconds < 31536000)) {
          ctx.addIssue({
            code: "custom",
            path: ["preload"],
            input: h.preload,
            message: "needs includeSubDomains and maxAgeSeconds >= 31536000 (the preload list's rules)",
          });
        }
      }),
  })
  .optional();

export type DnsConfig = z.output<typeof dnsSchema>;
export type DnsCheckerConfig = z.output<typeof dnsCheckerSchema>;
export type TlsConfig = NonNullable<z.output<typeof tlsSchema>>;
