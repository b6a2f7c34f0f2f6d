// Observability: Helm values of kube-prometheus-stack (Prometheus with the Istio scrape
// jobs), Grafana (generated admin secret, Istio dashboards) and Kiali (token/OpenID, view-only),
// plus the objects beside them. All dashboards are ClusterIP: reached by port-forward or
// through the edge on the admin network, never on a world-open NodePort.
import type { ObservabilityConfig } from "../../config/mesh";
import { CHARTS } from "../versions";
import { GrafanaSsoInput, grafanaOidcChartValues, grafanaOidcIni } from "../../sso/render/grafana";
import { KialiSsoInput, kialiOidcAuth } from "../../sso/render/kiali";

/** Single sign-on of the dashboards (components/sso); absent: Grafana's local admin, Kiali per config. */
export interface ObservabilitySso {
  grafana: GrafanaSsoInput;
  kiali: KialiSsoInput;
}
import {
  assertUnique,
  ISTIO_NAMESPACE,
  K8sObject,
  MONITORING_NAMESPACE,
  namespaceObject,
  PROMETHEUS_URL,
  ReleasePlan,
  RELEASES,
  SERVICE_ACCOUNTS,
  sortObjects,
} from "./objects";

export const GRAFANA_ADMIN_SECRET = "grafana-admin";
export const GRAFANA_USER_KEY = "admin-user";
export const GRAFANA_PASSWORD_KEY = "admin-password";
/** Where the Prometheus sidecar writes the workload certificate it scrapes with. */
const PROM_CERT_DIR = "/etc/prom-certs/";

/** Grafana.com dashboards Istio publishes (istio.io "Visualizing Metrics with Grafana"). */
export const ISTIO_DASHBOARDS = {
  "istio-control-plane": 7645,
  "istio-mesh": 7639,
  "istio-performance": 11829,
  "istio-service": 7636,
  "istio-workload": 7630,
} as const;

export interface ObservabilityPlan {
  prometheus: ReleasePlan;
  grafana: ReleasePlan;
  kiali: ReleasePlan;
  /** objects without secret values (the Grafana admin Secret is built by grafanaAdminSecret) */
  objects: K8sObject[];
}

/** Pod annotation naming the app metrics port Prometheus scrapes through the mesh (mTLS). */
export const MTLS_SCRAPE_ANNOTATION = "metrics.jetstream-paas.org/mtls-port";

/**
 * Istio scrape jobs (istio.io "Prometheus" integration): istiod's monitoring port, the merged
 * sidecar + app metrics on :15020 (plaintext, outside the sidecar's capture; they include the
 * Envoy stats, so there is no separate :15090 job), and app metrics ports annotated
 * MTLS_SCRAPE_ANNOTATION scraped *through* the mesh with the workload certificate the
 * Prometheus sidecar writes to PROM_CERT_DIR (so STRICT mTLS holds for them too).
 */
export function istioScrapeConfigs(): Record<string, unknown>[] {
  return [
    {
      job_name: "istiod",
      kubernetes_sd_configs: [{ role: "endpoints", namespaces: { names: [ISTIO_NAMESPACE] } }],
      relabel_configs: [
        {
          source_labels: ["__meta_kubernetes_service_name", "__meta_kubernetes_endpoint_port_name"],
          action: "keep",
          regex: "istiod;http-monitoring",
        },
      ],
    },
    {
      job_name: "kubernetes-pods-merged",
      kubernetes_sd_configs: [{ role: "pod" }],
      relabel_configs: [
        {
          source_labels: ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"],
          action: "keep",
          regex: "true",
        },
        {
          source_labels: ["__meta_kubernetes_pod_annotation_prometheus_io_path"],
          action: "replace",
          target_label: "__metrics_path__",
          regex: "(.+)",
        },
        {
          source_labels: ["__address__", "__meta_kubernetes_pod_annotation_prometheus_io_port"],
          action: "replace",
          regex: "([^:]+)(?::\\d+)?;(\\d+)",
          replacement: "$1:$2",
          target_label: "__address__",
        },
        { source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace" },
        { source_labels: ["__meta_kubernetes_pod_name"], target_label: "pod" },
      ],
    },
    {
      job_name: "kubernetes-pods-istio-mtls",
      scheme: "https",
      tls_config: {
        ca_file: `${PROM_CERT_DIR}root-cert.pem`,
        cert_file: `${PROM_CERT_DIR}cert-chain.pem`,
        key_file: `${PROM_CERT_DIR}key.pem`,
        // Istio certificates carry SPIFFE URIs, not DNS names; the chain is still verified.
        insecure_skip_verify: true,
      },
      kubernetes_sd_configs: [{ role: "pod" }],
      relabel_configs: [
        {
          source_labels: ["__meta_kubernetes_pod_annotation_metrics_jetstream_paas_org_mtls_port"],
          action: "keep",
          regex: "\\d+",
        },
        {
          source_labels: [
            "__address__",
            "__meta_kubernetes_pod_annotation_metrics_jetstream_paas_org_mtls_port",
          ],
          action: "replace",
          regex: "([^:]+)(?::\\d+)?;(\\d+)",
          replacement: "$1:$2",
          target_label: "__address__",
        },
        { source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace" },
        { source_labels: ["__meta_kubernetes_pod_name"], target_label: "pod" },
      ],
    },
  ];
}

export function prometheusValues(config: ObservabilityConfig): Record<string, unknown> {
  return {
    fullnameOverride: RELEASES.prometheus,
    // Grafana comes from the grafana-community chart (the bundled grafana.github.io one is deprecated).
    grafana: { enabled: false },
    alertmanager: { enabled: config.prometheus.alertmanager },
    prometheus: {
      serviceAccount: { create: true, name: SERVICE_ACCOUNTS.prometheus.name },
      service: { type: "ClusterIP" },
      prometheusSpec: {
        retention: config.prometheus.retention,
        // pick up ServiceMonitors/PodMonitors from every release, not only this chart's
        serviceMonitorSelectorNilUsesHelmValues: false,
        podMonitorSelectorNilUsesHelmValues: false,
        additionalScrapeConfigs: istioScrapeConfigs(),
        // A sidecar that intercepts nothing and only writes the workload certificate, so
        // Prometheus can scrape app metrics ports through STRICT mTLS with its own identity
        // (istio.io "Prometheus: TLS settings").
        podMetadata: {
          labels: { "sidecar.istio.io/inject": "true" },
          annotations: {
            "traffic.sidecar.istio.io/includeInboundPorts": "",
            "traffic.sidecar.istio.io/includeOutboundIPRanges": "",
            "proxy.istio.io/config": "proxyMetadata:\n  OUTPUT_CERTS: /etc/istio-output-certs\n",
            "sidecar.istio.io/userVolumeMount":
              '[{"name": "istio-certs", "mountPath": "/etc/istio-output-certs"}]',
          },
        },
        volumes: [{ name: "istio-certs", emptyDir: { medium: "Memory" } }],
        volumeMounts: [{ name: "istio-certs", mountPath: PROM_CERT_DIR }],
      },
    },
  };
}

export function grafanaValues(sso?: GrafanaSsoInput): Record<string, unknown> {
  const dashboards = Object.fromEntries(
    Object.entries(ISTIO_DASHBOARDS).map(([name, gnetId]) => [name, { gnetId, datasource: "Prometheus" }]),
  );
  return {
    // Login from the generated Secret; the chart never makes up a password.
    admin: {
      existingSecret: GRAFANA_ADMIN_SECRET,
      userKey: GRAFANA_USER_KEY,
      passwordKey: GRAFANA_PASSWORD_KEY,
    },
    service: { type: "ClusterIP" },
    "grafana.ini": {
      "auth.anonymous": { enabled: false },
      auth: { disable_login_form: false },
      users: { allow_sign_up: false },
      security: { cookie_secure: true, disable_gravatar: true },
      ...(sso ? grafanaOidcIni(sso) : {}),
    },
    ...(sso ? grafanaOidcChartValues() : {}),
    datasources: {
      "datasources.yaml": {
        apiVersion: 1,
        datasources: [
          { name: "Prometheus", type: "prometheus", access: "proxy", url: PROMETHEUS_URL, isDefault: true },
        ],
      },
    },
    dashboardProviders: {
      "dashboardproviders.yaml": {
        apiVersion: 1,
        providers: [
          {
            name: "istio",
            orgId: 1,
            folder: "Istio",
            type: "file",
            disableDeletion: true,
            editable: false,
            options: { path: "/var/lib/grafana/dashboards/istio" },
          },
        ],
      },
    },
    dashboards: { istio: dashboards },
  };
}

export function kialiValues(
  config: ObservabilityConfig,
  grafanaUrl: string,
  sso?: KialiSsoInput,
): Record<string, unknown> {
  const k = config.kiali;
  let auth: Record<string, unknown> = { strategy: k.strategy };
  if (sso) auth = kialiOidcAuth(sso);
  else if (k.strategy === "openid" && k.openid) {
    auth.openid = { issuer_uri: k.openid.issuerUri, client_id: k.openid.clientId };
  }
  return {
    auth,
    deployment: {
      service_type: "ClusterIP",
      // with SSO every signed-in user sees Kiali through its service account: view-only, always
      view_only_mode: sso ? true : k.viewOnly,
      ingress: { enabled: false },
    },
    external_services: {
      prometheus: { url: PROMETHEUS_URL },
      grafana: { enabled: true, internal_url: grafanaUrl },
      istio: { root_namespace: ISTIO_NAMESPACE },
    },
  };
}

/**
 * The Grafana admin Secret. The password is a parameter so the component passes the
 * generated one and the artifact a placeholder: the same object either way.
 */
export function grafanaAdminSecret(adminUser: string, password: string): K8sObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: GRAFANA_ADMIN_SECRET, namespace: MONITORING_NAMESPACE },
    type: "Opaque",
    stringData: { [GRAFANA_USER_KEY]: adminUser, [GRAFANA_PASSWORD_KEY]: password },
  };
}

/**
 * In-mesh clients (Flagger) would send mTLS to Prometheus because its pod carries the sidecar
 * label, but that sidecar intercepts no inbound port: they must talk plain HTTP to it.
 */
export function prometheusDestinationRule(): K8sObject {
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "DestinationRule",
    metadata: { name: "prometheus-plaintext", namespace: MONITORING_NAMESPACE },
    spec: {
      host: `${RELEASES.prometheus}-prometheus.${MONITORING_NAMESPACE}.svc.cluster.local`,
      trafficPolicy: { tls: { mode: "DISABLE" } },
    },
  };
}

export function planObservability(config: ObservabilityConfig, sso?: ObservabilitySso): ObservabilityPlan {
  const pin = (k: "kubePrometheusStack" | "grafana" | "kiali") => ({
    chart: CHARTS[k].chart,
    version: CHARTS[k].version,
    repo: CHARTS[k].repo,
  });
  const grafanaUrl = `http://${RELEASES.grafana}.${MONITORING_NAMESPACE}`;
  const objects = [namespaceObject(MONITORING_NAMESPACE), prometheusDestinationRule()];
  assertUnique(objects);
  return {
    prometheus: {
      name: RELEASES.prometheus,
      namespace: MONITORING_NAMESPACE,
      ...pin("kubePrometheusStack"),
      values: prometheusValues(config),
    },
    grafana: {
      name: RELEASES.grafana,
      namespace: MONITORING_NAMESPACE,
      ...pin("grafana"),
      values: grafanaValues(sso?.grafana),
    },
    kiali: {
      name: RELEASES.kiali,
      namespace: ISTIO_NAMESPACE,
      ...pin("kiali"),
      values: kialiValues(config, grafanaUrl, sso?.kiali),
    },
    objects: sortObjects(objects),
  };
}
