import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import { registerArtifact } from "../../src/artifacts";
import { INGRESS_NODE_PORT_DEFAULTS } from "../../src/ingress-ports";
import { renderBastionCloudInit } from "./render/bastion-cloud-init";
import { GROUP_ROLES, GroupRole, planSecurityRules, RuleSpec } from "./render/security-rules";

/** Network of a site: create it, or use one that exists (e.g. Jetstream2's auto_allocated_network). */
export interface SiteNetworkNetworkArgs {
  /** `create` (default) makes network and subnet; `existing` looks them up by name. */
  mode?: "create" | "existing";
  name: string;
  /** @default `${name}-subnet` */
  subnetName?: string;
  /** the node subnet; in `existing` mode it must be the existing subnet's CIDR */
  cidr: string;
  dnsNameservers?: string[];
  /**
   * Jetstream2 allows one router per allocation: `existing` (default) attaches the new subnet
   * to the named router, `create` makes a router to the external network.
   * @default { mode: "existing", name: "auto_allocated_router" }
   */
  router?: { mode: "create" | "existing"; name: string };
  /** @default "public" */
  externalNetwork?: string;
}

export interface SiteNetworkArgs {
  /** site name, the prefix of every cloud resource name ("iu", "tacc") */
  site: string;
  network: SiteNetworkNetworkArgs;
  /** CIDRs operators connect from; never 0.0.0.0/0 */
  adminCidrs: string[];
  /** keypair created for every VM of the site; only the public key enters state */
  keypair: { name: string; publicKey: pulumi.Input<string> };
  bastion: { image: string; flavor: string };
  /**
   * TCP ports on cluster nodes the edge may reach (Istio ingress gateway NodePorts).
   * @default [30080, 30443, 30021]
   */
  ingressNodePorts?: number[];
  /** @default 6443 */
  apiPort?: number;
}

export const DEFAULT_INGRESS_NODE_PORTS: number[] = Object.values(INGRESS_NODE_PORT_DEFAULTS);

/**
 * The site shell: network, subnet, router attachment, least-privilege security groups,
 * keypair and bastion. Owned by the site stack so operations can change it without touching
 * the clusters.
 */
export class SiteNetwork extends pulumi.ComponentResource {
  public readonly networkId: pulumi.Output<string>;
  public readonly subnetId: pulumi.Output<string>;
  public readonly subnetCidr: pulumi.Output<string>;
  public readonly routerId: pulumi.Output<string | undefined>;
  public readonly securityGroupIds: pulumi.Output<Record<GroupRole, string>>;
  public readonly keypairName: pulumi.Output<string>;
  public readonly bastionAddress: pulumi.Output<string>;
  public readonly bastionFixedIp: pulumi.Output<string>;
  public readonly externalNetwork: string;

  constructor(name: string, args: SiteNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jetstream:network:SiteNetwork", name, args, opts);
    const r = createSiteNetwork(name, args, this);
    this.networkId = r.networkId;
    this.subnetId = r.subnetId;
    this.subnetCidr = r.subnetCidr;
    this.routerId = r.routerId;
    this.securityGroupIds = r.securityGroupIds;
    this.keypairName = r.keypairName;
    this.bastionAddress = r.bastionAddress;
    this.bastionFixedIp = r.bastionFixedIp;
    this.externalNetwork = r.externalNetwork;
    this.registerOutputs({
      networkId: this.networkId,
      subnetId: this.subnetId,
      subnetCidr: this.subnetCidr,
      routerId: this.routerId,
      securityGroupIds: this.securityGroupIds,
      keypairName: this.keypairName,
      bastionAddress: this.bastionAddress,
      bastionFixedIp: this.bastionFixedIp,
    });
  }
}

/** @internal */
function createSiteNetwork(name: string, args: SiteNetworkArgs, parent: pulumi.Resource) {
  const opts: pulumi.CustomResourceOptions = { parent };
  const net = args.network;
  const mode = net.mode ?? "create";
  const subnetName = net.subnetName ?? `${net.name}-subnet`;
  const router = net.router ?? { mode: "existing", name: "auto_allocated_router" };
  const externalNetwork = net.externalNetwork ?? "public";
  for (const cidr of args.adminCidrs) {
    if (/\/[0-7]$/.test(cidr)) {
      throw new pulumi.ResourceError(
        `adminCidrs entry ${cidr} opens to the world; give the operators' networks`,
        parent,
      );
    }
  }
  if (mode === "existing" && router.mode === "create") {
    throw new pulumi.ResourceError(
      "network.mode existing and router.mode create are mutually exclusive",
      parent,
    );
  }

  let networkId: pulumi.Output<string>;
  let subnetId: pulumi.Output<string>;
  let routerId: pulumi.Output<string | undefined> = pulumi.output(undefined);
  let attached: pulumi.Resource[] = [];
  if (mode === "existing") {
    const found = openstack.networking.getNetworkOutput({ name: net.name }, { parent });
    networkId = found.id;
    // Looking the subnet up by name *and* CIDR makes a config that disagrees with the cloud fail.
    subnetId = openstack.networking.getSubnetOutput(
      { name: subnetName, networkId: found.id, cidr: net.cidr },
      { parent },
    ).id;
  } else {
    const network = new openstack.networking.Network(
      `${name}-net`,
      { name: net.name, adminStateUp: true, description: `jetstream-paas ${args.site} site network` },
      opts,
    );
    const subnet = new openstack.networking.Subnet(
      `${name}-subnet`,
      {
        name: subnetName,
        networkId: network.id,
        cidr: net.cidr,
        ipVersion: 4,
        dnsNameservers: net.dnsNameservers && net.dnsNameservers.length > 0 ? net.dnsNameservers : undefined,
      },
      opts,
    );
    networkId = network.id;
    subnetId = subnet.id;
    let rid: pulumi.Output<string>;
    if (router.mode === "create") {
      const ext = openstack.networking.getNetworkOutput(
        { name: externalNetwork, external: true },
        { parent },
      );
      const created = new openstack.networking.Router(
        `${name}-router`,
        { name: router.name, externalNetworkId: ext.id, adminStateUp: true },
        opts,
      );
      rid = created.id;
    } else {
      rid = openstack.networking.getRouterOutput({ name: router.name }, { parent }).id;
    }
    routerId = rid;
    const iface = new openstack.networking.RouterInterface(
      `${name}-router-if`,
      { routerId: rid, subnetId: subnet.id },
      opts,
    );
    attached = [iface];
  }

  const groups = {} as Record<GroupRole, openstack.networking.SecGroup>;
  for (const role of GROUP_ROLES) {
    groups[role] = new openstack.networking.SecGroup(
      `${name}-${role}-sg`,
      {
        name: `${args.site}-${role}`,
        description: `jetstream-paas ${args.site}: ${role}`,
        // Keep OpenStack's default egress rules; every ingress rule is ours.
        deleteDefaultRules: false,
      },
      opts,
    );
  }
  const rules = planSecurityRules({
    adminCidrs: args.adminCidrs,
    subnetCidr: net.cidr,
    ingressNodePorts: args.ingressNodePorts ?? DEFAULT_INGRESS_NODE_PORTS,
    apiPort: args.apiPort ?? 6443,
  });
  for (const rule of rules) secGroupRule(name, rule, groups, opts);

  const keypair = new openstack.compute.Keypair(
    `${name}-keypair`,
    { name: args.keypair.name, publicKey: args.keypair.publicKey },
    opts,
  );

  const bastionHost = `${args.site}-bastion`;
  const userData = renderBastionCloudInit({ hostname: bastionHost });
  registerArtifact(`cloud-init/${bastionHost}.yaml`, userData);
  const bastionPort = new openstack.networking.Port(
    `${name}-bastion-port`,
    {
      name: `${bastionHost}-port`,
      networkId,
      fixedIps: [{ subnetId }],
      securityGroupIds: [groups.bastion.id],
      adminStateUp: true,
    },
    { parent, dependsOn: attached },
  );
  const bastion = new openstack.compute.Instance(
    `${name}-bastion`,
    {
      name: bastionHost,
      imageName: args.bastion.image,
      flavorName: args.bastion.flavor,
      keyPair: keypair.name,
      networks: [{ port: bastionPort.id }],
      userData,
      metadata: { "jetstream-paas/role": "bastion", "jetstream-paas/site": args.site },
    },
    opts,
  );
  const fip = new openstack.networking.FloatingIp(
    `${name}-bastion-fip`,
    { pool: externalNetwork, description: `${bastionHost} public address` },
    opts,
  );
  // Floating IPs outlive VMs (Kubespray's terraform keeps them apart for the same reason).
  new openstack.networking.FloatingIpAssociate(
    `${name}-bastion-fip-assoc`,
    { floatingIp: fip.address, portId: bastionPort.id },
    { parent, dependsOn: [bastion, ...attached] },
  );

  return {
    networkId,
    subnetId,
    subnetCidr: pulumi.output(net.cidr),
    routerId,
    securityGroupIds: pulumi
      .all(GROUP_ROLES.map((role) => groups[role].id))
      .apply(
        (ids) =>
          Object.fromEntries(GROUP_ROLES.map((role, i) => [role, ids[i]])) as Record<GroupRole, string>,
      ),
    keypairName: keypair.name,
    bastionAddress: fip.address,
    bastionFixedIp: bastionPort.allFixedIps.apply((ips) => ips[0]),
    externalNetwork,
  };
}

function secGroupRule(
  name: string,
  rule: RuleSpec,
  groups: Record<GroupRole, openstack.networking.SecGroup>,
  opts: pulumi.CustomResourceOptions,
): openstack.networking.SecGroupRule {
  return new openstack.networking.SecGroupRule(
    `${name}-${rule.group}-${rule.key}`,
    {
      securityGroupId: groups[rule.group].id,
      description: rule.description,
      direction: "ingress",
      ethertype: "IPv4",
      protocol: rule.protocol,
      portRangeMin: rule.portMin,
      portRangeMax: rule.portMax,
      remoteIpPrefix: rule.remoteCidr,
      remoteGroupId: rule.remoteGroup ? groups[rule.remoteGroup].id : undefined,
    },
    opts,
  );
}
