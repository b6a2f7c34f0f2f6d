// Schema of the cluster project's config (`jetstream-paas-cluster:*`, stacks paasA, paasB,
// tacc-paasA, ...). The KubesprayCluster section is added by components/cluster.
import { z } from "zod";
import { blueGreenSchema } from "./blue-green";
import { imageName, site, stackName } from "./fields";

/** Cluster slots of a site: two, so an upgrade builds the new cluster beside the old one. */
export const SLOTS = ["paasA", "paasB"] as const;
export type SlotName = (typeof SLOTS)[number];

export const clusterSchema = z.strictObject({
  site,
  slot: z.enum(SLOTS, { error: `must be one of ${SLOTS.join(", ")}` }),
  /** the site stack whose network, security groups and bastion this cluster uses */
  siteStack: stackName,
  image: imageName,
  /** blue/green services of this cluster (components/apps) */
  blueGreen: blueGreenSchema.default([]),
});

export type ClusterConfig = z.output<typeof clusterSchema>;

export const CLUSTER_SECRET_KEYS: readonly string[] = [];
