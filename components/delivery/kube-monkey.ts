import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { registerArtifact } from "../../src/artifacts";
import { toYaml } from "../../src/yaml";
import type { ChaosConfig } from "../config/chaos";
import { CHAOS_NAMESPACE, CHAOS_RELEASE, KUBE_MONKEY_CHART, kubeMonkeyValues } from "./render/chaos";

export interface KubeMonkeyArgs {
  chaos: ChaosConfig;
  /** the opted-in namespaces must exist first */
  dependsOn?: pulumi.Resource[];
}

/**
 * kube-monkey from its chart, pinned, in jsp-chaos; acts only in the namespaces that opted in
 * (whitelist) and never in platform namespaces (blacklist). Declared only when chaos is on.
 */
export class KubeMonkey extends pulumi.ComponentResource {
  public readonly namespaces: string[];

  constructor(name: string, args: KubeMonkeyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jetstream:delivery:KubeMonkey", name, {}, opts);
    const values = kubeMonkeyValues(args.chaos);
    const ns = new k8s.core.v1.Namespace(
      `${name}-ns`,
      { metadata: { name: CHAOS_NAMESPACE, labels: { "app.kubernetes.io/managed-by": "pulumi" } } },
      { parent: this, dependsOn: args.dependsOn ?? [] },
    );
    new k8s.helm.v3.Release(
      `${name}-release`,
      {
        name: CHAOS_RELEASE,
        namespace: CHAOS_NAMESPACE,
        createNamespace: false,
        chart: KUBE_MONKEY_CHART.chart,
        version: KUBE_MONKEY_CHART.version,
        repositoryOpts: { repo: KUBE_MONKEY_CHART.repo },
        values,
        atomic: true,
        cleanupOnFail: true,
        timeout: 300,
        maxHistory: 10,
      },
      { parent: this, dependsOn: [ns, ...(args.dependsOn ?? [])] },
    );
    registerArtifact(
      `k8s/helm/${CHAOS_RELEASE}.values.yaml`,
      toYaml(values, {
        header: `# Helm values of release ${CHAOS_NAMESPACE}/${CHAOS_RELEASE}: chart ${KUBE_MONKEY_CHART.chart} ${KUBE_MONKEY_CHART.version}\n# from ${KUBE_MONKEY_CHART.repo} (${KUBE_MONKEY_CHART.source})`,
      }),
    );
    this.namespaces = args.chaos.namespaces.map((n) => n.name).sort();
    this.registerOutputs({ namespaces: this.namespaces });
  }
}
