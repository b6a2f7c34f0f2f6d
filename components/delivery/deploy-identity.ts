import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { registerArtifact } from "../../src/artifacts";
import { toYamlStream } from "../../src/yaml";
import {
  clusterOfKubeconfig,
  DEPLOY_NAMESPACE,
  deployTokenSecret,
  renderDeployKubeconfig,
  renderDeployRbac,
} from "./render/deploy-rbac";

export interface DeployIdentityArgs {
  /** the application namespaces the pipeline deploys to (a Role + RoleBinding in each) */
  namespaces: string[];
  /** the cluster's admin kubeconfig (secret): only its server and CA are read */
  adminKubeconfig: pulumi.Input<string>;
  clusterName: pulumi.Input<string>;
  /** wait for these (the namespaces must exist before their Roles) */
  dependsOn?: pulumi.Resource[];
}

/**
 * The least-privilege deploy identity of a cluster: ServiceAccount jsp-deploy/jenkins-deploy,
 * a Role + RoleBinding per application namespace, its long-lived token, and the kubeconfig
 * Jenkins holds as the site's deploy credential (secret). Nothing cluster-wide.
 */
export class DeployIdentity extends pulumi.ComponentResource {
  /** kubeconfig with the identity's token (secret); undefined until the token is issued */
  public readonly kubeconfig: pulumi.Output<string | undefined>;
  public readonly namespaces: string[];

  constructor(name: string, args: DeployIdentityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jetstream:delivery:DeployIdentity", name, {}, opts);
    this.namespaces = [...new Set(args.namespaces)].sort();
    this.kubeconfig = createDeployIdentity(name, { ...args, namespaces: this.namespaces }, this);
    this.registerOutputs({ kubeconfig: this.kubeconfig, namespaces: this.namespaces });
  }
}

/** @internal */
function createDeployIdentity(
  name: string,
  args: DeployIdentityArgs,
  parent: pulumi.Resource,
): pulumi.Output<string | undefined> {
  let objects;
  try {
    objects = renderDeployRbac(args.namespaces);
  } catch (err) {
    throw new pulumi.ResourceError(err instanceof Error ? err.message : String(err), parent);
  }
  const opts: pulumi.CustomResourceOptions = { parent, dependsOn: args.dependsOn ?? [] };
  const ns = new k8s.core.v1.Namespace(`${name}-ns`, { metadata: objects[0].metadata }, opts);
  const inNs = { ...opts, dependsOn: [...(args.dependsOn ?? []), ns] };
  const sa = new k8s.core.v1.ServiceAccount(
    `${name}-sa`,
    { metadata: objects[1].metadata, automountServiceAccountToken: false },
    inNs,
  );
  for (const o of objects.slice(2)) {
    const id = `${name}-${o.kind.toLowerCase()}-${o.metadata.namespace}`;
    if (o.kind === "Role") {
      new k8s.rbac.v1.Role(
        id,
        { metadata: o.metadata, rules: o.rules as k8s.types.input.rbac.v1.PolicyRule[] },
        opts,
      );
    } else {
      new k8s.rbac.v1.RoleBinding(
        id,
        {
          metadata: o.metadata,
          roleRef: o.roleRef as k8s.types.input.rbac.v1.RoleRef,
          subjects: o.subjects as k8s.types.input.rbac.v1.Subject[],
        },
        { ...opts, dependsOn: [...(args.dependsOn ?? []), sa] },
      );
    }
  }
  const tokenObj = deployTokenSecret();
  const token = new k8s.core.v1.Secret(
    `${name}-token`,
    { metadata: tokenObj.metadata, type: tokenObj.type as string },
    { ...inNs, dependsOn: [sa], additionalSecretOutputs: ["data"] },
  );
  registerArtifact("k8s/deploy-identity.yaml", toYamlStream([...objects, tokenObj]));

  // The token controller fills data.token after the Secret exists; until then (and under
  // the mock engine) there is no deploy kubeconfig and Jenkins leaves the site's credential out.
  return pulumi.secret(
    pulumi.all([token.data, args.adminKubeconfig, args.clusterName]).apply(([data, admin, clusterName]) => {
      const t = data?.token;
      if (!t) return undefined;
      const { server, caData } = clusterOfKubeconfig(parse(admin));
      return renderDeployKubeconfig({
        server,
        caData,
        token: Buffer.from(t, "base64").toString("utf8"),
        clusterName,
      });
    }),
  );
}

export { DEPLOY_NAMESPACE };
