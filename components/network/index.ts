export { SiteNetwork, DEFAULT_INGRESS_NODE_PORTS } from "./site-network";
export type { SiteNetworkArgs, SiteNetworkNetworkArgs } from "./site-network";
export { planSecurityRules, GROUP_ROLES } from "./render/security-rules";
export type { RuleSpec, GroupRole, SecurityRuleInput } from "./render/security-rules";
export { renderBastionCloudInit } from "./render/bastion-cloud-init";
