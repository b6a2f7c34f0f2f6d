// Least-privilege security group rules of a site, as data. The SiteNetwork component turns
// each entry into one openstack.networking.SecGroupRule; tests read the list directly.

/** The site's security groups: who may reach what. */
export type GroupRole = "bastion" | "nodes" | "edge";
export const GROUP_ROLES: readonly GroupRole[] = ["bastion", "nodes", "edge"];

export interface RuleSpec {
  /** stable key, part of the resource name: changing it replaces the rule */
  key: string;
  group: GroupRole;
  description: string;
  /** "tcp", "udp", "icmp", "vrrp" or undefined for any protocol */
  protocol?: "tcp" | "udp" | "icmp" | "vrrp";
  portMin?: number;
  portMax?: number;
  /** exactly one source: a CIDR or another of the site's groups */
  remoteCidr?: string;
  remoteGroup?: GroupRole;
}

export interface SecurityRuleInput {
  /** CIDRs operators connect from */
  adminCidrs: readonly string[];
  /** the site subnet */
  subnetCidr: string;
  /** TCP ports on cluster nodes that the edge proxies to (ingress gateway NodePorts) */
  ingressNodePorts: readonly number[];
  /** Kubernetes API port on control-plane nodes */
  apiPort: number;
}

function cidrKey(cidr: string): string {
  return cidr.replace(/[./]/g, "-");
}

export function planSecurityRules(input: SecurityRuleInput): RuleSpec[] {
  const rules: RuleSpec[] = [];
  for (const cidr of [...input.adminCidrs].sort()) {
    rules.push({
      key: `ssh-admin-${cidrKey(cidr)}`,
      group: "bastion",
      description: `SSH to the bastion from admin network ${cidr}`,
      protocol: "tcp",
      portMin: 22,
      portMax: 22,
      remoteCidr: cidr,
    });
    rules.push({
      key: `api-admin-${cidrKey(cidr)}`,
      group: "nodes",
      description: `Kubernetes API from admin network ${cidr}`,
      protocol: "tcp",
      portMin: input.apiPort,
      portMax: input.apiPort,
      remoteCidr: cidr,
    });
  }
  rules.push(
    {
      key: "ssh-bastion",
      group: "nodes",
      description: "SSH to cluster nodes only through the bastion",
      protocol: "tcp",
      portMin: 22,
      portMax: 22,
      remoteGroup: "bastion",
    },
    {
      key: "api-subnet",
      group: "nodes",
      description: "Kubernetes API from the site subnet (bastion, edge, Jenkins, other slot)",
      protocol: "tcp",
      portMin: input.apiPort,
      portMax: input.apiPort,
      remoteCidr: input.subnetCidr,
    },
    {
      key: "intra-cluster",
      group: "nodes",
      description: "Any protocol between cluster nodes (etcd, kubelet, Calico BGP/IPIP/VXLAN)",
      remoteGroup: "nodes",
    },
    {
      key: "ssh-bastion",
      group: "edge",
      description: "SSH to edge hosts only through the bastion",
      protocol: "tcp",
      portMin: 22,
      portMax: 22,
      remoteGroup: "bastion",
    },
    {
      key: "http-world",
      group: "edge",
      description: "HTTP to the edge from anywhere (redirects and ACME)",
      protocol: "tcp",
      portMin: 80,
      portMax: 80,
      remoteCidr: "0.0.0.0/0",
    },
    {
      key: "https-world",
      group: "edge",
      description: "HTTPS to the edge from anywhere",
      protocol: "tcp",
      portMin: 443,
      portMax: 443,
      remoteCidr: "0.0.0.0/0",
    },
    {
      key: "vrrp-pair",
      group: "edge",
      description: "VRRP (IP protocol 112) between the edge pair only",
      protocol: "vrrp",
      remoteGroup: "edge",
    },
  );
  for (const port of [...new Set(input.ingressNodePorts)].sort((a, b) => a - b)) {
    rules.push({
      key: `ingress-${port}-edge`,
      group: "nodes",
      description: `Ingress gateway NodePort ${port} from the edge hosts`,
      protocol: "tcp",
      portMin: port,
      portMax: port,
      remoteGroup: "edge",
    });
  }
  return rules;
}
