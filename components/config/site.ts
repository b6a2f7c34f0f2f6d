// Schema of the site project's config (`jetstream-paas:*`, stacks iu and tacc).
// Sections owned by later components (edge, jenkins, state) are added here, one key each.
import { z } from "zod";
import { parseCidr } from "../../src/cidr";
import {
  adminCidr,
  cidr,
  dnsLabel,
  flavor,
  imageName,
  ipv4,
  noOverlap,
  port,
  site,
  sshPublicKey,
  stackName,
} from "./fields";

export const networkSchema = z
  .strictObject({
    /** create the network and subnet, or look up existing ones by name */
    mode: z.enum(["create", "existing"], { error: "must be create or existing" }).default("create"),
    /** name of the network (created, or looked up when mode is existing) */
    name: dnsLabel,
    /** name of the subnet; defaults to `<name>-subnet` */
    subnetName: dnsLabel.optional(),
    /** the node subnet; in existing mode it must equal the existing subnet's CIDR */
    cidr,
    dnsNameservers: z.array(ipv4).default([]),
    router: z
      .strictObject({
        /**
         * Jetstream2 gives an allocation one router; `existing` attaches the subnet to it
         * (usually `auto_allocated_router`) instead of creating a second one.
         */
        mode: z.enum(["create", "existing"], { error: "must be create or existing" }).default("existing"),
        name: z.string().min(1).default("auto_allocated_router"),
      })
      .default({ mode: "existing", name: "auto_allocated_router" }),
    /** the external network that routers and floating IPs use (Jetstream2: `public`) */
    externalNetwork: z.string().min(1).default("public"),
  })
  .superRefine((n, ctx) => {
    if (n.mode === "existing" && n.router.mode === "create") {
      ctx.addIssue({
        code: "custom",
        path: ["router", "mode"],
        input: n.router.mode,
        message: "must be existing when network.mode is existing (an existing network keeps its router)",
      });
    }
    const c = parseCidr(n.cidr);
    if (c && c.prefix > 28) {
      ctx.addIssue({
        code: "custom",
        path: ["cidr"],
        input: n.cidr,
        message:
          "must be /28 or wider: the subnet holds the bastion, the edge pair, its VIP and two clusters",
      });
    }
  });

export const sshSchema = z.strictObject({
  /** name of the OpenStack keypair the stack creates */
  keypairName: dnsLabel,
  /** the operator's public key; the private key never enters Pulumi state */
  publicKey: sshPublicKey,
});

export const bastionSchema = z.strictObject({
  flavor: flavor.default("m3.tiny"),
  /** image override; defaults to the stack's `image` */
  image: imageName.optional(),
});

const sqlIdent = z.string({ error: "must be a string" }).regex(/^[a-z_][a-z0-9_]{0,62}$/, {
  error: "must be a lowercase SQL identifier (a-z, 0-9, _; at most 63)",
});

/** Cross-site PostgreSQL (components/state, docs/failover.md). */
export const stateSchema = z
  .strictObject({
    /** site that runs the primary; the other site runs the streaming replica */
    primarySite: site,
    /** the other site's stack (its public DB address, CA, credentials); default organization/jetstream-paas/<other site> */
    peerStack: stackName.optional(),
    flavor: flavor.default("m3.small"),
    /** image override; defaults to the stack's `image` */
    image: imageName.optional(),
    /** Cinder volume holding PGDATA; it outlives the VM */
    volumeSizeGb: z
      .number({ error: "must be a number" })
      .int({ error: "must be an integer" })
      .min(20, { error: "must be at least 20 (GB): WAL kept for the standby alone may use 10" })
      .max(4000, { error: "must be at most 4000 (GB)" })
      .default(100),
    port: port.default(5432),
    /**
     * on: a commit returns once the other site flushed it (0 rows lost when a site is lost);
     * remote_write: once the other site wrote it (survives the primary's loss, not both hosts');
     * local: asynchronous, may lose the last commits at failover. See docs/failover.md.
     */
    synchronousCommit: z
      .enum(["on", "remote_write", "local"], { error: "must be on, remote_write or local" })
      .default("on"),
    database: sqlIdent.default("app"),
    appUser: sqlIdent.default("app"),
    /** networks the applications connect from; default: the site subnet */
    appCidrs: z.array(cidr).optional(),
    backup: z
      .strictObject({
        /** systemd OnCalendar of the nightly backup */
        onCalendar: z
          .string({ error: "must be a string" })
          .regex(/^[0-9A-Za-z*:\-, ./~]+$/, { error: "must be a systemd calendar expression" })
          .default("*-*-* 03:15:00 UTC"),
        retentionDays: z
          .number({ error: "must be a number" })
          .int()
          .min(1, { error: "must be at least 1" })
          .default(14),
        /** S3 endpoint per site; backups go to the OTHER site's. TACC's is unconfirmed: set it when known */
        endpoints: z
          .partialRecord(site, z.url({ protocol: /^https$/, error: "must be an https:// URL" }))
          .default({ iu: "https://js2.jetstream-cloud.org:8001" }),
      })
      .default({
        onCalendar: "*-*-* 03:15:00 UTC",
        retentionDays: 14,
        endpoints: { iu: "https://js2.jetstream-cloud.org:8001" },
      }),
    controller: z
      .strictObject({
        windowSeconds: z
          .number({ error: "must be a number" })
          .min(5, { error: "must be at least 5 (seconds)" })
          .default(30),
        intervalSeconds: z
          .number({ error: "must be a number" })
          .positive({ error: "must be positive" })
          .default(2),
        minSamples: z
          .number({ error: "must be a number" })
          .int()
          .min(2, { error: "must be at least 2" })
          .default(10),
        haproxySocket: z
          .string()
          .startsWith("/", { error: "must be an absolute path" })
          .default("/run/haproxy/admin.sock"),
        haproxyBackends: z
          .array(z.string().min(1))
          .min(1, { error: "must name at least one backend" })
          .default(["be_live"]),
        /** regular expression matching the primary site's server names; default ^<primarySite>- */
        primaryServerPattern: z.string().min(1).optional(),
      })
      .default({
        windowSeconds: 30,
        intervalSeconds: 2,
        minSamples: 10,
        haproxySocket: "/run/haproxy/admin.sock",
        haproxyBackends: ["be_live"],
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
      }),
  })
  .optional();

export const siteSchema = z
  .strictObject({
    site,
    /** CIDRs operators connect from: SSH to the bastion, the Kubernetes API, pre-live, stats */
    adminCidrs: z.array(adminCidr).min(1, { error: "must list at least one admin CIDR" }),
    /** default image for every VM of the stack (a Jetstream2 featured image) */
    image: imageName,
    network: networkSchema,
    ssh: sshSchema,
    bastion: bastionSchema.default({ flavor: "m3.tiny" }),
    /** cross-site PostgreSQL; absent: no database planned */
    state: stateSchema,
  })
  .superRefine((c, ctx) => {
    const entries: Array<[string, string]> = [["network.cidr", c.network.cidr]];
    c.adminCidrs.forEach((a, i) => entries.push([`adminCidrs.${i}`, a]));
    noOverlap(ctx, entries);
  });

export type SiteConfig = z.output<typeof siteSchema>;
export type NetworkConfig = z.output<typeof networkSchema>;
export type StateConfig = NonNullable<z.output<typeof stateSchema>>;

/** Keys of this namespace whose value must be a Pulumi secret (`pulumi config set --secret`). */
export const SITE_SECRET_KEYS: readonly string[] = [];
