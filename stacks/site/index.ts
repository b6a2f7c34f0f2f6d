// Program of the site project (stacks iu, tacc): the network shell now; edge and Jenkins
// join it in their own components. Config is parsed first: a bad config declares nothing.
import * as pulumi from "@pulumi/pulumi";
import { loadStackConfig } from "../../components/config";
import { SiteNetwork } from "../../components/network";
import { deployDns } from "./dns";
import { createEdge } from "./edge";
import { edgeTls } from "./tls";
import { deployState } from "./state";
import { deployJenkins } from "./jenkins";

const loaded = loadStackConfig("site");
const { config } = loaded;

const shell = new SiteNetwork(config.site, {
  site: config.site,
  network: config.network,
  adminCidrs: config.adminCidrs,
  keypair: { name: config.ssh.keypairName, publicKey: config.ssh.publicKey },
  bastion: { image: config.bastion.image ?? config.image, flavor: config.bastion.flavor },
});

export const site = config.site;
export const networkId = shell.networkId;
export const subnetId = shell.subnetId;
export const subnetCidr = shell.subnetCidr;
export const securityGroupIds = shell.securityGroupIds;
export const keypairName = shell.keypairName;
export const bastionAddress = shell.bastionAddress;
export const bastionFixedIp = shell.bastionFixedIp;
export const externalNetwork = shell.externalNetwork;

// Cross-site PostgreSQL (components/state): the peer site's stack reads these two.
const state = deployState(config, shell);
export const stateDb = state.then((s) => s?.stateDb);
export const stateCredentials = state.then((s) =>
  s?.stateCredentials ? pulumi.secret(s.stateCredentials) : undefined,
);

// Edge (components/edge, docs/edge.md): HAProxy pair + VIP, live/pre-live, backup = other site.
// At the standby site the edge hosts also run the failover controller rendered by the state part.
const controller = pulumi.output(state.then((s) => s?.controller)).apply((c) => c);
// HTTPS on the edge (docs/dns-tls.md): certificate names and the shared ACME account.
const tls = edgeTls(config);
const edge = createEdge(
  config,
  shell,
  {
    files: controller.apply((c) => c?.files ?? []),
    runcmd: controller.apply((c) => c?.runcmd ?? []),
    packages: controller.apply((c) => c?.packages ?? []),
  },
  tls?.edge,
);
export const edgePublicAddress = edge?.edgePublicAddress;
export const edgeVip = edge?.edgeVip;
export const edgeHosts = edge?.edgeHosts;
export const edgeStatsUser = edge?.edgeStatsUser;
export const edgeStatsPassword = edge?.edgeStatsPassword;
export const edgeHaproxyConfig = edge?.edgeHaproxyConfig;
export const edgeKeepalivedConfigs = edge?.edgeKeepalivedConfigs;
export const edgeAcmeEnv = edge?.edgeAcmeEnv;
export const edgeLiveSlot = edge?.edgeLiveSlot;
export const edgePreliveSlot = edge?.edgePreliveSlot;
/** secret: the ACME account key both sites' edges share (only the stack that creates it) */
export const acmeAccountKey = tls?.acmeAccountKey;
// Public DNS names (docs/dns-tls.md): records in Designate at the records site, names everywhere.
const dns = deployDns(loaded, edge);
export const dnsPublicNames = dns.then((d) => d?.dnsPublicNames);
export const dnsZone = dns.then((d) => d?.dnsZone);
export const dnsZoneId = dns.then((d) => d?.dnsZoneId);
export const dnsRecords = dns.then((d) => d?.dnsRecords);
/** what the DNS checker on the witness reads (components/dns, docs/dns-tls.md) */
export const dnsChecker = dns.then((d) => d?.dnsChecker);
// Jenkins as code (components/jenkins, docs/delivery.md): IU by default.
const jenkins = deployJenkins(config, shell);
export const jenkinsUrl = jenkins?.url;
export const jenkinsAddress = jenkins?.address;
export const jenkinsAdminPassword = jenkins?.adminPassword;
export const jenkinsAgentPublicKey = jenkins?.agentPublicKey;
export const jenkinsSecurityGroupId = jenkins?.securityGroupId;
