import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { IngressNodePorts, MeshConfig, meshSchema } from "../config/mesh";
import { applyObjects, helmRelease, registerManifests } from "./_k8s";
import { GATEWAY_READINESS_PATH, IstioPlan, planIstio } from "./render/istio";
import { INGRESS_NAMESPACE, ISTIO_NAMESPACE, K8sObject } from "./render/objects";
import { istioSupportError, ISTIO_VERSION } from "./versions";

export interface IstioMeshArgs {
  /**
   * The `mesh` section (components/config/mesh.ts); parsed again here, so defaults apply and
   * a bad value is refused naming the key. @default {} (no app namespace, default NodePorts)
   */
  mesh?: z.input<typeof meshSchema>;
  /** resources the mesh must wait for (e.g. the cluster's readiness check) */
  dependsOn?: pulumi.Resource[];
  /**
   * The cluster's Kubernetes version (e.g. "1.35.4"); when given, a version the pinned Istio
   * does not support is refused before anything is planned.
   */
  kubernetesVersion?: string;
}

/**
 * Istio in sidecar mode from the official charts, `base` -> `istiod` -> ingress `gateway`
 * (NodePort, fixed ports), with STRICT mTLS, allow-nothing + explicit ALLOW policies per app
 * namespace, REGISTRY_ONLY egress with the configured ServiceEntries, the public Gateway and
 * a VirtualService per published app without a canary. Give it the cluster's provider with
 * `{ provider }`.
 */
export class IstioMesh extends pulumi.ComponentResource {
  /** NodePorts of the ingress gateway Service (http, https, status) the edge targets */
  public readonly ingressNodePorts: IngressNodePorts;
  /** readiness path on the status NodePort */
  public readonly readinessPath: string;
  public readonly istioVersion: string;
  /** istiod release: later components wait for it (injection, CRDs, validation) */
  public readonly controlPlane: pulumi.Resource;
  public readonly gateway: pulumi.Resource;
  /** the objects applied, as rendered (also in out/<stack>/k8s/<name>.yaml) */
  public readonly objects: readonly K8sObject[];

  constructor(name: string, args: IstioMeshArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jetstream:mesh:IstioMesh", name, args, opts);
    const r = createIstioMesh(name, args, this);
    this.ingressNodePorts = r.config.ingressNodePorts;
    this.readinessPath = GATEWAY_READINESS_PATH;
    this.istioVersion = ISTIO_VERSION;
    this.controlPlane = r.istiod;
    this.gateway = r.gateway;
    this.objects = r.plan.objects;
    this.registerOutputs({
      ingressNodePorts: this.ingressNodePorts,
      readinessPath: this.readinessPath,
      istioVersion: this.istioVersion,
    });
  }
}

/** Parses a `mesh` section, turning a refusal into a ResourceError naming the key. */
export function parseMesh(input: unknown, parent: pulumi.Resource): MeshConfig {
  const res = meshSchema.safeParse(input ?? {});
  if (!res.success) {
    const lines = res.error.issues.map((i) => `mesh.${i.path.join(".")}: ${i.message}`);
    throw new pulumi.ResourceError(`invalid mesh args: ${lines.join("; ")}`, parent);
  }
  return res.data;
}

/** @internal */
function createIstioMesh(name: string, args: IstioMeshArgs, parent: pulumi.Resource) {
  if (args.kubernetesVersion !== undefined) {
    const err = istioSupportError(args.kubernetesVersion);
    if (err) throw new pulumi.ResourceError(err, parent);
  }
  const config = parseMesh(args.mesh, parent);
  const plan: IstioPlan = planIstio(config);
  const opts: pulumi.CustomResourceOptions = { parent };
  const after = args.dependsOn ?? [];

  const namespaces = applyObjects(
    name,
    plan.objects.filter((o) => o.kind === "Namespace"),
    opts,
    after,
  );
  const ns = (n: string) => namespaces.get(`namespace-${n}`)!;
  const base = helmRelease(name, plan.base, { ...opts, dependsOn: [...after, ns(ISTIO_NAMESPACE)] });
  const istiod = helmRelease(name, plan.istiod, { ...opts, dependsOn: [base] });
  const gateway = helmRelease(name, plan.gateway, { ...opts, dependsOn: [istiod, ns(INGRESS_NAMESPACE)] });
  // Istio objects need the CRDs (base) and istiod's validation webhook up; each also waits
  // for its namespace.
  const rest = plan.objects.filter((o) => o.kind !== "Namespace");
  const nsDeps = (o: K8sObject) => {
    const r = o.metadata.namespace ? namespaces.get(`namespace-${o.metadata.namespace}`) : undefined;
    return r ? [r] : [];
  };
  for (const o of rest) applyObjects(name, [o], opts, [istiod, ...nsDeps(o)]);

  registerManifests(name, plan.objects, [plan.base, plan.istiod, plan.gateway]);
  return { config, plan, istiod, gateway };
}
