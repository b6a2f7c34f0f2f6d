// Program of the cluster project (stacks paasA, paasB, tacc-paasA): one Kubernetes cluster
// slot on the network of its site stack. The cluster itself is components/cluster.
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { loadStackConfig } from "../../components/config";
import { deployPlatform } from "./platform";

const { config } = loadStackConfig("cluster");

const siteRef = new pulumi.StackReference(`${config.slot.toLowerCase()}-site`, { name: config.siteStack });

export const site = config.site;
export const slot = config.slot;
export const siteNetworkId = siteRef.getOutput("networkId");
export const siteSubnetId = siteRef.getOutput("subnetId");

// stand-in until KubesprayCluster.provider is merged: the lead swaps this for cluster.provider.
const standInProvider = new k8s.Provider(`${config.slot.toLowerCase()}-k8s`, {
  kubeconfig: pulumi.secret("stand-in kubeconfig: replaced by KubesprayCluster.provider"),
  clusterIdentifier: `jetstream-paas-${config.site}-${config.slot.toLowerCase()}`,
});
export const {
  ingressNodePorts,
  ingressReadinessPath,
  istioVersion,
  canaries,
  dashboards,
  grafanaAdminUser,
  grafanaAdminPassword,
} = deployPlatform(config, standInProvider);
