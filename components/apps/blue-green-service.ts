import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { registerArtifact } from "../../src/artifacts";
import {
  BlueGreenSpec,
  blueGreenObjects,
  Colour,
  COLOUR_LIST,
  Manifest,
  manifestList,
  renderBlueGreenManifests,
  validateManifests,
} from "./render/blue-green";

export interface BlueGreenServiceArgs {
  /** the cluster to install into (KubesprayCluster.provider) */
  provider: k8s.Provider;
  /** @default "default"; the namespace must exist (the mesh creates meshed ones) */
  namespace?: string;
  /** the colour that takes the traffic; switching it is a config change and `pulumi up` */
  active: Colour;
  /** images pinned by digest, one per colour */
  images: Record<Colour, string>;
  /** @default 2, per colour: the idle colour stays warm so a rollback is instant */
  replicas?: number;
  /** @default 8080 */
  containerPort?: number;
  /** @default 80 */
  servicePort?: number;
  /** @default "/healthz" */
  readinessPath?: string;
  /** route with an Istio VirtualService too (the namespace has sidecar injection) @default false */
  meshed?: boolean;
  /** extra labels per colour on the Deployments and pods (e.g. kube-monkey opt-in) @default none */
  extraLabels?: Partial<Record<"blue" | "green", Record<string, string>>>;
  /**
   * resources that must exist first, e.g. the Istio mesh: its sidecar injector has to run
   * before the pods start, and its CRDs before a VirtualService
   */
  dependsOn?: pulumi.Resource[];
}

/**
 * One microservice in two colours (seed 004's blue/green branches, done as code): Deployments
 * `<name>-blue` and `<name>-green`, a Service `<name>` whose selector holds the active colour,
 * Services `<name>-blue`/`<name>-green` for smoke tests, and for meshed apps a VirtualService
 * routing to the active colour. `npm run app -- switch` moves the same fields at run time.
 */
export class BlueGreenService extends pulumi.ComponentResource {
  public readonly serviceName: pulumi.Output<string>;
  public readonly namespace: pulumi.Output<string>;
  public readonly activeColour: pulumi.Output<Colour>;
  public readonly deploymentNames: pulumi.Output<Record<Colour, string>>;
  public readonly manifests: pulumi.Output<string>;

  constructor(name: string, args: BlueGreenServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jetstream:apps:BlueGreenService", name, args, opts);
    const r = createBlueGreenService(name, args, this);
    this.serviceName = r.serviceName;
    this.namespace = r.namespace;
    this.activeColour = r.activeColour;
    this.deploymentNames = r.deploymentNames;
    this.manifests = r.manifests;
    this.registerOutputs({
      serviceName: this.serviceName,
      namespace: this.namespace,
      activeColour: this.activeColour,
      deploymentNames: this.deploymentNames,
      manifests: this.manifests,
    });
  }
}

/** @internal */
function createBlueGreenService(name: string, args: BlueGreenServiceArgs, parent: pulumi.Resource) {
  if (!args.provider)
    throw new pulumi.ResourceError("provider is required (the cluster's k8s.Provider)", parent);
  if (args.active !== "blue" && args.active !== "green") {
    throw new pulumi.ResourceError(`active "${String(args.active)}" must be blue or green`, parent);
  }
  const spec: BlueGreenSpec = {
    name,
    namespace: args.namespace ?? "default",
    active: args.active,
    images: args.images,
    replicas: args.replicas ?? 2,
    containerPort: args.containerPort ?? 8080,
    servicePort: args.servicePort ?? 80,
    readinessPath: args.readinessPath ?? "/healthz",
    meshed: args.meshed ?? false,
    extraLabels: args.extraLabels,
  };
  let objects: ReturnType<typeof blueGreenObjects>;
  let text: string;
  try {
    objects = blueGreenObjects(spec);
    text = renderBlueGreenManifests(spec);
  } catch (err) {
    throw new pulumi.ResourceError(err instanceof Error ? err.message : String(err), parent);
  }
  // Every resource waits for the schema check: an invalid manifest fails preview and up.
  const validated = pulumi.output(validateManifests(manifestList(objects)).then(() => true));
  const checked = <T>(v: T): pulumi.Output<T> => validated.apply(() => v);
  const opts: pulumi.CustomResourceOptions = { parent, provider: args.provider };
  const body = (m: Manifest) => ({ metadata: m.metadata, spec: checked(m.spec as Record<string, unknown>) });

  const deployments = {} as Record<Colour, k8s.apps.v1.Deployment>;
  for (const c of COLOUR_LIST) {
    deployments[c] = new k8s.apps.v1.Deployment(`${name}-${c}`, body(objects.deployments[c]) as never, {
      ...opts,
      dependsOn: args.dependsOn ?? [],
    });
  }
  const colourServices = COLOUR_LIST.map(
    (c) =>
      new k8s.core.v1.Service(`${name}-${c}-svc`, body(objects.colourServices[c]) as never, {
        ...opts,
        dependsOn: [deployments[c]],
      }),
  );
  const service = new k8s.core.v1.Service(`${name}-svc`, body(objects.service) as never, {
    ...opts,
    dependsOn: [deployments.blue, deployments.green],
  });
  if (objects.virtualService) {
    const vs = objects.virtualService;
    new k8s.apiextensions.CustomResource(
      `${name}-vs`,
      { apiVersion: vs.apiVersion, kind: vs.kind, metadata: vs.metadata, spec: checked(vs.spec) },
      { ...opts, dependsOn: [service, ...colourServices] },
    );
  }
  const manifests = validated.apply(() => text);
  registerArtifact(`k8s/blue-green-${name}.yaml`, manifests);

  return {
    serviceName: service.metadata.name,
    namespace: pulumi.output(spec.namespace),
    activeColour: pulumi.output(spec.active),
    deploymentNames: pulumi.output({ blue: `${name}-blue`, green: `${name}-green` } as Record<
      Colour,
      string
    >),
    manifests,
  };
}
