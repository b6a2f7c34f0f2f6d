// Pure renderer of a blue/green service: two Deployments (<name>-blue, <name>-green), a
// Service whose selector holds the active colour, one Service per colour for smoke tests,
// and, for meshed apps, a VirtualService that routes to the active colour (a header routes
// to the idle one). The component and `npm run app -- switch` share these functions, so the
// command patches exactly what `pulumi up` would render.
import { toYamlStream } from "../../../src/yaml";

export type Colour = "blue" | "green";
export const COLOUR_LIST: readonly Colour[] = ["blue", "green"];

export const LABEL_APP = "app.kubernetes.io/name";
export const LABEL_COLOUR = "jetstream-paas.io/colour";
export const LABEL_MANAGED = "app.kubernetes.io/managed-by";
/** on the main Service: the colour traffic goes to, and the one before (for rollback) */
export const ANNOTATION_ACTIVE = "jetstream-paas.io/active-colour";
export const ANNOTATION_PREVIOUS = "jetstream-paas.io/previous-colour";
/** request header that reaches the idle colour through the mesh (smoke tests) */
export const COLOUR_HEADER = "x-jsp-colour";

export interface BlueGreenSpec {
  name: string;
  namespace: string;
  active: Colour;
  images: Record<Colour, string>;
  replicas: number;
  containerPort: number;
  servicePort: number;
  readinessPath: string;
  meshed: boolean;
  /**
   * Extra labels per colour on the Deployment and its pods (kube-monkey opt-in labels, see
   * components/delivery/render/chaos.ts); never selector labels.
   */
  extraLabels?: Partial<Record<Colour, Record<string, string>>>;
}

export type Manifest = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
};

export interface BlueGreenObjects {
  deployments: Record<Colour, Manifest>;
  /** the Service clients use; selector follows the active colour */
  service: Manifest;
  /** <name>-blue and <name>-green: stable addresses of each colour, for smoke tests */
  colourServices: Record<Colour, Manifest>;
  virtualService?: Manifest;
}

export function otherColour(c: Colour): Colour {
  return c === "blue" ? "green" : "blue";
}

export function isColour(v: unknown): v is Colour {
  return v === "blue" || v === "green";
}

export function deploymentName(name: string, colour: Colour): string {
  return `${name}-${colour}`;
}

export function serviceHost(name: string, namespace: string): string {
  return `${name}.${namespace}.svc.cluster.local`;
}

/** The selector of the main Service when `active` takes the traffic. */
export function serviceSelector(name: string, active: Colour): Record<string, string> {
  return { [LABEL_APP]: name, [LABEL_COLOUR]: active };
}

/** The VirtualService `http` routes when `active` takes the traffic. */
export function virtualServiceHttp(
  name: string,
  namespace: string,
  active: Colour,
): Array<Record<string, unknown>> {
  const idle = otherColour(active);
  const host = (c: Colour) => serviceHost(deploymentName(name, c), namespace);
  return [
    {
      name: `${idle}-by-header`,
      match: [{ headers: { [COLOUR_HEADER]: { exact: idle } } }],
      route: [{ destination: { host: host(idle) } }],
    },
    { name: "active", route: [{ destination: { host: host(active) }, weight: 100 }] },
  ];
}

function check(spec: BlueGreenSpec): void {
  if (!/^[a-z]([a-z0-9-]{0,48}[a-z0-9])?$/.test(spec.name)) {
    throw new Error(`name "${spec.name}" must be a DNS-1035 label of at most 50 characters`);
  }
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(spec.namespace)) {
    throw new Error(`namespace "${spec.namespace}" must be a DNS label`);
  }
  if (!isColour(spec.active)) throw new Error(`active "${String(spec.active)}" must be blue or green`);
  for (const c of COLOUR_LIST) {
    if (!/@sha256:[0-9a-f]{64}$/.test(spec.images[c] ?? "")) {
      throw new Error(`images.${c} "${spec.images[c]}" must be pinned by digest (@sha256:...)`);
    }
  }
  if (!Number.isInteger(spec.replicas) || spec.replicas < 1) {
    throw new Error(`replicas ${spec.replicas} must be a positive integer`);
  }
}

function labels(spec: BlueGreenSpec, colour?: Colour): Record<string, string> {
  const l: Record<string, string> = { [LABEL_APP]: spec.name, [LABEL_MANAGED]: "jetstream-paas" };
  if (colour) l[LABEL_COLOUR] = colour;
  return l;
}

function deployment(spec: BlueGreenSpec, colour: Colour): Manifest {
  const podLabels = { [LABEL_APP]: spec.name, [LABEL_COLOUR]: colour };
  const extra = spec.extraLabels?.[colour] ?? {};
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: deploymentName(spec.name, colour),
      namespace: spec.namespace,
      labels: { ...extra, ...labels(spec, colour) },
    },
    spec: {
      replicas: spec.replicas,
      revisionHistoryLimit: 5,
      selector: { matchLabels: podLabels },
      // Never below the wanted count while a colour is updated: the idle colour may be
      // the rollback target at any moment.
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: { ...extra, ...podLabels } },
        spec: {
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
          containers: [
            {
              // `kubectl set image deployment/<name>-<colour> <name>=<digest>` (the pipeline)
              name: spec.name,
              image: spec.images[colour],
              imagePullPolicy: "IfNotPresent",
              ports: [{ name: "http", containerPort: spec.containerPort, protocol: "TCP" }],
              env: [{ name: "JSP_COLOUR", value: colour }],
              readinessProbe: {
                httpGet: { path: spec.readinessPath, port: "http" },
                periodSeconds: 5,
                failureThreshold: 3,
              },
              resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { memory: "256Mi" } },
              securityContext: {
                allowPrivilegeEscalation: false,
                capabilities: { drop: ["ALL"] },
              },
            },
          ],
        },
      },
    },
  };
}

function service(
  spec: BlueGreenSpec,
  name: string,
  selector: Record<string, string>,
  extra: Partial<Manifest["metadata"]> = {},
): Manifest {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: spec.namespace, labels: labels(spec), ...extra },
    spec: {
      type: "ClusterIP",
      selector,
      // named "http" so Istio treats the port as HTTP
      ports: [{ name: "http", port: spec.servicePort, targetPort: "http", protocol: "TCP" }],
    },
  };
}

/** Plain objects of every manifest; throws naming the bad field. */
export function blueGreenObjects(spec: BlueGreenSpec): BlueGreenObjects {
  check(spec);
  const out: BlueGreenObjects = {
    deployments: { blue: deployment(spec, "blue"), green: deployment(spec, "green") },
    service: service(spec, spec.name, serviceSelector(spec.name, spec.active), {
      annotations: { [ANNOTATION_ACTIVE]: spec.active },
    }),
    colourServices: {
      blue: service(spec, deploymentName(spec.name, "blue"), {
        [LABEL_APP]: spec.name,
        [LABEL_COLOUR]: "blue",
      }),
      green: service(spec, deploymentName(spec.name, "green"), {
        [LABEL_APP]: spec.name,
        [LABEL_COLOUR]: "green",
      }),
    },
  };
  if (spec.meshed) {
    out.virtualService = {
      apiVersion: "networking.istio.io/v1",
      kind: "VirtualService",
      metadata: {
        name: spec.name,
        namespace: spec.namespace,
        labels: labels(spec),
        annotations: { [ANNOTATION_ACTIVE]: spec.active },
      },
      spec: {
        hosts: [serviceHost(spec.name, spec.namespace)],
        http: virtualServiceHttp(spec.name, spec.namespace, spec.active),
      },
    };
  }
  return out;
}

/** Every manifest in apply order (Deployments before the Services that select them). */
export function manifestList(o: BlueGreenObjects): Manifest[] {
  const list = [
    o.deployments.blue,
    o.deployments.green,
    o.colourServices.blue,
    o.colourServices.green,
    o.service,
  ];
  if (o.virtualService) list.push(o.virtualService);
  return list;
}

/**
 * kubernetes-models and @kubernetes-models/istio are ES modules without a `require` entry;
 * this CommonJS package loads them with a real dynamic import (TypeScript would turn a plain
 * `import()` into `require`).
 */
const esmImport = new Function("specifier", "return import(specifier)") as (
  specifier: string,
) => Promise<Record<string, unknown>>;

type ModelClass = new (data: unknown) => { validate(): void };

const MODEL_MODULES: Record<string, [string, string]> = {
  Deployment: ["kubernetes-models/apps/v1/Deployment", "Deployment"],
  Service: ["kubernetes-models/v1/Service", "Service"],
  VirtualService: ["@kubernetes-models/istio/networking.istio.io/v1/VirtualService", "VirtualService"],
};

/**
 * Validates manifests against the Kubernetes (and Istio) OpenAPI schemas with
 * kubernetes-models' `.validate()`; rejects naming the first invalid object.
 */
export async function validateManifests(list: readonly Manifest[]): Promise<void> {
  for (const m of list) {
    const where = `${m.kind} ${m.metadata.namespace}/${m.metadata.name}`;
    const entry = MODEL_MODULES[m.kind];
    if (!entry) throw new Error(`${where}: no schema for kind ${m.kind}`);
    const mod = await esmImport(entry[0]);
    const Model = mod[entry[1]] as ModelClass;
    try {
      new Model(m).validate();
    } catch (err) {
      throw new Error(`${where} is invalid: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

/** The YAML stream written to out/<stack>/k8s/blue-green-<name>.yaml (validate it with validateManifests). */
export function renderBlueGreenManifests(spec: BlueGreenSpec): string {
  return toYamlStream(manifestList(blueGreenObjects(spec)), { sortKeys: true });
}
