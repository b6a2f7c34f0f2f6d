import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { meshSchema } from "../config/mesh";
import { applyObjects, helmRelease, registerManifests } from "./_k8s";
import { parseMesh } from "./istio-mesh";
import { FlaggerPlan, planFlagger } from "./render/flagger";
import { FLAGGER_NAMESPACE, K8sObject } from "./render/objects";

export interface FlaggerArgs {
  /** the `mesh` section; its apps with a `canary` get a Canary. @default {} */
  mesh?: z.input<typeof meshSchema>;
  /**
   * resources to wait for: the IstioMesh (app namespaces, injection) and Observability
   * (Prometheus is Flagger's metrics server)
   */
  dependsOn?: pulumi.Resource[];
}

/**
 * Flagger (meshProvider istio, its CRDs from the chart) and its load tester, both inside the
 * mesh in `flagger-system`, and a Canary per app that asks for one.
 */
export class Flagger extends pulumi.ComponentResource {
  /** `<namespace>/<name>` of every Canary */
  public readonly canaries: string[];
  public readonly objects: readonly K8sObject[];

  constructor(name: string, args: FlaggerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jetstream:mesh:Flagger", name, args, opts);
    const plan = createFlagger(name, args, this);
    this.canaries = plan.canaries.map((c) => `${c.metadata.namespace}/${c.metadata.name}`);
    this.objects = plan.objects;
    this.registerOutputs({ canaries: this.canaries });
  }
}

/** @internal */
function createFlagger(name: string, args: FlaggerArgs, parent: pulumi.Resource): FlaggerPlan {
  const config = parseMesh(args.mesh, parent);
  const plan = planFlagger(config);
  const opts: pulumi.CustomResourceOptions = { parent };
  const after = args.dependsOn ?? [];

  const nsObjects = plan.objects.filter((o) => o.kind === "Namespace");
  const ns = applyObjects(name, nsObjects, opts, after).get(`namespace-${FLAGGER_NAMESPACE}`)!;
  const local = plan.objects.filter(
    (o) => o.kind !== "Namespace" && o.kind !== "Canary" && o.metadata.namespace === FLAGGER_NAMESPACE,
  );
  const localCreated = [...applyObjects(name, local, opts, [...after, ns]).values()];
  const flagger = helmRelease(name, plan.flagger, { ...opts, dependsOn: [...after, ns] });
  helmRelease(name, plan.loadtester, { ...opts, dependsOn: [flagger, ...localCreated] });
  // A Canary needs the CRD (installed with the flagger release) and its app namespace (mesh).
  applyObjects(name, plan.canaries, opts, [...after, flagger]);

  registerManifests(name, plan.objects, [plan.flagger, plan.loadtester]);
  return plan;
}
