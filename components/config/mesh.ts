// The `mesh` section of the cluster project's config: Istio ingress NodePorts, the app
// namespaces that join the mesh, the apps reachable through the ingress gateway (with an
// optional Flagger canary), the external hosts apps may call (egress ServiceEntries under
// REGISTRY_ONLY) and the observability add-ons. Every key has a default, so a stack with no
// `mesh` key still gets a working, locked-down mesh with no app in it.
import { INGRESS_NODE_PORT_DEFAULTS } from "../../src/ingress-ports";
import { z } from "zod";
import { dnsLabel, port } from "./fields";
import { durationSeconds, loadProfileShape } from "./load-test";

/** Namespaces the platform itself uses; an app namespace may not take one of them. */
export const PLATFORM_NAMESPACES = [
  "default",
  "kube-node-lease",
  "kube-public",
  "kube-system",
  "istio-system",
  "istio-ingress",
  "monitoring",
  "flagger-system",
  // the platform's own: database (components/database), Keycloak, deploy identity, chaos
  "jsp-db",
  "jsp-auth",
  "jsp-deploy",
  "jsp-chaos",
] as const;

const HOST_RE = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** A fully qualified DNS name, lowercase, no wildcard, no scheme, no port. */
export const hostname = z.string({ error: "must be a string" }).refine((s) => HOST_RE.test(s), {
  error: "must be a lowercase fully qualified host name (api.example.org): no wildcard, scheme or port",
});

/** Kubernetes allocates NodePorts from 30000-32767 (the default service-node-port-range). */
export const nodePort = z
  .number({ error: "must be a number" })
  .int({ error: "must be an integer" })
  .min(30000, { error: "must be a NodePort in 30000-32767 (the default service-node-port-range)" })
  .max(32767, { error: "must be a NodePort in 30000-32767 (the default service-node-port-range)" });

/** A Go/Prometheus duration as Flagger and Prometheus take it: 30s, 1m, 2h, 15d. */
export const duration = z
  .string({ error: "must be a string" })
  .regex(/^[1-9][0-9]*(s|m|h|d)$/, { error: "must be a duration such as 30s, 1m, 2h or 15d" });

export const DEFAULT_NODE_PORTS = INGRESS_NODE_PORT_DEFAULTS;

export const ingressNodePortsSchema = z
  .strictObject({
    /** HTTP (Service port 80), the edge's plain backend */
    http: nodePort.default(DEFAULT_NODE_PORTS.http),
    /** HTTPS (Service port 443), used when the gateway terminates TLS */
    https: nodePort.default(DEFAULT_NODE_PORTS.https),
    /** status port 15021, `/healthz/ready`, the edge health check */
    status: nodePort.default(DEFAULT_NODE_PORTS.status),
  })
  .superRefine((p, ctx) => {
    const seen = new Map<number, string>();
    for (const k of ["http", "https", "status"] as const) {
      const other = seen.get(p[k]);
      if (other) {
        ctx.addIssue({
          code: "custom",
          path: [k],
          input: p[k],
          message: `must differ from ${other} (each NodePort serves one gateway port)`,
        });
      }
      seen.set(p[k], k);
    }
  });

export const gatewaySchema = z.strictObject({
  /** ingress gateway pods; 2 so that a drained node does not take ingress down */
  replicas: z
    .number({ error: "must be a number" })
    .int({ error: "must be an integer" })
    .min(1, { error: "must be 1-10" })
    .max(10, { error: "must be 1-10" })
    .default(2),
  /**
   * Kubernetes TLS Secret in istio-ingress for the HTTPS server. Unset: the gateway serves
   * HTTP only and the edge terminates TLS.
   */
  tlsCredentialName: dnsLabel.optional(),
});

export const namespaceSchema = z.strictObject({
  /** namespace name; labelled istio-injection=enabled */
  name: dnsLabel.refine((s) => !(PLATFORM_NAMESPACES as readonly string[]).includes(s), {
    error: `must not be a platform namespace (${PLATFORM_NAMESPACES.join(", ")})`,
  }),
  /** ALLOW calls between workloads of this namespace (the allow-nothing policy denies them otherwise) */
  allowSameNamespace: z.boolean({ error: "must be true or false" }).default(true),
  /** other app namespaces whose workloads may call this one (mTLS identity, not IPs) */
  allowFrom: z.array(dnsLabel).default([]),
});

export const canarySchema = z
  .strictObject({
    /** time between analysis steps */
    interval: duration.default("1m"),
    /** failed checks before Flagger rolls back */
    threshold: z
      .number({ error: "must be a number" })
      .int({ error: "must be an integer" })
      .min(1, { error: "must be 1-100" })
      .max(100, { error: "must be 1-100" })
      .default(5),
    /** traffic percent added to the canary per step */
    stepWeight: z
      .number({ error: "must be a number" })
      .int({ error: "must be an integer" })
      .min(1, { error: "must be at least 1 (percent of traffic)" })
      .max(100, { error: "must be at most 100 (percent of traffic)" })
      .default(10),
    /** highest traffic percent the canary gets before promotion */
    maxWeight: z
      .number({ error: "must be a number" })
      .int({ error: "must be an integer" })
      .min(1, { error: "must be at least 1 (percent of traffic)" })
      .max(100, { error: "must be at most 100 (percent of traffic)" })
      .default(50),
    /** lowest acceptable request success rate, percent (Flagger request-success-rate) */
    minSuccessRate: z
      .number({ error: "must be a number" })
      .min(0, { error: "must be 0-100 (percent)" })
      .max(100, { error: "must be 0-100 (percent)" })
      .default(99),
    /** highest acceptable P99 request duration in ms (Flagger request-duration) */
    maxRequestDurationMs: z
      .number({ error: "must be a number" })
      .int({ error: "must be an integer" })
      .min(1, { error: "must be at least 1 ms" })
      .max(60000, { error: "must be at most 60000 ms" })
      .default(500),
    /**
     * The load test the load tester runs in every analysis step (a blocking webhook: a run
     * over the thresholds is a failed check), the same `jsp-loadtest` the pipeline runs.
     */
    loadTest: z
      .strictObject({
        enabled: z.boolean({ error: "must be true or false" }).default(true),
        ...loadProfileShape,
      })
      .prefault({}),
  })
  .superRefine((c, ctx) => {
    const unit = { s: 1, m: 60, h: 3600, d: 86400 }[c.interval.slice(-1) as "s" | "m" | "h" | "d"];
    if (
      c.loadTest.enabled &&
      durationSeconds(c.loadTest.duration) >= Number(c.interval.slice(0, -1)) * unit
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["loadTest", "duration"],
        input: c.loadTest.duration,
        message: `must be shorter than the analysis interval (${c.interval}): the webhook blocks the step while it runs`,
      });
    }
    if (c.stepWeight > c.maxWeight) {
      ctx.addIssue({
        code: "custom",
        path: ["stepWeight"],
        input: c.stepWeight,
        message: `must not exceed maxWeight (${c.maxWeight})`,
      });
    }
  });

export const appSchema = z.strictObject({
  /** the app's Deployment (and Service) name */
  name: dnsLabel,
  /** one of mesh.namespaces[].name */
  namespace: dnsLabel,
  /** the container port the app serves HTTP on */
  port,
  /** host names the ingress gateway routes to this app (the edge sends them here) */
  hosts: z.array(hostname).default([]),
  /** port Prometheus scrapes the app's own metrics on, through the mesh with mTLS */
  metricsPort: port.optional(),
  /** Flagger canary for this app; then Flagger owns its Services and VirtualService */
  canary: canarySchema.optional(),
});

export const EGRESS_PROTOCOLS = ["HTTP", "HTTPS", "HTTP2", "GRPC", "TLS", "TCP"] as const;

export const egressSchema = z.strictObject({
  /** ServiceEntry name */
  name: dnsLabel,
  /** the app namespace that may call these hosts (the entry is exported to it only) */
  namespace: dnsLabel,
  hosts: z.array(hostname).min(1, { error: "must list at least one host" }),
  ports: z
    .array(
      z.strictObject({
        number: port,
        protocol: z.enum(EGRESS_PROTOCOLS, { error: `must be one of ${EGRESS_PROTOCOLS.join(", ")}` }),
      }),
    )
    .min(1, { error: "must list at least one port" }),
});

export const observabilitySchema = z.strictObject({
  prometheus: z
    .strictObject({
      /** how long Prometheus keeps samples */
      retention: duration.default("15d"),
      /** Alertmanager from kube-prometheus-stack; off until receivers are configured */
      alertmanager: z.boolean({ error: "must be true or false" }).default(false),
    })
    .prefault({}),
  grafana: z
    .strictObject({
      /** Grafana admin login; the password is generated, never configured */
      adminUser: dnsLabel
        .refine((s) => s !== "admin", { error: "must not be admin (pick a name that is not the default)" })
        .default("platform-admin"),
    })
    .prefault({}),
  kiali: z
    .strictObject({
      /**
       * `token` (a Kubernetes service-account token) or `openid` (needs `openid`). Kiali's
       * `anonymous` strategy is refused: it gives anyone who reaches Kiali the mesh.
       */
      strategy: z
        .enum(["token", "openid"], {
          error: "must be token or openid (anonymous is refused: anyone reaching Kiali would see the mesh)",
        })
        .default("token"),
      openid: z
        .strictObject({
          issuerUri: z.string().regex(/^https:\/\/[^\s]+$/, { error: "must be an https:// issuer URL" }),
          clientId: z.string().min(1, { error: "must not be empty" }),
        })
        .optional(),
      /** Kiali cannot change mesh config; turn off only for an operator-only Kiali */
      viewOnly: z.boolean({ error: "must be true or false" }).default(true),
    })
    .prefault({})
    .superRefine((k, ctx) => {
      if (k.strategy === "openid" && !k.openid) {
        ctx.addIssue({
          code: "custom",
          path: ["openid"],
          input: undefined,
          message: "must be given when strategy is openid (issuerUri, clientId)",
        });
      }
    }),
});

export const meshSchema = z
  .strictObject({
    ingressNodePorts: ingressNodePortsSchema.prefault({}),
    gateway: gatewaySchema.prefault({}),
    namespaces: z.array(namespaceSchema).default([]),
    apps: z.array(appSchema).default([]),
    egress: z.array(egressSchema).default([]),
    observability: observabilitySchema.prefault({}),
  })
  .superRefine((m, ctx) => {
    const known = new Set(m.namespaces.map((n) => n.name));
    const knownList = [...known].sort().join(", ") || "none declared";
    const unknownNs = (path: PropertyKey[], ns: string, what: string) =>
      ctx.addIssue({
        code: "custom",
        path,
        input: ns,
        message: `${what} must be one of mesh.namespaces (${knownList})`,
      });
    const dup = (path: PropertyKey[], input: string, what: string) =>
      ctx.addIssue({ code: "custom", path, input, message: `${what} must be unique` });

    const nsSeen = new Set<string>();
    m.namespaces.forEach((n, i) => {
      if (nsSeen.has(n.name)) dup(["namespaces", i, "name"], n.name, "namespace names");
      nsSeen.add(n.name);
      n.allowFrom.forEach((f, j) => {
        if (!known.has(f)) unknownNs(["namespaces", i, "allowFrom", j], f, "allowFrom entries");
      });
    });

    const appSeen = new Set<string>();
    const hostOwner = new Map<string, string>();
    m.apps.forEach((a, i) => {
      if (!known.has(a.namespace)) unknownNs(["apps", i, "namespace"], a.namespace, "an app's namespace");
      const key = `${a.namespace}/${a.name}`;
      if (appSeen.has(key)) dup(["apps", i, "name"], a.name, "app names within a namespace");
      appSeen.add(key);
      a.hosts.forEach((h, j) => {
        const owner = hostOwner.get(h);
        if (owner) {
          ctx.addIssue({
            code: "custom",
            path: ["apps", i, "hosts", j],
            input: h,
            message: `is already routed to ${owner}; a host goes to one app`,
          });
        }
        hostOwner.set(h, key);
      });
      if (a.metricsPort !== undefined && a.metricsPort === a.port) {
        ctx.addIssue({
          code: "custom",
          path: ["apps", i, "metricsPort"],
          input: a.metricsPort,
          message: "must differ from port (metrics stay off the served port)",
        });
      }
    });

    const egressSeen = new Set<string>();
    m.egress.forEach((e, i) => {
      if (!known.has(e.namespace))
        unknownNs(["egress", i, "namespace"], e.namespace, "a ServiceEntry's namespace");
      const key = `${e.namespace}/${e.name}`;
      if (egressSeen.has(key)) dup(["egress", i, "name"], e.name, "egress names within a namespace");
      egressSeen.add(key);
    });
  });

export type MeshConfig = z.output<typeof meshSchema>;
export type MeshAppConfig = z.output<typeof appSchema>;
export type MeshCanaryConfig = z.output<typeof canarySchema>;
export type MeshEgressConfig = z.output<typeof egressSchema>;
export type MeshNamespaceConfig = z.output<typeof namespaceSchema>;
export type ObservabilityConfig = z.output<typeof observabilitySchema>;
export type IngressNodePorts = z.output<typeof ingressNodePortsSchema>;
