export { EdgeProxy, DEFAULT_EDGE_PORTS, DEFAULT_HEALTH_CHECK } from "./edge-proxy";
export { edgeHaproxyInput, serverName } from "./render/edge-input";
export type { EdgeInputOptions } from "./render/edge-input";
export type { EdgeProxyArgs, EdgeSlotArgs, EdgePorts } from "./edge-proxy";
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
