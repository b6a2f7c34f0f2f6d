// The cluster of a paas stack: KubesprayCluster on the network of the site stack.
import * as pulumi from "@pulumi/pulumi";
import type { ClusterConfig } from "../../components/config";
import { KubesprayCluster } from "../../components/cluster";

export function createCluster(config: ClusterConfig): {
  cluster: KubesprayCluster;
  siteRef: pulumi.StackReference;
} {
  const siteRef = new pulumi.StackReference(`${config.slot.toLowerCase()}-site`, { name: config.siteStack });
  const c = config.cluster;
  const cluster = new KubesprayCluster(config.slot.toLowerCase(), {
    site: config.site,
    slot: config.slot,
    namePrefix: c.namePrefix,
    clusterName: c.name,
    image: config.image,
    network: {
      networkId: siteRef.requireOutput("networkId") as pulumi.Output<string>,
      subnetId: siteRef.requireOutput("subnetId") as pulumi.Output<string>,
      subnetCidr: siteRef.requireOutput("subnetCidr") as pulumi.Output<string>,
      nodeSecurityGroupId: siteRef
        .requireOutput("securityGroupIds")
        .apply((g: Record<string, string>) => g.nodes),
      keypairName: siteRef.requireOutput("keypairName") as pulumi.Output<string>,
      bastionAddress: siteRef.requireOutput("bastionAddress") as pulumi.Output<string>,
    },
    controlPlane: c.controlPlane,
    workers: c.workers,
    etcd: c.etcd.placement === "separate" ? { count: c.etcd.count, flavor: c.etcd.flavor } : undefined,
    kubernetesVersion: c.kubernetesVersion,
    networkPlugin: c.networkPlugin,
    podCidr: c.podCidr,
    serviceCidr: c.serviceCidr,
    api: { floatingIp: c.api.floatingIp },
    ssh: {
      user: c.sshUser,
      privateKey: config.sshPrivateKey === undefined ? undefined : pulumi.secret(config.sshPrivateKey),
    },
  });
  return { cluster, siteRef };
}
