// Schema of the site project's config (`jetstream-paas:*`, stacks iu and tacc).
// Sections owned by later components (edge, jenkins, state) are added here, one key each.
import { z } from "zod";
import { parseCidr, parseIp } from "../../src/cidr";
import { SLOTS } from "./cluster";
import { dnsSchema, tlsSchema } from "./dns";
import { abSchema } from "./ab";
import { jenkinsSchema } from "./jenkins";
import { checkSso, siteSsoSchema, SITE_SSO_SECRET_KEYS } from "./sso";
import { EDGE_DEFAULT_HEALTH, EDGE_DEFAULT_PORTS } from "../edge/render/edge-input";
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

const slotName = z.enum(SLOTS, { error: `must be one of ${SLOTS.join(", ")}` });

/** Edge of a site (components/edge, docs/edge.md): HAProxy pair + keepalived VIP. */
export const edgeSchema = z
  .strictObject({
    /** edge hosts; 2 for a VIP that survives a lost host, 1 only for a lab */
    hosts: z
      .number({ error: "must be a number" })
      .int({ error: "must be 1 or 2" })
      .min(1, { error: "must be 1 or 2" })
      .max(2, { error: "must be 1 or 2" })
      .default(2),
    flavor: flavor.default("m3.small"),
    /** image override; defaults to the stack's `image` */
    image: imageName.optional(),
    /** the VIP: a fixed IP on the site subnet, held by one edge host at a time */
    vip: ipv4,
    /** NIC of the site subnet on the edge image (Jetstream2 Ubuntu 24.04: ens3) */
    interface: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,15}$/, { error: "must be a network interface name" })
      .default("ens3"),
    /** VRRP router id, unique on the subnet */
    virtualRouterId: z
      .number({ error: "must be a number" })
      .int({ error: "must be 1-255" })
      .min(1, { error: "must be 1-255" })
      .max(255, { error: "must be 1-255" })
      .default(51),
    /** cluster stacks of this site by slot: `paasA: organization/jetstream-paas-cluster/paasA` */
    slots: z.partialRecord(slotName, stackName).refine((r) => Object.keys(r).length > 0, {
      error: "must name the stack of at least one slot",
    }),
    /** slot behind the live frontends (80/443) */
    live: slotName,
    /** slot behind the pre-live frontends (admin CIDRs only); omit when no slot is under test */
    prelive: slotName.optional(),
    /**
     * The other site's *site* stack; its `edgePublicAddress` (edge VIP floating IP) becomes the
     * `backup` server of the live backends. Private subnets are not routed between sites.
     */
    peerStack: stackName.optional(),
    /**
     * Sources allowed on the peer frontends (ports.peerHttp/peerHttps). The other site's edge
     * leaves through its router's SNAT address; narrow this to it once known.
     */
    peerSourceCidrs: z.array(cidr).min(1, { error: "must list at least one CIDR" }).default(["0.0.0.0/0"]),
    ports: z
      .strictObject({
        preliveHttp: port.default(8080),
        preliveHttps: port.default(8443),
        peerHttp: port.default(8081),
        peerHttps: port.default(8444),
        stats: port.default(8404),
      })
      .default({ ...EDGE_DEFAULT_PORTS }),
    healthCheck: z
      .strictObject({
        interMs: z.number().int().min(100, { error: "must be >= 100 ms" }).default(1000),
        fastinterMs: z.number().int().min(100, { error: "must be >= 100 ms" }).default(500),
        downinterMs: z.number().int().min(100, { error: "must be >= 100 ms" }).default(2000),
        fall: z.number().int().min(1, { error: "must be >= 1" }).default(2),
        rise: z
          .number()
          .int()
          .min(2, { error: "must be >= 2 (one success must not bring a node back)" })
          .default(3),
        timeoutMs: z.number().int().min(100, { error: "must be >= 100 ms" }).default(1000),
        slowstartSeconds: z.number().int().min(0).default(10),
        observeErrorLimit: z.number().int().min(1, { error: "must be >= 1" }).default(3),
      })
      .default({ ...EDGE_DEFAULT_HEALTH }),
    /** stats/metrics user; the password is generated (@pulumi/random), never configured */
    statsUser: dnsLabel.default("jsp-admin"),
  })
  .superRefine((e, ctx) => {
    if (!(e.live in e.slots)) {
      ctx.addIssue({ code: "custom", path: ["live"], input: e.live, message: "must be a key of edge.slots" });
    }
    if (e.prelive !== undefined) {
      if (e.prelive === e.live) {
        ctx.addIssue({
          code: "custom",
          path: ["prelive"],
          input: e.prelive,
          message: "must differ from edge.live",
        });
      } else if (!(e.prelive in e.slots)) {
        ctx.addIssue({
          code: "custom",
          path: ["prelive"],
          input: e.prelive,
          message: "must be a key of edge.slots",
        });
      }
    }
    const ports = Object.values(e.ports);
    if (new Set([80, 443, ...ports]).size !== ports.length + 2) {
      ctx.addIssue({
        code: "custom",
        path: ["ports"],
        input: e.ports,
        message: "every edge port must differ from the others and from 80/443",
      });
    }
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
        /**
         * backends of this (standby) site's edge whose servers are the primary site: the edge
         * renders `peer_http` with the primary's edge as server `<primary>-edge`
         */
        haproxyBackends: z
          .array(z.string().min(1))
          .min(1, { error: "must name at least one backend" })
          .default(["peer_http"]),
        /** regular expression matching the primary site's server names; default ^<primarySite>- */
        primaryServerPattern: z.string().min(1).optional(),
      })
      .default({
        windowSeconds: 30,
        intervalSeconds: 2,
        minSamples: 10,
        haproxySocket: "/run/haproxy/admin.sock",
        haproxyBackends: ["peer_http"],
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
    /** the site's edge (HAProxy pair + VIP); omit for a site without one */
    edge: edgeSchema.optional(),
    /** cross-site PostgreSQL; absent: no database planned */
    state: stateSchema,
    /** Jenkins as code (components/jenkins): enabled at IU by default */
    jenkins: jenkinsSchema.default(jenkinsSchema.parse({})),
    /** public DNS names and their records (docs/dns-tls.md); the same block in both site stacks */
    dns: dnsSchema.optional(),
    /** HTTPS on the edge with ACME certificates (docs/dns-tls.md); needs `edge` and `dns` */
    tls: tlsSchema,
    /** the A/B upgrade tool (`npm run ab`): soak time, smoke checks, migration scope */
    ab: abSchema.default(abSchema.parse({})),
    /** single sign-on for Jenkins (components/sso, docs/delivery.md); absent: local admin only */
    sso: siteSsoSchema.optional(),
    /** the Jenkins OIDC client secret (secret); required with sso */
    ssoJenkinsClientSecret: z.string().min(1, { error: "must not be empty" }).optional(),
    /** containers-auth.json for the registry push (secret); becomes Jenkins credential registry-auth */
    jenkinsRegistryAuth: z
      .string()
      .refine((s) => s.trim().startsWith("{"), { error: "must be a containers-auth.json document" })
      .optional(),
  })
  .superRefine((c, ctx) => {
    if (c.sso) {
      checkSso(c.sso, ctx, c.sso.keycloakIssuerUrl !== undefined, "keycloakIssuerUrl");
      if (c.ssoJenkinsClientSecret === undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["ssoJenkinsClientSecret"],
          input: undefined,
          message: "must be set (pulumi config set --secret) when sso is configured",
        });
      }
    }
    const entries: Array<[string, string]> = [["network.cidr", c.network.cidr]];
    c.adminCidrs.forEach((a, i) => entries.push([`adminCidrs.${i}`, a]));
    noOverlap(ctx, entries);
    if (c.tls && !c.edge) {
      ctx.addIssue({
        code: "custom",
        path: ["tls"],
        input: "(set)",
        message: "needs edge (TLS terminates on it)",
      });
    }
    if (c.tls && !c.dns) {
      ctx.addIssue({
        code: "custom",
        path: ["tls"],
        input: "(set)",
        message: "needs dns (the certificate names are the dns public names)",
      });
    }
    if (c.tls?.acme.account === "peer" && c.edge && !c.edge.peerStack) {
      ctx.addIssue({
        code: "custom",
        path: ["tls", "acme", "account"],
        input: "peer",
        message: "needs edge.peerStack (the stack whose acmeAccountKey output this stack uses)",
      });
    }
    if (c.edge) {
      const net = parseCidr(c.network.cidr);
      const vip = parseIp(c.edge.vip);
      if (net && vip !== undefined) {
        const size = 2 ** (32 - net.prefix);
        const off = vip - net.base;
        // .0 network, .1 router, last = broadcast; OpenStack's DHCP pool starts at .2, so the
        // VIP should sit outside the allocation pool, e.g. near the top of the subnet.
        if (off < 0 || off >= size) {
          ctx.addIssue({
            code: "custom",
            path: ["edge", "vip"],
            input: c.edge.vip,
            message: `must be inside network.cidr ${c.network.cidr}`,
          });
        } else if (off <= 1 || off === size - 1) {
          ctx.addIssue({
            code: "custom",
            path: ["edge", "vip"],
            input: c.edge.vip,
            message: "must not be the network, gateway (.1) or broadcast address",
          });
        }
      }
    }
  });

export type SiteConfig = z.output<typeof siteSchema>;
export type NetworkConfig = z.output<typeof networkSchema>;
export type EdgeConfig = z.output<typeof edgeSchema>;
export type StateConfig = NonNullable<z.output<typeof stateSchema>>;
export type { DnsConfig, DnsCheckerConfig, TlsConfig } from "./dns";

/** Keys of this namespace whose value must be a Pulumi secret (`pulumi config set --secret`). */
export const SITE_SECRET_KEYS: readonly string[] = [...SITE_SSO_SECRET_KEYS, "jenkinsRegistryAuth"];
