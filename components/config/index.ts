export { ConfigError } from "./errors";
export { JETSTREAM2_FLAVORS, flavorNames } from "./flavors";
export type { Flavor } from "./flavors";
export { SITES, regionOf } from "./fields";
export type { SiteName } from "./fields";
export { siteSchema } from "./site";
export type { SiteConfig, NetworkConfig, StateConfig, DnsConfig, DnsCheckerConfig, TlsConfig } from "./site";
export { dnsSchema, tlsSchema, DNS_CHECKER_DEFAULTS, LETS_ENCRYPT_DIRECTORY } from "./dns";
export { clusterSchema, kubernetesClusterSchema, SLOTS, CLUSTER_SECRET_KEYS } from "./cluster";
export type { ClusterConfig, KubernetesClusterConfig, SlotName } from "./cluster";
export { openstackSchema } from "./openstack";
export type { OpenstackConfig } from "./openstack";
export { PROJECTS, decodeValue, parseStackConfig, loadStackConfig } from "./load";
export type { ProjectKind, RawConfig, LoadedConfig } from "./load";
export { meshSchema, PLATFORM_NAMESPACES, DEFAULT_NODE_PORTS, EGRESS_PROTOCOLS } from "./mesh";
export type {
  MeshConfig,
  MeshAppConfig,
  MeshCanaryConfig,
  MeshEgressConfig,
  MeshNamespaceConfig,
  ObservabilityConfig,
  IngressNodePorts,
} from "./mesh";
export {
  jenkinsSchema,
  JENKINS_LTS_DEFAULT,
  PLUGIN_MANAGER_DEFAULT,
  DEFAULT_DEPLOY_TARGETS,
} from "./jenkins";
export type { JenkinsConfig, JenkinsPipelineConfig, JenkinsAgentConfig } from "./jenkins";
export { blueGreenSchema, blueGreenAppSchema, imageDigest, COLOURS } from "./blue-green";
export type { BlueGreenAppConfig } from "./blue-green";
export { abSchema, smokeCheckSchema, SOAK_MINUTES_DEFAULT, SMOKE_DEFAULTS, MIGRATE_DEFAULTS } from "./ab";
export type { AbConfig, SmokeCheckConfig } from "./ab";
