// Program of the cluster project (stacks paasA, paasB, tacc-paasA): one Kubernetes cluster
// slot on the network of its site stack. The cluster itself is components/cluster.
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "../../components/config";

const { config } = loadStackConfig("cluster");

const siteRef = new pulumi.StackReference(`${config.slot.toLowerCase()}-site`, { name: config.siteStack });

export const site = config.site;
export const slot = config.slot;
export const siteNetworkId = siteRef.getOutput("networkId");
export const siteSubnetId = siteRef.getOutput("subnetId");
