// Phase 1 of a KubesprayCluster: the API VIP and the VMs (ports, server groups, instances,
// optional floating IPs). Names are keyed by role and index, never by count (Kubespray PR #5952).
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { registerArtifact } from "../../src/artifacts";
import type { KubesprayClusterArgs, KubesprayNodePoolArgs } from "./kubespray-cluster";
import { NodeRole, renderNodeCloudInit } from "./render/node-cloud-init";

/** @internal What the later phases need to know about the cluster's names. */
export interface ClusterNames {
  /** component name: the prefix of every child resource's Pulumi name */
  name: string;
  /** node name prefix (`paasa`) */
  prefix: string;
  clusterName: string;
  externalNetwork: string;
}

/** @internal */
export interface PlannedNode {
  host: string;
  role: NodeRole;
  port: openstack.networking.Port;
  instance: openstack.compute.Instance;
  ip: pulumi.Output<string>;
  floatingIp?: pulumi.Output<string>;
}

/** @internal */
export interface PlannedNodes {
  controlPlane: PlannedNode[];
  etcd: PlannedNode[];
  workers: PlannedNode[];
}

/**
 * @internal The API VIP: a port that only reserves the address; kube-vip on the control plane
 * answers ARP for it, which Neutron port security allows through allowed-address-pairs.
 */
export function createApiVip(
  n: ClusterNames,
  args: KubesprayClusterArgs,
  parent: pulumi.Resource,
): { apiVip: pulumi.Output<string>; apiAddress: pulumi.Output<string> } {
  const opts = { parent };
  const vipPort = new openstack.networking.Port(
    `${n.name}-api-vip`,
    {
      name: `${n.prefix}-api-vip`,
      description: `Kubernetes API VIP of ${n.clusterName} (kube-vip)`,
      networkId: args.network.networkId,
      fixedIps: [{ subnetId: args.network.subnetId }],
      securityGroupIds: [args.network.nodeSecurityGroupId],
      adminStateUp: true,
    },
    opts,
  );
  const apiVip = vipPort.allFixedIps.apply((ips) => ips[0]);
  if (!(args.api?.floatingIp ?? true)) return { apiVip, apiAddress: apiVip };
  const fip = new openstack.networking.FloatingIp(
    `${n.name}-api-fip`,
    { pool: n.externalNetwork, description: `Kubernetes API of ${n.clusterName}` },
    opts,
  );
  new openstack.networking.FloatingIpAssociate(
    `${n.name}-api-fip-assoc`,
    { floatingIp: fip.address, portId: vipPort.id },
    opts,
  );
  return { apiVip, apiAddress: fip.address };
}

/** @internal Every node VM of the cluster, with anti-affinity server groups per role. */
export function createNodes(
  n: ClusterNames,
  args: KubesprayClusterArgs,
  apiVip: pulumi.Output<string>,
  parent: pulumi.Resource,
): PlannedNodes {
  const etcdApart = args.etcd !== undefined && args.etcd.count > 0;
  const usesVolumes = [args.controlPlane, args.workers].some((p) => p.bootVolumeGb !== undefined);
  const imageId = usesVolumes
    ? openstack.images.getImageOutput({ name: args.image, mostRecent: true }, { parent }).id
    : undefined;
  const group = (role: string, policy: string) =>
    new openstack.compute.ServerGroup(
      `${n.name}-${role}-group`,
      { name: `${n.prefix}-${role}`, policies: [policy] },
      { parent },
    );
  const groups: Partial<Record<NodeRole, openstack.compute.ServerGroup>> = {
    "control-plane": group("cp", "anti-affinity"),
    worker: group("worker", args.workers.antiAffinity === "hard" ? "anti-affinity" : "soft-anti-affinity"),
    etcd: etcdApart ? group("etcd", "anti-affinity") : undefined,
  };
  const node = (role: NodeRole, short: string, index: number, pool: KubesprayNodePoolArgs) =>
    createNode({ n, args, role, short, index, pool, apiVip, group: groups[role]!, imageId, parent });
  const range = (count: number) => Array.from({ length: count }, (_, i) => i + 1);
  return {
    controlPlane: range(args.controlPlane.count).map((i) =>
      node("control-plane", "cp", i, args.controlPlane),
    ),
    etcd: etcdApart
      ? range(args.etcd!.count).map((i) =>
          node("etcd", "etcd", i, { count: args.etcd!.count, flavor: args.etcd!.flavor }),
        )
      : [],
    workers: range(args.workers.count).map((i) => node("worker", "worker", i, args.workers)),
  };
}

interface NodeSpec {
  n: ClusterNames;
  args: KubesprayClusterArgs;
  role: NodeRole;
  short: string;
  index: number;
  pool: KubesprayNodePoolArgs;
  apiVip: pulumi.Output<string>;
  group: openstack.compute.ServerGroup;
  imageId?: pulumi.Output<string>;
  parent: pulumi.Resource;
}

function createNode(s: NodeSpec): PlannedNode {
  const { n, args, pool, parent } = s;
  const net = args.network;
  const host = `${n.prefix}-${s.short}-${s.index}`;
  const base = `${n.name}-${s.short}-${s.index}`;
  const port = new openstack.networking.Port(
    `${base}-port`,
    {
      name: `${host}-port`,
      networkId: net.networkId,
      fixedIps: [{ subnetId: net.subnetId }],
      securityGroupIds: [net.nodeSecurityGroupId],
      adminStateUp: true,
      allowedAddressPairs: s.role === "control-plane" ? [{ ipAddress: s.apiVip }] : undefined,
    },
    { parent },
  );
  const userData = renderNodeCloudInit({
    hostname: host,
    role: s.role,
    sshAuthorizedKeys: args.ssh.authorizedKeys,
  });
  registerArtifact(`cloud-init/${host}.yaml`, userData);
  const instance = new openstack.compute.Instance(
    base,
    {
      name: host,
      imageName: pool.bootVolumeGb === undefined ? args.image : undefined,
      flavorName: pool.flavor,
      keyPair: net.keypairName,
      networks: [{ port: port.id }],
      userData,
      schedulerHints: [{ group: s.group.id }],
      blockDevices: pool.bootVolumeGb === undefined ? undefined : [bootVolume(s.imageId!, pool.bootVolumeGb)],
      metadata: {
        "jetstream-paas/cluster": n.clusterName,
        "jetstream-paas/role": s.role,
        "jetstream-paas/site": args.site,
        "jetstream-paas/slot": args.slot,
      },
    },
    // A new cloud-init template applies to new nodes; replacing live nodes is an A/B upgrade.
    { parent, ignoreChanges: ["userData"] },
  );
  const ip = port.allFixedIps.apply((ips) => ips[0]);
  if (!pool.floatingIp) return { host, role: s.role, port, instance, ip };
  const fip = new openstack.networking.FloatingIp(
    `${base}-fip`,
    { pool: n.externalNetwork, description: `${host} public address` },
    { parent },
  );
  new openstack.networking.FloatingIpAssociate(
    `${base}-fip-assoc`,
    { floatingIp: fip.address, portId: port.id },
    { parent, dependsOn: [instance] },
  );
  return { host, role: s.role, port, instance, ip, floatingIp: fip.address };
}

function bootVolume(imageId: pulumi.Input<string>, volumeSize: number) {
  return {
    uuid: imageId,
    sourceType: "image",
    destinationType: "volume",
    volumeSize,
    bootIndex: 0,
    deleteOnTermination: true,
  };
}
