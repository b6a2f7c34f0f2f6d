export { EdgeProxy, DEFAULT_EDGE_PORTS, DEFAULT_HEALTH_CHECK } from "./edge-proxy";
export { edgeHaproxyInput, serverName } from "./render/edge-input";
export type { EdgeInputOptions } from "./render/edge-input";
export type { EdgeProxyArgs, EdgeSlotArgs, EdgePorts, EdgeTlsArgs } from "./edge-proxy";
export {
  ACME_PATHS,
  ACME_THUMBPRINT_ENV,
  legoAccountKeyPath,
  renderAcmeCloudPart,
  renderAcmeEnv,
  renderAcmeBootstrap,
  renderAcmeRenew,
  renderAcmeDeploy,
} from "./render/acme";
export type { AcmeInput, AcmeCloudPart, AcmeKeyType } from "./render/acme";
export { MOZILLA_INTERMEDIATE, EDGE_READY_PATH, ACME_CHALLENGE_PATH } from "./render/haproxy-tls";
export type { EdgeTlsSettings } from "./render/haproxy-tls";
export { renderHaproxyConfig, renderSlotsMap } from "./render/haproxy";
export type { EdgeHaproxyInput, EdgeServer, EdgeSlot, EdgePeer, HealthCheckSettings } from "./render/haproxy";
export {
  renderKeepalivedConfig,
  renderKeepalivedAuth,
  renderHaproxyCheckScript,
  renderNotifyScript,
} from "./render/keepalived";
export type { KeepalivedInput, KeepalivedHost } from "./render/keepalived";
export { renderEdgeCloudInit, renderApplyScript, EDGE_PATHS } from "./render/edge-cloud-init";
export type { EdgeCloudInitInput } from "./render/edge-cloud-init";
