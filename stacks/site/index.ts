// Program of the site project (stacks iu, tacc): the network shell now; edge and Jenkins
// join it in their own components. Config is parsed first: a bad config declares nothing.
import { loadStackConfig } from "../../components/config";
import { SiteNetwork } from "../../components/network";
import { deployJenkins } from "./jenkins";

const { config } = loadStackConfig("site");

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

// Jenkins as code (components/jenkins, docs/delivery.md): IU by default.
const jenkins = deployJenkins(config, shell);
export const jenkinsUrl = jenkins?.url;
export const jenkinsAddress = jenkins?.address;
export const jenkinsAdminPassword = jenkins?.adminPassword;
export const jenkinsAgentPublicKey = jenkins?.agentPublicKey;
export const jenkinsSecurityGroupId = jenkins?.securityGroupId;
