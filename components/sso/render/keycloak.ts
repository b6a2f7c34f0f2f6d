// Keycloak as the platform's own issuer (seed 002's auth servers), one Deployment per cluster,
// all of them on the same database in the cross-site PostgreSQL (Service postgres in jsp-db,
// the contract with components/database), so an A/B switch or a site failover keeps users,
// sessions' realm and keys. The realm (clients, group mapper, groups) is imported at first
// start only (`--import-realm` skips a realm that exists), from a Secret: the import holds the
// client secrets. Image: quay.io/keycloak/keycloak 26.7.2 (keycloak.org/archive/downloads-26.7.2,
// 2026); digest UNCONFIRMED, pin it with the first pull.
import type { K8sObject } from "../../mesh/render/objects";
import { GRAFANA_CALLBACK_PATH } from "./grafana";
import { JENKINS_CALLBACK_PATH } from "./jenkins";

export const KEYCLOAK_IMAGE = "quay.io/keycloak/keycloak:26.7.2";
export const KEYCLOAK_NAMESPACE = "jsp-auth";
export const KEYCLOAK_NAME = "keycloak";
export const KEYCLOAK_DB_SECRET = "keycloak-db";
export const KEYCLOAK_REALM_SECRET = "keycloak-realm";
export const KEYCLOAK_BOOTSTRAP_SECRET = "keycloak-bootstrap-admin";

export interface KeycloakInput {
  hostname: string;
  realm: string;
  replicas: number;
  database: { host: string; port: number; database: string; user: string };
  groupsClaim: string;
  adminGroups: readonly string[];
  viewerGroups: readonly string[];
  clients: {
    grafana: { clientId: string; url: string };
    kiali: { clientId: string; url: string };
    jenkins?: { clientId: string; url: string };
  };
}

interface ClientSecrets {
  grafana: string;
  kiali: string;
  jenkins?: string;
}

/** The realm import (JSON): confidential clients with exact redirect URIs, a `groups` mapper. */
export function keycloakRealm(i: KeycloakInput, secrets: ClientSecrets): Record<string, unknown> {
  const client = (clientId: string, secret: string, redirectUris: string[], webOrigin: string) => ({
    clientId,
    enabled: true,
    protocol: "openid-connect",
    publicClient: false,
    secret,
    standardFlowEnabled: true,
    implicitFlowEnabled: false,
    directAccessGrantsEnabled: false,
    serviceAccountsEnabled: false,
    redirectUris,
    webOrigins: [webOrigin],
    attributes: { "pkce.code.challenge.method": "S256", "post.logout.redirect.uris": `${webOrigin}/*` },
    protocolMappers: [
      {
        name: "groups",
        protocol: "openid-connect",
        protocolMapper: "oidc-group-membership-mapper",
        config: {
          "claim.name": i.groupsClaim,
          "full.path": "false",
          "id.token.claim": "true",
          "access.token.claim": "true",
          "userinfo.token.claim": "true",
        },
      },
    ],
  });
  const origin = (url: string) => new URL(url).origin;
  const clients = [
    client(
      i.clients.grafana.clientId,
      secrets.grafana,
      [`${i.clients.grafana.url}${GRAFANA_CALLBACK_PATH}`],
      origin(i.clients.grafana.url),
    ),
    client(
      i.clients.kiali.clientId,
      secrets.kiali,
      [`${i.clients.kiali.url}/`, `${i.clients.kiali.url}/api/auth/callback`],
      origin(i.clients.kiali.url),
    ),
  ];
  if (i.clients.jenkins && secrets.jenkins !== undefined) {
    clients.push(
      client(
        i.clients.jenkins.clientId,
        secrets.jenkins,
        [`${i.clients.jenkins.url}/${JENKINS_CALLBACK_PATH}`],
        origin(i.clients.jenkins.url),
      ),
    );
  }
  return {
    realm: i.realm,
    enabled: true,
    registrationAllowed: false,
    resetPasswordAllowed: true,
    bruteForceProtected: true,
    sslRequired: "external",
    groups: [...i.adminGroups, ...i.viewerGroups].sort().map((name) => ({ name })),
    clients,
  };
}

/** Deployment + Service (objects without secret values; the Secrets are built by the component). */
export function keycloakObjects(i: KeycloakInput): K8sObject[] {
  const labels = { "app.kubernetes.io/name": KEYCLOAK_NAME, "app.kubernetes.io/managed-by": "pulumi" };
  const fromSecret = (name: string, key: string) => ({ valueFrom: { secretKeyRef: { name, key } } });
  const env = [
    { name: "KC_DB", value: "postgres" },
    { name: "KC_DB_URL_HOST", value: i.database.host },
    { name: "KC_DB_URL_PORT", value: String(i.database.port) },
    { name: "KC_DB_URL_DATABASE", value: i.database.database },
    { name: "KC_DB_USERNAME", value: i.database.user },
    { name: "KC_DB_PASSWORD", ...fromSecret(KEYCLOAK_DB_SECRET, "password") },
    { name: "KC_HOSTNAME", value: `https://${i.hostname}` },
    // TLS ends at the edge; Keycloak trusts its X-Forwarded-* headers only
    { name: "KC_PROXY_HEADERS", value: "xforwarded" },
    { name: "KC_HTTP_ENABLED", value: "true" },
    { name: "KC_HEALTH_ENABLED", value: "true" },
    // replicas share sessions through Infinispan over the Kubernetes DNS ping
    { name: "KC_CACHE", value: "ispn" },
    { name: "KC_CACHE_STACK", value: "kubernetes" },
    {
      name: "JAVA_OPTS_APPEND",
      value: `-Djgroups.dns.query=${KEYCLOAK_NAME}-discovery.${KEYCLOAK_NAMESPACE}.svc.cluster.local`,
    },
    { name: "KC_BOOTSTRAP_ADMIN_USERNAME", ...fromSecret(KEYCLOAK_BOOTSTRAP_SECRET, "username") },
    { name: "KC_BOOTSTRAP_ADMIN_PASSWORD", ...fromSecret(KEYCLOAK_BOOTSTRAP_SECRET, "password") },
  ];
  return [
    {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: KEYCLOAK_NAMESPACE, labels: { "app.kubernetes.io/managed-by": "pulumi" } },
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: KEYCLOAK_NAME, namespace: KEYCLOAK_NAMESPACE, labels },
      spec: {
        replicas: i.replicas,
        selector: { matchLabels: { "app.kubernetes.io/name": KEYCLOAK_NAME } },
        template: {
          metadata: { labels },
          spec: {
            securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
            containers: [
              {
                name: KEYCLOAK_NAME,
                image: KEYCLOAK_IMAGE,
                args: ["start", "--import-realm"],
                env,
                ports: [
                  { name: "http", containerPort: 8080 },
                  { name: "management", containerPort: 9000 },
                ],
                readinessProbe: { httpGet: { path: "/health/ready", port: 9000 }, periodSeconds: 10 },
                livenessProbe: { httpGet: { path: "/health/live", port: 9000 }, initialDelaySeconds: 60 },
                securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
                volumeMounts: [{ name: "realm", mountPath: "/opt/keycloak/data/import", readOnly: true }],
              },
            ],
            volumes: [{ name: "realm", secret: { secretName: KEYCLOAK_REALM_SECRET } }],
          },
        },
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: KEYCLOAK_NAME, namespace: KEYCLOAK_NAMESPACE, labels },
      spec: {
        type: "ClusterIP",
        selector: { "app.kubernetes.io/name": KEYCLOAK_NAME },
        ports: [{ name: "http", port: 80, targetPort: 8080 }],
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: `${KEYCLOAK_NAME}-discovery`, namespace: KEYCLOAK_NAMESPACE, labels },
      spec: {
        clusterIP: "None",
        publishNotReadyAddresses: true,
        selector: { "app.kubernetes.io/name": KEYCLOAK_NAME },
        ports: [{ name: "jgroups", port: 7800, targetPort: 7800 }],
      },
    },
  ];
}
