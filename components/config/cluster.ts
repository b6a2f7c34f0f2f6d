// Schema of the cluster project's config (`jetstream-paas-cluster:*`, stacks paasA, paasB,
// tacc-paasA, ...). The `cluster` section belongs to components/cluster (KubesprayCluster).
import { z } from "zod";
import {
  CLUSTER_DEFAULTS,
  NODE_MINIMUMS,
  KUBESPRAY,
  SUPPORTED_KUBERNETES_VERSIONS,
} from "../../src/kubespray";
import { blueGreenSchema } from "./blue-green";
import { meshSchema } from "./mesh";
import { chaosSchema } from "./chaos";
import { checkSso, clusterSsoSchema, CLUSTER_SSO_SECRET_KEYS } from "./sso";
import { cidr, dnsLabel, flavor, imageName, noOverlap, site, stackName } from "./fields";
import { JETSTREAM2_FLAVORS } from "./flavors";

/** Cluster slots of a site: two, so an upgrade builds the new cluster beside the old one. */
export const SLOTS = ["paasA", "paasB"] as const;
export type SlotName = (typeof SLOTS)[number];

const count = (min: number, why = "") =>
  z
    .number({ error: "must be a number" })
    .int({ error: "must be an integer" })
    .min(min, { error: `must be at least ${min}${why}` })
    .max(200, { error: "must be at most 200 (one Jetstream2 allocation does not hold more)" });

const bootVolumeGb = z
  .number({ error: "must be a number" })
  .int({ error: "must be an integer" })
  .min(20, { error: "must be at least 20 (GB; the image alone needs most of that)" })
  .max(2000, { error: "must be at most 2000 (GB)" })
  .optional();

const ROLE_LABEL = { controlPlane: "control-plane", worker: "worker", etcd: "etcd" } as const;

/** A flavor that meets a role's minimum (Kubespray's RAM floor, kubeadm's 2-CPU preflight). */
function roleFlavor(role: keyof typeof NODE_MINIMUMS, fallback: string) {
  const min = NODE_MINIMUMS[role];
  return flavor.default(fallback).superRefine((f, ctx) => {
    const spec = JETSTREAM2_FLAVORS[f];
    if (spec && (spec.ramMb < min.ramMb || spec.vcpus < min.vcpus)) {
      ctx.addIssue({
        code: "custom",
        input: f,
        message: `must have at least ${min.vcpus} vCPU and ${min.ramMb} MB RAM for a ${ROLE_LABEL[role]} node (Kubespray/kubeadm minimum); ${f} has ${spec.vcpus} vCPU, ${spec.ramMb} MB`,
      });
    }
  });
}

const controlPlaneSchema = z.strictObject({
  /** odd (etcd quorum), 3 for HA */
  count: count(1)
    .default(3)
    .refine((n) => n % 2 === 1, {
      error:
        "must be odd (etcd keeps quorum with a majority; 3 or 5 for HA, Kubespray refuses an even count)",
    }),
  flavor: roleFlavor("controlPlane", "m3.quad"),
  /** a floating IP on every control-plane node (SSH then skips the bastion); the API VIP has its own */
  floatingIp: z.boolean({ error: "must be true or false" }).default(false),
  /** boot from a Cinder volume of this size instead of the flavor's disk */
  bootVolumeGb,
});

const workersSchema = z.strictObject({
  count: count(1, " (the ingress gateway the edge targets runs on workers)").default(3),
  flavor: roleFlavor("worker", "m3.medium"),
  floatingIp: z.boolean({ error: "must be true or false" }).default(false),
  bootVolumeGb,
  /** soft (default) tolerates more workers than hypervisors; hard refuses to co-locate */
  antiAffinity: z.enum(["soft", "hard"], { error: "must be soft or hard" }).default("soft"),
});

const etcdSchema = z.strictObject({
  /** etcd on the control-plane nodes (stacked, default) or on nodes of its own */
  placement: z
    .enum(["control-plane", "separate"], { error: "must be control-plane or separate" })
    .default("control-plane"),
  count: count(1)
    .default(3)
    .refine((n) => n % 2 === 1, { error: "must be odd (etcd keeps quorum with a majority)" }),
  flavor: roleFlavor("etcd", "m3.small"),
});

export const kubernetesClusterSchema = z
  .strictObject({
    /** host-name prefix of every node; defaults to the slot in lowercase (`paasa-cp-1`) */
    namePrefix: dnsLabel.optional(),
    /** Kubespray cluster_name; defaults to `jetstream-<site>-<slot>` */
    name: dnsLabel.optional(),
    controlPlane: controlPlaneSchema.default({ count: 3, flavor: "m3.quad", floatingIp: false }),
    workers: workersSchema.default({
      count: 3,
      flavor: "m3.medium",
      floatingIp: false,
      antiAffinity: "soft",
    }),
    etcd: etcdSchema.default({ placement: "control-plane", count: 3, flavor: "m3.small" }),
    kubernetesVersion: z
      .string({ error: "must be a string" })
      .default(KUBESPRAY.defaultKubernetesVersion)
      .refine((v) => SUPPORTED_KUBERNETES_VERSIONS.includes(v), {
        error: `must be a Kubernetes version Kubespray ${KUBESPRAY.version} installs (1.33.0-1.33.11, 1.34.0-1.34.7, 1.35.0-1.35.4; no leading v)`,
      }),
    networkPlugin: z
      .enum(["calico", "cilium", "flannel"], { error: "must be calico, cilium or flannel" })
      .default(CLUSTER_DEFAULTS.networkPlugin),
    podCidr: cidr.default(CLUSTER_DEFAULTS.podCidr),
    serviceCidr: cidr.default(CLUSTER_DEFAULTS.serviceCidr),
    /** the site subnet, checked against the pod and service CIDRs here and against the site stack at run time */
    nodeCidr: cidr.optional(),
    api: z
      .strictObject({
        /** floating IP on the API VIP, so the operator's Pulumi can reach it (admin CIDRs only) */
        floatingIp: z.boolean({ error: "must be true or false" }).default(true),
      })
      .default({ floatingIp: true }),
    /** login of the image's default user (Featured-Ubuntu*: ubuntu) */
    sshUser: z
      .string({ error: "must be a string" })
      .regex(/^[a-z_][a-z0-9_-]{0,31}$/, { error: "must be a lowercase Unix user name" })
      .default(CLUSTER_DEFAULTS.sshUser),
  })
  .superRefine((c, ctx) => {
    const entries: Array<[string, string]> = [
      ["serviceCidr", c.serviceCidr],
      ["podCidr", c.podCidr],
    ];
    if (c.nodeCidr) entries.unshift(["nodeCidr", c.nodeCidr]);
    noOverlap(ctx, entries);
  });

export const clusterSchema = z
  .strictObject({
    site,
    slot: z.enum(SLOTS, { error: `must be one of ${SLOTS.join(", ")}` }),
    /** the site stack whose network, security groups and bastion this cluster uses */
    siteStack: stackName,
    image: imageName,
    /** Istio, observability and Flagger (components/mesh); every key has a default */
    mesh: meshSchema.prefault({}),
    cluster: kubernetesClusterSchema.default(kubernetesClusterSchema.parse({})),
    /**
     * The operator's private key for the bastion (the site keypair's). A Pulumi secret: the
     * command provider stores it encrypted and hands it to a short-lived ssh-agent on the bastion.
     */
    sshPrivateKey: z
      .string({ error: "must be a string" })
      .min(1, { error: "must not be empty" })
      .refine((s) => !/^(ssh-|ecdsa-|sk-)/.test(s.trim()), {
        error: "must be a private key (-----BEGIN OPENSSH PRIVATE KEY-----...), not a public key line",
      })
      .optional(),
    /** blue/green services of this cluster (components/apps) */
    blueGreen: blueGreenSchema.default([]),
    /** single sign-on for Grafana and Kiali, and Keycloak when it is the issuer (components/sso) */
    sso: clusterSsoSchema.optional(),
    ssoGrafanaClientSecret: z.string().min(1, { error: "must not be empty" }).optional(),
    ssoKialiClientSecret: z.string().min(1, { error: "must not be empty" }).optional(),
    ssoJenkinsClientSecret: z.string().min(1, { error: "must not be empty" }).optional(),
    keycloakDbPassword: z.string().min(1, { error: "must not be empty" }).optional(),
    /** kube-monkey, opt-in per namespace (components/delivery); off by default */
    chaos: chaosSchema.prefault({}),
  })
  .superRefine((c, ctx) => {
    if (c.sso) {
      checkSso(c.sso, ctx, c.sso.keycloak !== undefined, "keycloak");
      const need: Array<keyof ClusterSecretFields> = ["ssoGrafanaClientSecret", "ssoKialiClientSecret"];
      if (c.sso.issuer === "keycloak") need.push("ssoJenkinsClientSecret", "keycloakDbPassword");
      for (const k of need) {
        if (c[k] === undefined) {
          ctx.addIssue({
            code: "custom",
            path: [k],
            input: undefined,
            message: `must be set (pulumi config set --secret) when sso.issuer is ${c.sso.issuer}`,
          });
        }
      }
    }
    // A meshed app outside the mesh's namespaces gets no sidecar (no injection label) and its
    // VirtualService routes to pods that are not in the mesh.
    const meshNamespaces = new Set(c.mesh.namespaces.map((n) => n.name));
    const appNamespaces = new Set([...meshNamespaces, ...c.blueGreen.map((a) => a.namespace)]);
    c.chaos.namespaces.forEach((n, i) => {
      if (!appNamespaces.has(n.name)) {
        ctx.addIssue({
          code: "custom",
          path: ["chaos", "namespaces", i, "name"],
          input: n.name,
          message: `must be an application namespace of this stack (${[...appNamespaces].sort().join(", ") || "none"})`,
        });
      }
    });
    c.blueGreen.forEach((app, i) => {
      if (app.meshed && !meshNamespaces.has(app.namespace)) {
        ctx.addIssue({
          code: "custom",
          path: ["blueGreen", i, "namespace"],
          input: app.namespace,
          message: `must be one of mesh.namespaces (${[...meshNamespaces].join(", ") || "none"}) when meshed is true`,
        });
      }
    });
  });

export type ClusterConfig = z.output<typeof clusterSchema>;
export type KubernetesClusterConfig = z.output<typeof kubernetesClusterSchema>;

type ClusterSecretFields = Pick<
  z.output<typeof clusterSchema>,
  "ssoGrafanaClientSecret" | "ssoKialiClientSecret" | "ssoJenkinsClientSecret" | "keycloakDbPassword"
>;

export const CLUSTER_SECRET_KEYS: readonly string[] = ["sshPrivateKey", ...CLUSTER_SSO_SECRET_KEYS];
