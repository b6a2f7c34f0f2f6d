export {
  CILOGON_ENDPOINTS,
  endpointsFor,
  jmesLiteral,
  keycloakEndpoints,
  roleOf,
  settingsFor,
} from "./render/oidc";
export type { OidcEndpoints, PlatformRole, SsoSettings } from "./render/oidc";
export {
  GRAFANA_CALLBACK_PATH,
  GRAFANA_OIDC_SECRET,
  GRAFANA_OIDC_SECRET_KEY,
  grafanaOidcChartValues,
  grafanaOidcIni,
  grafanaRolePath,
} from "./render/grafana";
export type { GrafanaSsoInput } from "./render/grafana";
export { KIALI_OIDC_SECRET, KIALI_OIDC_SECRET_KEY, kialiOidcAuth, kialiRedirectUri } from "./render/kiali";
export type { KialiSsoInput } from "./render/kiali";
export { JENKINS_CALLBACK_PATH, JENKINS_PERMISSIONS, jenkinsMatrix, jenkinsOicRealm } from "./render/jenkins";
export type { JenkinsSsoInput } from "./render/jenkins";
export {
  KEYCLOAK_IMAGE,
  KEYCLOAK_NAME,
  KEYCLOAK_NAMESPACE,
  keycloakObjects,
  keycloakRealm,
} from "./render/keycloak";
export type { KeycloakInput } from "./render/keycloak";
export { Keycloak } from "./keycloak";
export type { KeycloakArgs } from "./keycloak";
