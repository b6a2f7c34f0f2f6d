// Program of the cluster project (stacks paasA, paasB, tacc-paasA): one Kubernetes cluster
// slot on the network of its site stack. Config is parsed first: a bad config declares nothing.
import { loadStackConfig } from "../../components/config";
import { createCluster, INGRESS_NODE_PORTS } from "./cluster";

const { config } = loadStackConfig("cluster");

const { cluster, siteRef } = createCluster(config);
// Mesh (platform.ts) and apps (apps.ts) take `cluster.provider` here.

export const site = config.site;
export const slot = config.slot;
export const clusterName = cluster.clusterName;
export const kubeconfig = cluster.kubeconfig;
export const apiAddress = cluster.apiAddress;
export const ingressNodes = cluster.ingressNodes;
export const ingressNodePorts = INGRESS_NODE_PORTS;
export const siteNetworkId = siteRef.getOutput("networkId");
