// Istio: Helm values of base, istiod and the ingress gateway, and the mesh objects built from
// the `mesh` config: namespaces, STRICT mTLS, allow-nothing + explicit ALLOW policies,
// REGISTRY_ONLY egress ServiceEntries, the public Gateway and the apps' VirtualServices.
import type { IngressNodePorts, MeshConfig } from "../../config/mesh";
import { CHARTS } from "../versions";
import {
  GATEWAY_SELECTOR,
  INGRESS_NAMESPACE,
  ISTIO_NAMESPACE,
  K8sObject,
  namespaceObject,
  principal,
  PUBLIC_GATEWAY,
  PUBLIC_GATEWAY_REF,
  ReleasePlan,
  RELEASES,
  SERVICE_ACCOUNTS,
  sortObjects,
  assertUnique,
  TRUST_DOMAIN,
} from "./objects";

/** Ports of the gateway Service: name, Service port, container port. */
export const GATEWAY_PORTS = {
  status: { name: "status-port", port: 15021, targetPort: 15021 },
  http: { name: "http2", port: 80, targetPort: 80 },
  https: { name: "https", port: 443, targetPort: 443 },
} as const;

/** The gateway's readiness endpoint the edge health-checks on the status NodePort. */
export const GATEWAY_READINESS_PATH = "/healthz/ready";

export interface IstioPlan {
  base: ReleasePlan;
  istiod: ReleasePlan;
  gateway: ReleasePlan;
  /** every object, sorted; namespaces first */
  objects: K8sObject[];
}

function release(key: "istioBase" | "istiod" | "istioGateway", name: string, namespace: string) {
  const pin = CHARTS[key];
  return { name, namespace, chart: pin.chart, version: pin.version, repo: pin.repo };
}

export function istioBaseValues(): Record<string, unknown> {
  return { defaultRevision: "default", global: { istioNamespace: ISTIO_NAMESPACE } };
}

export function istiodValues(): Record<string, unknown> {
  return {
    global: { istioNamespace: ISTIO_NAMESPACE },
    // Two control-plane replicas and a PDB: a node drain does not stop config pushes or
    // certificate signing.
    autoscaleEnabled: true,
    autoscaleMin: 2,
    autoscaleMax: 5,
    replicaCount: 2,
    pdb: { minAvailable: 1 },
    meshConfig: {
      trustDomain: TRUST_DOMAIN,
      // Egress is closed: a sidecar reaches only hosts in the registry (Services and the
      // ServiceEntries from config); everything else gets 502 from the BlackHole cluster.
      outboundTrafficPolicy: { mode: "REGISTRY_ONLY" },
      // Prometheus scrapes one merged endpoint per pod (:15020/stats/prometheus).
      enablePrometheusMerge: true,
      accessLogFile: "/dev/stdout",
      accessLogEncoding: "JSON",
      // The app starts after its sidecar, so its first outbound calls do not fail.
      defaultConfig: { holdApplicationUntilProxyStarts: true },
    },
  };
}

export function gatewayValues(nodePorts: IngressNodePorts, replicas: number): Record<string, unknown> {
  const port = (k: keyof typeof GATEWAY_PORTS) => ({
    name: GATEWAY_PORTS[k].name,
    port: GATEWAY_PORTS[k].port,
    targetPort: GATEWAY_PORTS[k].targetPort,
    protocol: "TCP",
    nodePort: nodePorts[k],
  });
  return {
    replicaCount: replicas,
    autoscaling: { enabled: true, minReplicas: replicas, maxReplicas: Math.max(5, replicas) },
    // NodePort, not LoadBalancer: the edge HAProxy pair targets every cluster node on these
    // fixed ports (the site security groups open exactly them to the edge).
    service: {
      type: "NodePort",
      externalTrafficPolicy: "Cluster",
      ports: [port("status"), port("http"), port("https")],
    },
    // The chart allows a PDB only with more than one replica; with one it would block drains.
    ...(replicas > 1 ? { podDisruptionBudget: { minAvailable: 1 } } : {}),
    affinity: {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 100,
            podAffinityTerm: {
              labelSelector: { matchLabels: { ...GATEWAY_SELECTOR } },
              topologyKey: "kubernetes.io/hostname",
            },
          },
        ],
      },
    },
  };
}

/** Mesh-wide STRICT mTLS: a PeerAuthentication named default in the root namespace. */
export function strictPeerAuthentication(): K8sObject {
  return {
    apiVersion: "security.istio.io/v1",
    kind: "PeerAuthentication",
    metadata: { name: "default", namespace: ISTIO_NAMESPACE },
    spec: { mtls: { mode: "STRICT" } },
  };
}

/** An AuthorizationPolicy with an empty spec: matches every workload, allows nothing. */
export function allowNothing(namespace: string): K8sObject {
  return {
    apiVersion: "security.istio.io/v1",
    kind: "AuthorizationPolicy",
    metadata: { name: "allow-nothing", namespace },
    spec: {},
  };
}

function allowPolicy(
  namespace: string,
  name: string,
  rule: { principals?: string[]; namespaces?: string[]; ports?: number[] },
  selector?: Record<string, string>,
): K8sObject {
  const from = rule.principals
    ? [{ source: { principals: [...rule.principals].sort() } }]
    : [{ source: { namespaces: [...(rule.namespaces ?? [])].sort() } }];
  const r: Record<string, unknown> = { from };
  if (rule.ports && rule.ports.length > 0) {
    r.to = [{ operation: { ports: [...new Set(rule.ports)].sort((a, b) => a - b).map(String) } }];
  }
  const spec: Record<string, unknown> = { action: "ALLOW", rules: [r] };
  if (selector) spec.selector = { matchLabels: selector };
  return {
    apiVersion: "security.istio.io/v1",
    kind: "AuthorizationPolicy",
    metadata: { name, namespace },
    spec,
  };
}

/**
 * Policies of one app namespace: allow-nothing, then one ALLOW per caller that needs it.
 * Rules name mTLS identities, never IPs; namespace-wide (no selector) because Flagger
 * relabels the primary Deployment (`app: <name>-primary`), so a label selector would miss it.
 */
export function namespacePolicies(config: MeshConfig, namespace: string): K8sObject[] {
  const ns = config.namespaces.find((n) => n.name === namespace);
  if (!ns) throw new Error(`mesh.namespaces: no namespace ${namespace}`);
  const apps = config.apps.filter((a) => a.namespace === namespace);
  const out: K8sObject[] = [allowNothing(namespace)];
  const published = apps.filter((a) => a.hosts.length > 0);
  if (published.length > 0) {
    out.push(
      allowPolicy(namespace, "allow-ingress-gateway", {
        principals: [principal(SERVICE_ACCOUNTS.gateway)],
        ports: published.map((a) => a.port),
      }),
    );
  }
  const scraped = apps.filter((a) => a.metricsPort !== undefined);
  if (scraped.length > 0) {
    out.push(
      allowPolicy(namespace, "allow-prometheus-scrape", {
        principals: [principal(SERVICE_ACCOUNTS.prometheus)],
        ports: scraped.map((a) => a.metricsPort!),
      }),
    );
  }
  const loaded = apps.filter((a) => a.canary?.loadTest.enabled);
  if (loaded.length > 0) {
    out.push(
      allowPolicy(namespace, "allow-flagger-loadtester", {
        principals: [principal(SERVICE_ACCOUNTS.loadtester)],
        ports: loaded.map((a) => a.port),
      }),
    );
  }
  if (ns.allowSameNamespace) {
    out.push(allowPolicy(namespace, "allow-same-namespace", { namespaces: [namespace] }));
  }
  if (ns.allowFrom.length > 0) {
    out.push(allowPolicy(namespace, "allow-from-namespaces", { namespaces: ns.allowFrom }));
  }
  return out;
}

export function serviceEntries(config: MeshConfig): K8sObject[] {
  return config.egress.map((e) => {
    return {
      apiVersion: "networking.istio.io/v1",
      kind: "ServiceEntry",
      metadata: { name: e.name, namespace: e.namespace },
      spec: {
        hosts: [...e.hosts].sort(),
        location: "MESH_EXTERNAL",
        resolution: "DNS",
        // visible to its own namespace only: another namespace does not inherit the hole
        exportTo: ["."],
        ports: [...e.ports]
          .sort((a, b) => a.number - b.number)
          .map((p) => ({
            number: p.number,
            name: `${p.protocol.toLowerCase()}-${p.number}`,
            protocol: p.protocol,
          })),
      },
    };
  });
}

/**
 * The public Gateway on the ingress gateway pods, naming every published app host (never
 * "*": a host nobody configured gets 404 from the gateway). None when no app is published.
 */
export function publicGateway(config: MeshConfig): K8sObject | undefined {
  const hosts = [...new Set(config.apps.flatMap((a) => a.hosts.map((h) => `${a.namespace}/${h}`)))].sort();
  if (hosts.length === 0) return undefined;
  const servers: Record<string, unknown>[] = [
    { port: { number: GATEWAY_PORTS.http.targetPort, name: "http", protocol: "HTTP" }, hosts },
  ];
  if (config.gateway.tlsCredentialName) {
    servers.push({
      port: { number: GATEWAY_PORTS.https.targetPort, name: "https", protocol: "HTTPS" },
      hosts,
      tls: {
        mode: "SIMPLE",
        credentialName: config.gateway.tlsCredentialName,
        minProtocolVersion: "TLSV1_2",
      },
    });
  }
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "Gateway",
    metadata: { name: PUBLIC_GATEWAY.name, namespace: PUBLIC_GATEWAY.namespace },
    spec: { selector: { ...GATEWAY_SELECTOR }, servers },
  };
}

/**
 * A VirtualService per published app without a canary (Flagger writes the canary apps' own).
 * It routes the app's hosts from the public gateway to the app's Service.
 */
export function virtualServices(config: MeshConfig): K8sObject[] {
  return config.apps
    .filter((a) => a.hosts.length > 0 && !a.canary)
    .map((a) => ({
      apiVersion: "networking.istio.io/v1",
      kind: "VirtualService",
      metadata: { name: a.name, namespace: a.namespace },
      spec: {
        hosts: [...a.hosts].sort(),
        gateways: [PUBLIC_GATEWAY_REF],
        http: [
          {
            name: "default",
            route: [
              {
                destination: { host: `${a.name}.${a.namespace}.svc.cluster.local`, port: { number: a.port } },
              },
            ],
          },
        ],
      },
    }));
}

/** Everything IstioMesh applies, from the validated `mesh` config. */
export function planIstio(config: MeshConfig): IstioPlan {
  const objects: K8sObject[] = [
    namespaceObject(ISTIO_NAMESPACE),
    namespaceObject(INGRESS_NAMESPACE),
    ...config.namespaces.map((n) => namespaceObject(n.name, { "istio-injection": "enabled" })),
    strictPeerAuthentication(),
    ...config.namespaces.flatMap((n) => namespacePolicies(config, n.name)),
    ...serviceEntries(config),
    ...[publicGateway(config)].filter((g): g is K8sObject => g !== undefined),
    ...virtualServices(config),
  ];
  assertUnique(objects);
  return {
    base: { ...release("istioBase", RELEASES.istioBase, ISTIO_NAMESPACE), values: istioBaseValues() },
    istiod: { ...release("istiod", RELEASES.istiod, ISTIO_NAMESPACE), values: istiodValues() },
    gateway: {
      ...release("istioGateway", RELEASES.gateway, INGRESS_NAMESPACE),
      values: gatewayValues(config.ingressNodePorts, config.gateway.replicas),
    },
    objects: sortObjects(objects),
  };
}
