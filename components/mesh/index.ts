export { IstioMesh, parseMesh } from "./istio-mesh";
export type { IstioMeshArgs } from "./istio-mesh";
export { Observability, PASSWORD_PLACEHOLDER, USER_PLACEHOLDER } from "./observability";
export type { ObservabilityArgs } from "./observability";
export { Flagger } from "./flagger";
export type { FlaggerArgs } from "./flagger";
export { CHARTS, ISTIO_VERSION, ISTIO_SUPPORTED_K8S, istioSupportError } from "./versions";
export type { ChartPin, ChartKey } from "./versions";
export {
  planIstio,
  istiodValues,
  istioBaseValues,
  gatewayValues,
  strictPeerAuthentication,
  allowNothing,
  namespacePolicies,
  serviceEntries,
  publicGateway,
  virtualServices,
  GATEWAY_PORTS,
  GATEWAY_READINESS_PATH,
} from "./render/istio";
export type { IstioPlan } from "./render/istio";
export {
  planObservability,
  prometheusValues,
  grafanaValues,
  kialiValues,
  grafanaAdminSecret,
  istioScrapeConfigs,
  ISTIO_DASHBOARDS,
  MTLS_SCRAPE_ANNOTATION,
} from "./render/observability";
export type { ObservabilityPlan } from "./render/observability";
export { planFlagger, buildCanary, flaggerValues, loadtesterValues, loadCommand } from "./render/flagger";
export type { FlaggerPlan } from "./render/flagger";
export {
  principal,
  SERVICE_ACCOUNTS,
  RELEASES,
  PUBLIC_GATEWAY_REF,
  ISTIO_NAMESPACE,
  INGRESS_NAMESPACE,
  MONITORING_NAMESPACE,
  FLAGGER_NAMESPACE,
  TRUST_DOMAIN,
} from "./render/objects";
export type { K8sObject, ObjectMeta, ReleasePlan } from "./render/objects";
