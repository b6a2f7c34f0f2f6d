// Edge wiring of the site program: reads the cluster slots' ingress nodes and the other
// site's edge address through StackReferences and builds the EdgeProxy. A referenced stack
// that exists but was never brought up has no outputs: its slot is left out with a warning.
import * as pulumi from "@pulumi/pulumi";
import type { SiteConfig } from "../../components/config";
import { DEFAULT_NODE_PORTS } from "../../components/config";
import { EdgeProxy } from "../../components/edge";
import type { EdgeTlsArgs } from "../../components/edge";
import type { SiteNetwork } from "../../components/network";
import type { CloudFile } from "../../src/cloud-init";

export interface EdgeStackOutputs {
  edgePublicAddress: pulumi.Output<string>;
  edgeVip: pulumi.Output<string>;
  edgeHosts: pulumi.Output<Record<string, string>>;
  edgeStatsUser: pulumi.Output<string>;
  edgeStatsPassword: pulumi.Output<string>;
  edgeHaproxyConfig: pulumi.Output<string>;
  edgeKeepalivedConfigs: pulumi.Output<Record<string, string>>;
  /** ACME settings of the edge hosts (pushed by `npm run edge -- apply`); undefined without TLS */
  edgeAcmeEnv: pulumi.Output<string | undefined>;
  edgeLiveSlot: string;
  edgePreliveSlot: string | undefined;
}

type NodePorts = { http: number; https: number; status: number };

function nodePortsOf(v: unknown): NodePorts | undefined {
  const o = v as Partial<NodePorts> | undefined;
  return o && typeof o.http === "number" && typeof o.https === "number" && typeof o.status === "number"
    ? { http: o.http, https: o.https, status: o.status }
    : undefined;
}

/** What other components ship on the edge hosts (e.g. the failover controller). */
export interface EdgeHostExtras {
  files?: pulumi.Input<CloudFile[]>;
  runcmd?: pulumi.Input<Array<string | string[]>>;
  packages?: pulumi.Input<string[]>;
}

export function createEdge(
  config: SiteConfig,
  shell: SiteNetwork,
  extras: EdgeHostExtras = {},
  tls?: EdgeTlsArgs,
): EdgeStackOutputs | undefined {
  const edge = config.edge;
  if (!edge) return undefined;
  const refs = new Map<string, pulumi.StackReference>();
  const refOf = (stack: string) => {
    let r = refs.get(stack);
    if (!r) {
      r = new pulumi.StackReference(stack, { name: stack });
      refs.set(stack, r);
    }
    return r;
  };
  const slots = Object.entries(edge.slots)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([slot, stack]) => ({
      name: slot,
      ingressNodes: refOf(stack!)
        .getOutput("ingressNodes")
        .apply((v) => (Array.isArray(v) ? v.map(String) : undefined)),
    }));
  const liveRef = refOf(edge.slots[edge.live]!);
  const nodePorts = liveRef.getOutput("ingressNodePorts").apply((v) => nodePortsOf(v) ?? DEFAULT_NODE_PORTS);
  const peer = edge.peerStack
    ? {
        site: config.site === "iu" ? "tacc" : "iu",
        address: refOf(edge.peerStack)
          .getOutput("edgePublicAddress")
          .apply((v) => (typeof v === "string" && v.length > 0 ? v : undefined)),
      }
    : undefined;

  const proxy = new EdgeProxy(`${config.site}-edge`, {
    site: config.site,
    networkId: shell.networkId,
    subnetId: shell.subnetId,
    subnetCidr: config.network.cidr,
    securityGroupId: shell.securityGroupIds.apply((g) => g.edge),
    keypairName: shell.keypairName,
    externalNetwork: shell.externalNetwork,
    adminCidrs: config.adminCidrs,
    image: edge.image ?? config.image,
    flavor: edge.flavor,
    hosts: edge.hosts,
    vip: edge.vip,
    interface: edge.interface,
    virtualRouterId: edge.virtualRouterId,
    slots,
    liveSlot: edge.live,
    preliveSlot: edge.prelive,
    nodePorts,
    peer,
    peerSourceCidrs: edge.peerSourceCidrs,
    ports: edge.ports,
    healthCheck: edge.healthCheck,
    statsUser: edge.statsUser,
    extraFiles: extras.files,
    extraRuncmd: extras.runcmd,
    extraPackages: extras.packages,
    tls,
  });
  return {
    edgePublicAddress: proxy.publicAddress,
    edgeVip: proxy.vipAddress,
    edgeHosts: proxy.hostAddresses,
    edgeStatsUser: proxy.statsUser,
    edgeStatsPassword: proxy.statsPassword,
    edgeHaproxyConfig: proxy.haproxyConfig,
    edgeKeepalivedConfigs: proxy.keepalivedConfigs,
    edgeAcmeEnv: proxy.acmeEnv,
    edgeLiveSlot: edge.live,
    edgePreliveSlot: edge.prelive,
  };
}
