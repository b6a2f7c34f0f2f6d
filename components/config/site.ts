// Schema of the site project's config (`jetstream-paas:*`, stacks iu and tacc).
// Sections owned by later components (edge, jenkins, state) are added here, one key each.
import { z } from "zod";
import { parseCidr } from "../../src/cidr";
import { adminCidr, cidr, dnsLabel, flavor, imageName, ipv4, noOverlap, site, sshPublicKey } from "./fields";
import { jenkinsSchema } from "./jenkins";

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
    /** Jenkins as code (components/jenkins): enabled at IU by default */
    jenkins: jenkinsSchema.default(jenkinsSchema.parse({})),
  })
  .superRefine((c, ctx) => {
    const entries: Array<[string, string]> = [["network.cidr", c.network.cidr]];
    c.adminCidrs.forEach((a, i) => entries.push([`adminCidrs.${i}`, a]));
    noOverlap(ctx, entries);
  });

export type SiteConfig = z.output<typeof siteSchema>;
export type NetworkConfig = z.output<typeof networkSchema>;

/** Keys of this namespace whose value must be a Pulumi secret (`pulumi config set --secret`). */
export const SITE_SECRET_KEYS: readonly string[] = [];
