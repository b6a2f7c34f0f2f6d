import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { registerArtifact } from "../../src/artifacts";
import { toYamlStream } from "../../src/yaml";
import {
  KEYCLOAK_BOOTSTRAP_SECRET,
  KEYCLOAK_DB_SECRET,
  KEYCLOAK_NAMESPACE,
  KEYCLOAK_REALM_SECRET,
  KeycloakInput,
  keycloakObjects,
  keycloakRealm,
} from "./render/keycloak";

export interface KeycloakArgs extends KeycloakInput {
  /** the database role's password (Pulumi secret; the database side creates the role) */
  databasePassword: pulumi.Input<string>;
  /** client secrets the realm import registers (Pulumi secrets, the same the products use) */
  clientSecrets: {
    grafana: pulumi.Input<string>;
    kiali: pulumi.Input<string>;
    jenkins?: pulumi.Input<string>;
  };
  dependsOn?: pulumi.Resource[];
}

/**
 * Keycloak in namespace jsp-auth, on the cross-site PostgreSQL (one realm for every cluster
 * and both sites), with the platform realm imported at first start. Its bootstrap admin is a
 * generated password (stack output, break-glass); people log in through the realm's groups.
 */
export class Keycloak extends pulumi.ComponentResource {
  public readonly issuerUrl: string;
  /** the bootstrap admin password (secret) */
  public readonly bootstrapAdminPassword: pulumi.Output<string>;

  constructor(name: string, args: KeycloakArgs, opts?: pulumi.ComponentResourceOptions) {
    super("jetstream:sso:Keycloak", name, {}, opts);
    const r = createKeycloak(name, args, this);
    this.issuerUrl = `https://${args.hostname}/realms/${args.realm}`;
    this.bootstrapAdminPassword = r.password;
    this.registerOutputs({ issuerUrl: this.issuerUrl, bootstrapAdminPassword: this.bootstrapAdminPassword });
  }
}

/** @internal */
function createKeycloak(name: string, args: KeycloakArgs, parent: pulumi.Resource) {
  const objects = keycloakObjects(args);
  const after = args.dependsOn ?? [];
  const opts: pulumi.CustomResourceOptions = { parent };
  const [nsObj, deployment, ...services] = objects;
  const ns = new k8s.core.v1.Namespace(
    `${name}-ns`,
    { metadata: nsObj.metadata },
    { ...opts, dependsOn: after },
  );
  const withNs: pulumi.CustomResourceOptions = { ...opts, dependsOn: [ns] };
  const pw = new random.RandomPassword(`${name}-bootstrap-admin`, { length: 32, special: false }, opts);
  const secret = (
    key: string,
    secretName: string,
    data: pulumi.Input<Record<string, pulumi.Input<string>>>,
  ) =>
    new k8s.core.v1.Secret(
      `${name}-${key}`,
      { metadata: { name: secretName, namespace: KEYCLOAK_NAMESPACE }, type: "Opaque", stringData: data },
      { ...withNs, additionalSecretOutputs: ["data", "stringData"] },
    );
  const s = args.clientSecrets;
  const realmJson = pulumi
    .all([s.grafana, s.kiali, s.jenkins ?? ""])
    .apply(([grafana, kiali, jenkins]) =>
      JSON.stringify(
        keycloakRealm(args, { grafana, kiali, jenkins: s.jenkins ? jenkins : undefined }),
        null,
        2,
      ),
    );
  const secrets = [
    secret("db", KEYCLOAK_DB_SECRET, { password: pulumi.secret(args.databasePassword) }),
    secret("realm", KEYCLOAK_REALM_SECRET, { [`${args.realm}-realm.json`]: pulumi.secret(realmJson) }),
    secret("bootstrap", KEYCLOAK_BOOTSTRAP_SECRET, {
      username: "bootstrap-admin",
      password: pulumi.secret(pw.result),
    }),
  ];
  const { apiVersion: _a, kind: _k, metadata, ...deploymentBody } = deployment;
  new k8s.apps.v1.Deployment(
    `${name}-deployment`,
    { metadata, ...(deploymentBody as Record<string, unknown>) } as k8s.apps.v1.DeploymentArgs,
    { ...opts, dependsOn: [ns, ...secrets] },
  );
  for (const svc of services) {
    const { apiVersion: _sa, kind: _sk, metadata: md, ...body } = svc;
    new k8s.core.v1.Service(
      `${name}-svc-${md.name}`,
      { metadata: md, ...(body as Record<string, unknown>) },
      withNs,
    );
  }
  registerArtifact("k8s/keycloak.yaml", toYamlStream(objects));
  registerArtifact(
    "k8s/keycloak-realm.json",
    `${JSON.stringify(keycloakRealm(args, { grafana: "<ssoGrafanaClientSecret>", kiali: "<ssoKialiClientSecret>", jenkins: s.jenkins ? "<ssoJenkinsClientSecret>" : undefined }), null, 2)}\n`,
  );
  return { password: pulumi.secret(pw.result) };
}
