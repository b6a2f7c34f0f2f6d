// The in-cluster platform of a cluster stack: Istio, observability and Flagger, installed
// through the cluster's Kubernetes provider. `index.ts` calls deployPlatform once.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterConfig } from "../../components/config";
import { Flagger, IstioMesh, Observability } from "../../components/mesh";
import { ssoSettings } from "./delivery";

export interface PlatformOutputs {
  /** NodePorts of the Istio ingress gateway on every node; the edge targets them */
  ingressNodePorts: { http: number; https: number; status: number };
  /** HTTP readiness path on the status NodePort (edge health check) */
  ingressReadinessPath: string;
  istioVersion: string;
  /** `<namespace>/<name>` of every Flagger Canary */
  canaries: string[];
  /** in-cluster dashboard URLs (ClusterIP; see docs/mesh.md for port-forward) */
  dashboards: { prometheus: string; grafana: string; kiali: string };
  grafanaAdminUser: string;
  /** secret */
  grafanaAdminPassword: pulumi.Output<string>;
  /** the mesh component, for resources that need Istio first (not a stack output) */
  mesh: IstioMesh;
}

/**
 * @param kubernetesVersion the cluster's version when known (KubesprayCluster); the mesh
 *   refuses one its Istio pin does not support
 */
export function deployPlatform(
  config: ClusterConfig,
  provider: k8s.Provider,
  kubernetesVersion?: string,
): PlatformOutputs {
  const mesh = new IstioMesh("mesh", { mesh: config.mesh, kubernetesVersion }, { provider });
  const sso = ssoSettings(config);
  const obs = new Observability(
    "observability",
    {
      observability: config.mesh.observability,
      dependsOn: [mesh],
      sso:
        sso && config.sso
          ? {
              grafana: { sso, clientId: config.sso.grafana.clientId, url: config.sso.grafana.url },
              kiali: { sso, clientId: config.sso.kiali.clientId, url: config.sso.kiali.url },
              grafanaClientSecret: pulumi.secret(config.ssoGrafanaClientSecret ?? ""),
              kialiClientSecret: pulumi.secret(config.ssoKialiClientSecret ?? ""),
            }
          : undefined,
    },
    { provider },
  );
  const flagger = new Flagger("flagger", { mesh: config.mesh, dependsOn: [mesh, obs] }, { provider });
  return {
    ingressNodePorts: { ...mesh.ingressNodePorts },
    ingressReadinessPath: mesh.readinessPath,
    istioVersion: mesh.istioVersion,
    canaries: flagger.canaries,
    dashboards: obs.urls,
    grafanaAdminUser: obs.grafanaAdminUser,
    grafanaAdminPassword: obs.grafanaAdminPassword,
    mesh,
  };
}
