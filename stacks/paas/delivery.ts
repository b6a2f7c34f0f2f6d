// Delivery parts of a cluster stack (components/delivery, components/sso): the deploy identity
// Jenkins uses instead of admin.conf, Keycloak when it is the SSO issuer, kube-monkey when a
// namespace opted into chaos.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterConfig } from "../../components/config";
import { issuerUrl } from "../../components/config/sso";
import { DeployIdentity, KubeMonkey } from "../../components/delivery";
import { Keycloak, settingsFor, SsoSettings } from "../../components/sso";

/** Every namespace the pipeline deploys to: blue/green apps and the mesh's app namespaces. */
export function appNamespaces(config: ClusterConfig): string[] {
  return [
    ...new Set([...config.blueGreen.map((a) => a.namespace), ...config.mesh.namespaces.map((n) => n.name)]),
  ].sort();
}

export function deployIdentity(
  config: ClusterConfig,
  cluster: { kubeconfig: pulumi.Output<string>; clusterName: pulumi.Input<string> },
  provider: k8s.Provider,
  dependsOn: pulumi.Resource[],
): DeployIdentity {
  return new DeployIdentity(
    "deploy",
    {
      namespaces: appNamespaces(config),
      adminKubeconfig: cluster.kubeconfig,
      clusterName: cluster.clusterName,
      dependsOn,
    },
    { provider },
  );
}

/** The SSO settings of this stack's products, or undefined without `sso`. */
export function ssoSettings(config: ClusterConfig): SsoSettings | undefined {
  const sso = config.sso;
  return sso ? settingsFor({ ...sso, issuerUrl: issuerUrl(sso) }) : undefined;
}

export function keycloak(
  config: ClusterConfig,
  provider: k8s.Provider,
  dependsOn: pulumi.Resource[],
): Keycloak | undefined {
  const sso = config.sso;
  if (sso?.issuer !== "keycloak" || !sso.keycloak) return undefined;
  const settings = ssoSettings(config)!;
  const secret = (v: string | undefined) => pulumi.secret(v ?? "");
  return new Keycloak(
    "keycloak",
    {
      hostname: sso.keycloak.hostname,
      realm: sso.keycloak.realm,
      replicas: sso.keycloak.replicas,
      database: sso.keycloak.database,
      groupsClaim: settings.groupsClaim,
      adminGroups: sso.adminGroups,
      viewerGroups: sso.viewerGroups,
      clients: {
        grafana: { clientId: sso.grafana.clientId, url: sso.grafana.url },
        kiali: { clientId: sso.kiali.clientId, url: sso.kiali.url },
        jenkins: sso.jenkins.url ? { clientId: sso.jenkins.clientId, url: sso.jenkins.url } : undefined,
      },
      databasePassword: secret(config.keycloakDbPassword),
      clientSecrets: {
        grafana: secret(config.ssoGrafanaClientSecret),
        kiali: secret(config.ssoKialiClientSecret),
        jenkins: sso.jenkins.url ? secret(config.ssoJenkinsClientSecret) : undefined,
      },
      dependsOn,
    },
    { provider },
  );
}

export function chaos(
  config: ClusterConfig,
  provider: k8s.Provider,
  dependsOn: pulumi.Resource[],
): KubeMonkey | undefined {
  if (!config.chaos.enabled) return undefined;
  return new KubeMonkey("chaos", { chaos: config.chaos, dependsOn }, { provider });
}
