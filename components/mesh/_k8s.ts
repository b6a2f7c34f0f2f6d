// @internal helpers shared by the mesh components: create a Pulumi resource from a rendered
// plain object (so the object validated in tests is the one deployed), a Helm release from a
// ReleasePlan, and the artifacts synth writes under out/<stack>/k8s/.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { registerArtifact } from "../../src/artifacts";
import { toYaml, toYamlStream } from "../../src/yaml";
import { K8sObject, objectKey, ReleasePlan } from "./render/objects";

/** @internal */
export function applyObject(
  prefix: string,
  obj: K8sObject,
  opts: pulumi.CustomResourceOptions,
): pulumi.CustomResource {
  const name = `${prefix}-${objectKey(obj)}`;
  const { apiVersion, kind, metadata, ...body } = obj;
  switch (`${apiVersion}/${kind}`) {
    case "v1/Namespace":
      return new k8s.core.v1.Namespace(name, { metadata }, opts);
    case "v1/ServiceAccount":
      return new k8s.core.v1.ServiceAccount(name, { metadata }, opts);
    case "v1/ConfigMap":
      return new k8s.core.v1.ConfigMap(name, { metadata, data: body.data as Record<string, string> }, opts);
    default:
      if (!apiVersion.includes("/")) {
        throw new Error(`${kind} ${metadata.name}: core kinds need their typed resource here`);
      }
      return new k8s.apiextensions.CustomResource(name, { apiVersion, kind, metadata, ...body }, opts);
  }
}

/** Applies objects in order; each waits for `dependsOn` and for its namespace if created here. */
export function applyObjects(
  prefix: string,
  objects: readonly K8sObject[],
  opts: pulumi.CustomResourceOptions,
  dependsOn: readonly pulumi.Resource[] = [],
): Map<string, pulumi.CustomResource> {
  const created = new Map<string, pulumi.CustomResource>();
  const namespaces = new Map<string, pulumi.CustomResource>();
  for (const o of objects) {
    const deps = [...dependsOn];
    const ns = o.metadata.namespace ? namespaces.get(o.metadata.namespace) : undefined;
    if (ns) deps.push(ns);
    const r = applyObject(prefix, o, { ...opts, dependsOn: deps });
    created.set(objectKey(o), r);
    if (o.kind === "Namespace") namespaces.set(o.metadata.name, r);
  }
  return created;
}

/** @internal A Helm release with an explicit name, pinned chart and rollback on failure. */
export function helmRelease(
  prefix: string,
  plan: ReleasePlan,
  opts: pulumi.CustomResourceOptions,
): k8s.helm.v3.Release {
  return new k8s.helm.v3.Release(
    `${prefix}-${plan.name}`,
    {
      name: plan.name,
      namespace: plan.namespace,
      createNamespace: false,
      chart: plan.chart,
      version: plan.version,
      repositoryOpts: { repo: plan.repo },
      values: plan.values,
      atomic: true,
      cleanupOnFail: true,
      timeout: 600,
      maxHistory: 10,
    },
    opts,
  );
}

/** Registers `k8s/<component>.yaml` (every object) and `k8s/helm/<release>.values.yaml`. */
export function registerManifests(
  component: string,
  objects: readonly K8sObject[],
  releases: ReleasePlan[],
): void {
  registerArtifact(`k8s/${component}.yaml`, toYamlStream(objects));
  for (const r of releases) {
    const header = [
      `# Helm values of release ${r.namespace}/${r.name}: chart ${r.chart} ${r.version}`,
      `# from ${r.repo} (rendered by jetstream-paas, component ${component})`,
    ].join("\n");
    registerArtifact(`k8s/helm/${r.name}.values.yaml`, toYaml(r.values, { header }));
  }
}
