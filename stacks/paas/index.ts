// Program of the cluster project (stacks paasA, paasB, tacc-paasA): one Kubernetes cluster
// slot on the network of its site stack. The cluster itself is components/cluster.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "../../components/config";
import { deployApps } from "./apps";

const { config } = loadStackConfig("cluster");

const siteRef = new pulumi.StackReference(`${config.slot.toLowerCase()}-site`, { name: config.siteStack });

export const site = config.site;
export const slot = config.slot;
export const siteNetworkId = siteRef.getOutput("networkId");
export const siteSubnetId = siteRef.getOutput("subnetId");

// Blue/green services (components/apps, docs/delivery.md).
// stand-in until KubesprayCluster.provider is merged: the lead replaces this provider by
// cluster.provider; its kubeconfig is a placeholder and it cannot reach any cluster.
const appsProvider = new k8s.Provider(`${config.slot.toLowerCase()}-apps-k8s-standin`, {
  kubeconfig: pulumi.secret("stand-in: replaced by KubesprayCluster.provider at merge"),
  clusterIdentifier: `${config.site}-${config.slot.toLowerCase()}`,
});
const apps = deployApps(config, appsProvider);
export const blueGreenActive = Object.fromEntries(Object.entries(apps).map(([n, a]) => [n, a.activeColour]));
