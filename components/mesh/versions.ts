// Chart pins of the mesh and its add-ons: the one place they are set. Each pin names its
// source (checked 2026-11, /work/shared/facts.md section 3); bump them here, together, after
// reading the source again.

export interface ChartPin {
  /** chart name in its repository */
  readonly chart: string;
  /** exact chart version; never a range, so a re-run installs the same thing */
  readonly version: string;
  /** Helm repository URL */
  readonly repo: string;
  /** where the pin comes from */
  readonly source: string;
}

const ISTIO_REPO = "https://istio-release.storage.googleapis.com/charts";

/**
 * Istio 1.30.4 (2026-08-27) supports Kubernetes 1.32-1.36; the clusters run 1.35.4
 * (Kubespray v2.31.0 default). 1.29 reached end of life around 2026-08; 1.31 was only at rc.0.
 */
export const ISTIO_VERSION = "1.30.4";
const ISTIO_SOURCE =
  "istio/istio tags (1.30.4, 2026-08-27); istio.io data/compatibility/supportStatus.yml (1.30: k8s 1.32-1.36)";

export const CHARTS = {
  istioBase: { chart: "base", version: ISTIO_VERSION, repo: ISTIO_REPO, source: ISTIO_SOURCE },
  istiod: { chart: "istiod", version: ISTIO_VERSION, repo: ISTIO_REPO, source: ISTIO_SOURCE },
  istioGateway: { chart: "gateway", version: ISTIO_VERSION, repo: ISTIO_REPO, source: ISTIO_SOURCE },
  kubePrometheusStack: {
    chart: "kube-prometheus-stack",
    version: "88.5.3",
    repo: "https://prometheus-community.github.io/helm-charts",
    source: "prometheus-community/helm-charts charts/kube-prometheus-stack/Chart.yaml (2026-08-22)",
  },
  grafana: {
    chart: "grafana",
    version: "12.11.1",
    repo: "https://grafana-community.github.io/helm-charts",
    source:
      "grafana-community/helm-charts charts/grafana/Chart.yaml (2026-08-20, app 13.2.0); the grafana.github.io chart is deprecated",
  },
  kiali: {
    chart: "kiali-server",
    version: "2.29.0",
    repo: "https://kiali.org/helm-charts",
    source: "kiali/helm-charts docs/index.yaml (2026-07)",
  },
  flagger: {
    chart: "flagger",
    version: "1.44.0",
    repo: "https://flagger.app",
    source: "fluxcd/flagger v1.44.0 charts/flagger/Chart.yaml (2026-07-21)",
  },
  loadtester: {
    chart: "loadtester",
    version: "0.38.0",
    repo: "https://flagger.app",
    source: "fluxcd/flagger v1.44.0 charts/loadtester/Chart.yaml (2026-07-21)",
  },
} as const satisfies Record<string, ChartPin>;

export type ChartKey = keyof typeof CHARTS;

/** Kubernetes minor versions Istio ISTIO_VERSION supports (istio.io supportStatus.yml). */
export const ISTIO_SUPPORTED_K8S = { min: "1.32", max: "1.36" } as const;

/**
 * Why Istio ISTIO_VERSION cannot run on the given Kubernetes version ("1.35.4", "v1.35"), or
 * undefined when it is supported.
 */
export function istioSupportError(kubernetesVersion: string): string | undefined {
  const m = /^v?(\d+)\.(\d+)(\.\d+)?$/.exec(kubernetesVersion);
  if (!m) return `kubernetesVersion "${kubernetesVersion}" is not a version like 1.35.4`;
  const minor = (v: string) => Number(v.split(".")[1]);
  const got = Number(m[2]);
  if (Number(m[1]) !== 1 || got < minor(ISTIO_SUPPORTED_K8S.min) || got > minor(ISTIO_SUPPORTED_K8S.max)) {
    return (
      `kubernetesVersion ${kubernetesVersion} is outside what Istio ${ISTIO_VERSION} supports ` +
      `(${ISTIO_SUPPORTED_K8S.min}-${ISTIO_SUPPORTED_K8S.max}); move the Istio pin in components/mesh/versions.ts first`
    );
  }
  return undefined;
}
