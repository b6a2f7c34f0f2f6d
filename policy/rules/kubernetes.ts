// Kubernetes, Helm and Istio rules, read from the Kubernetes provider's type tokens: objects by
// kind (`kubernetes:<group>/<version>:<Kind>`), Helm releases by chart name and values.
import { KNOWN } from "../known";
import {
  at,
  Finding,
  isObject,
  isUnknown,
  Json,
  ResourceRule,
  ResourceView,
  StackRule,
  str,
  walkObjects,
} from "../view";

const HELM_TYPES = new Set([
  "kubernetes:helm.sh/v3:Release",
  "kubernetes:helm.sh/v3:Chart",
  "kubernetes:helm.sh/v4:Chart",
]);

export function isHelm(r: ResourceView): boolean {
  return HELM_TYPES.has(r.type);
}

/** The chart's own name: `istiod` for `istiod`, `repo/istiod` or `oci://host/charts/istiod`. */
export function chartName(r: ResourceView): string | undefined {
  const chart = str(r.inputs.chart);
  return chart?.split("/").pop();
}

/** The Kind of a Kubernetes object resource (`kubernetes:apps/v1:Deployment` → Deployment). */
function kindOf(r: ResourceView): string | undefined {
  const m = /^kubernetes:[^:]+:([A-Za-z]+)$/.exec(r.type);
  return m ? m[1] : undefined;
}

const EXACT_SEMVER = /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

export const helmChartVersionsExact: ResourceRule = {
  kind: "resource",
  name: "helm-chart-versions-exact",
  description: "Helm charts are pinned to an exact version",
  level: "mandatory",
  check(r) {
    if (!isHelm(r)) return [];
    const chart = str(r.inputs.chart);
    if (chart === undefined || /^(\.{1,2}\/|\/|file:\/\/)/.test(chart)) return []; // a chart in this repo
    const version = r.inputs.version;
    if (isUnknown(version)) return [];
    if (str(version) === undefined) return [`chart ${chart} has no version: Helm would install the newest`];
    return EXACT_SEMVER.test(version as string)
      ? []
      : [`chart ${chart} version ${String(version)} is a range, not an exact version`];
  },
};

const POD_SPEC_PATHS: Readonly<Record<string, string>> = {
  Pod: "spec",
  Deployment: "spec.template.spec",
  StatefulSet: "spec.template.spec",
  DaemonSet: "spec.template.spec",
  ReplicaSet: "spec.template.spec",
  ReplicationController: "spec.template.spec",
  Job: "spec.template.spec",
  CronJob: "spec.jobTemplate.spec.template.spec",
};

const DIGEST = /@sha256:[0-9a-f]{64}$/;
const VERSION_TAG = /^v?\d+(\.\d+){0,3}([-_.+][0-9A-Za-z._-]+)?$/;

/** Why an image reference is not pinned, or undefined when it is (a digest or a version tag). */
export function imageProblem(image: string): string | undefined {
  if (DIGEST.test(image)) return undefined;
  const lastSlash = image.lastIndexOf("/");
  const colon = image.indexOf(":", lastSlash + 1);
  if (colon < 0) return `image ${image} has no tag or digest (that is latest)`;
  const tag = image.slice(colon + 1);
  if (tag === "latest") return `image ${image} is latest`;
  if (!VERSION_TAG.test(tag)) return `image ${image}: tag ${tag} is neither a version nor a digest`;
  return undefined;
}

function podImages(r: ResourceView): string[] {
  const kind = kindOf(r);
  const path = kind ? POD_SPEC_PATHS[kind] : undefined;
  if (!path || !/^kubernetes:(core|apps|batch)\/v\w+:/.test(r.type)) return [];
  const spec = at(r.inputs, path);
  const images: string[] = [];
  for (const list of ["containers", "initContainers", "ephemeralContainers"]) {
    const containers = at(spec, list);
    if (!Array.isArray(containers)) continue;
    for (const c of containers) {
      const image = isObject(c) ? c.image : undefined;
      if (typeof image === "string" && !isUnknown(image)) images.push(image);
    }
  }
  return images;
}

/** Images a chart's values set: `image: "repo:tag"` or `image: {repository, tag, digest}`. */
function valuesImages(values: unknown): string[] {
  const images: string[] = [];
  walkObjects(values, (o) => {
    const image = o.image;
    if (typeof image === "string" && !isUnknown(image)) images.push(image);
    if (isObject(image)) {
      const repo = str(image.repository) ?? str(image.name) ?? "image";
      const digest = str(image.digest);
      const tag = image.tag;
      // A repository without a tag takes the chart's appVersion, pinned by the chart version.
      if (digest) images.push(`${repo}@${digest.startsWith("sha256:") ? digest : `sha256:${digest}`}`);
      else if (typeof tag === "string" && tag !== "" && !isUnknown(tag)) images.push(`${repo}:${tag}`);
    }
  });
  return images;
}

export const containerImagesPinned: ResourceRule = {
  kind: "resource",
  name: "container-images-pinned",
  description: "Container images are pinned by version or digest, never latest",
  level: "mandatory",
  check(r) {
    const images = isHelm(r) ? valuesImages(r.inputs.values) : podImages(r);
    return images.map(imageProblem).filter((p): p is string => p !== undefined);
  },
};

const KIALI_STRATEGIES = ["token", "openid", "openshift", "header"];

export const kialiNotAnonymous: ResourceRule = {
  kind: "resource",
  name: "kiali-not-anonymous",
  description: "Kiali always asks who you are (auth.strategy set, never anonymous)",
  level: "mandatory",
  check(r) {
    let strategy: unknown;
    if (isHelm(r) && chartName(r) === KNOWN.kialiChart) strategy = at(r.inputs.values, "auth.strategy");
    else if (/^kubernetes:kiali\.io\/[^:]+:Kiali$/.test(r.type))
      strategy = at(r.inputs, "spec.auth.strategy");
    else return [];
    if (isUnknown(strategy)) return [];
    if (strategy === "anonymous")
      return ["Kiali auth.strategy is anonymous: anyone who reaches it is admitted"];
    return KIALI_STRATEGIES.includes(String(strategy))
      ? []
      : [
          `Kiali auth.strategy is ${strategy === undefined ? "not set" : String(strategy)}: set one of ${KIALI_STRATEGIES.join(", ")}`,
        ];
  },
};

function isPeerAuthentication(r: ResourceView): boolean {
  return /^kubernetes:security\.istio\.io\/[^:]+:PeerAuthentication$/.test(r.type);
}

/** The mesh's root namespace from istiod's values (Istio's default: the istiod namespace). */
function rootNamespace(istiod: ResourceView): string {
  const values = istiod.inputs.values;
  return (
    str(at(values, "meshConfig.rootNamespace")) ??
    str(at(values, "global.istioNamespace")) ??
    str(istiod.inputs.namespace) ??
    "istio-system"
  );
}

export const meshMtlsStrict: StackRule = {
  kind: "stack",
  name: "mesh-mtls-strict",
  description: "A mesh has a mesh-wide STRICT PeerAuthentication and nothing weakens it",
  level: "mandatory",
  check(stack) {
    const found: Finding[] = [];
    const peerAuths = stack.resources.filter(isPeerAuthentication);
    for (const pa of peerAuths) {
      const spec = pa.inputs.spec;
      const modes = [at(spec, "mtls.mode")];
      const portLevel = at(spec, "portLevelMtls");
      if (isObject(portLevel)) modes.push(...Object.values(portLevel).map((p) => at(p, "mode")));
      for (const mode of modes) {
        if (mode === "PERMISSIVE" || mode === "DISABLE") {
          found.push({ resource: pa, message: `PeerAuthentication sets mTLS ${mode}` });
        }
      }
    }
    const istiod = stack.resources.find((r) => isHelm(r) && chartName(r) === KNOWN.istiodChart);
    if (istiod === undefined) return found;
    const root = rootNamespace(istiod);
    const meshWide = peerAuths.some(
      (pa) =>
        at(pa.inputs, "metadata.namespace") === root &&
        at(pa.inputs, "spec.selector") === undefined &&
        at(pa.inputs, "spec.mtls.mode") === "STRICT",
    );
    if (!meshWide) {
      found.push({
        resource: istiod,
        message: `no PeerAuthentication in the root namespace ${root} without a selector and mtls.mode STRICT`,
      });
    }
    return found;
  },
};

const EXPOSED = new Set(["LoadBalancer", "NodePort"]);

/** Service exposures inside Helm values: `type` under a `service` key, or `service_type`. */
function valuesServices(values: unknown): Array<{ type: string; service: Json }> {
  const found: Array<{ type: string; service: Json }> = [];
  walkObjects(values, (o, path) => {
    const underService = path.some((k) => /service/i.test(k));
    if (underService && typeof o.type === "string" && EXPOSED.has(o.type))
      found.push({ type: o.type, service: o });
    for (const key of ["service_type", "serviceType"]) {
      const t = o[key];
      if (typeof t === "string" && EXPOSED.has(t)) found.push({ type: t, service: o });
    }
  });
  return found;
}

function gatewayPortsProblem(service: Json): string | undefined {
  const ports = Array.isArray(service.ports) ? service.ports.filter(isObject) : [];
  if (ports.length === 0) return "the gateway Service is NodePort without fixed nodePorts";
  const wrong = ports.filter((p) => !KNOWN.gatewayNodePorts.includes(p.nodePort as number));
  if (wrong.length === 0) return undefined;
  const shown = wrong.map((p) => String(p.nodePort ?? "(random)")).join(", ");
  return `the gateway Service uses nodePort ${shown}; the fixed ones are ${KNOWN.gatewayNodePorts.join(", ")} (src/ingress-ports.ts)`;
}

export const noExposedServices: ResourceRule = {
  kind: "resource",
  name: "no-exposed-services",
  description: "No LoadBalancer or NodePort Service, except the ingress gateway on its fixed NodePorts",
  level: "mandatory",
  check(r) {
    if (kindOf(r) === "Service" && r.type.startsWith("kubernetes:core/")) {
      const type = at(r.inputs, "spec.type");
      return typeof type === "string" && EXPOSED.has(type)
        ? [`Service type ${type} exposes it outside the cluster`]
        : [];
    }
    if (!isHelm(r)) return [];
    const gateway = chartName(r) === KNOWN.gatewayChart;
    return valuesServices(r.inputs.values).flatMap(({ type, service }): string[] => {
      if (gateway && type === "NodePort") {
        const problem = gatewayPortsProblem(service);
        return problem ? [problem] : [];
      }
      return [`chart ${chartName(r) ?? "?"} values make a ${type} Service`];
    });
  },
};
