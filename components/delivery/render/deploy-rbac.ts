// The deploy identity of a cluster: one ServiceAccount (namespace jsp-deploy) that the release
// pipeline uses instead of Kubespray's admin.conf, with a Role + RoleBinding in each
// application namespace granting only what the pipeline does there (read and patch
// Deployments, Services, ConfigMaps, Flagger Canaries and Istio VirtualServices). Nothing is
// cluster-wide: no ClusterRole, no ClusterRoleBinding, no Secrets, no Pods, no RBAC objects, so
// the token cannot read another namespace, kube-system or its own token.
import { toYaml } from "../../../src/yaml";

export const DEPLOY_NAMESPACE = "jsp-deploy";
export const DEPLOY_SERVICE_ACCOUNT = "jenkins-deploy";
export const DEPLOY_TOKEN_SECRET = "jenkins-deploy-token";
export const DEPLOY_ROLE = "jsp-deploy";

export interface RbacRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

export type RbacObject = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [k: string]: unknown;
};

const READ = ["get", "list", "watch"];
const LABELS = {
  "app.kubernetes.io/managed-by": "pulumi",
  "app.kubernetes.io/part-of": "jetstream-paas-deploy",
};

/**
 * What the pipeline does, verb by verb (components/jenkins/render/pipeline.ts):
 * `kubectl get` (preflight, the active colour), `kubectl set image` (GET + PATCH),
 * `kubectl rollout status` (LIST + WATCH), Flagger canaries (a new pod template is a patch of the
 * Deployment; promotion state is read from the Canary), config next to the app (ConfigMaps).
 */
export const DEPLOY_RULES: readonly RbacRule[] = [
  { apiGroups: ["apps"], resources: ["deployments"], verbs: [...READ, "patch", "update"] },
  { apiGroups: [""], resources: ["services"], verbs: [...READ, "patch"] },
  { apiGroups: [""], resources: ["configmaps"], verbs: [...READ, "create", "patch", "update"] },
  { apiGroups: ["flagger.app"], resources: ["canaries"], verbs: [...READ, "patch", "update"] },
  { apiGroups: ["networking.istio.io"], resources: ["virtualservices"], verbs: [...READ, "patch"] },
];

/** Namespaces a deploy identity may never be bound in. */
export const FORBIDDEN_DEPLOY_NAMESPACES = [
  "kube-system",
  "kube-public",
  "kube-node-lease",
  DEPLOY_NAMESPACE,
];

export function renderDeployRbac(namespaces: readonly string[]): RbacObject[] {
  const sorted = [...new Set(namespaces)].sort();
  for (const ns of sorted) {
    if (FORBIDDEN_DEPLOY_NAMESPACES.includes(ns))
      throw new Error(`deploy identity: namespace ${ns} is never an application namespace`);
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(ns))
      throw new Error(`deploy identity: "${ns}" is not a namespace name`);
  }
  const objects: RbacObject[] = [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: DEPLOY_NAMESPACE, labels: { ...LABELS } } },
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name: DEPLOY_SERVICE_ACCOUNT, namespace: DEPLOY_NAMESPACE, labels: { ...LABELS } },
      // the token is mounted nowhere: it leaves the cluster only as the Jenkins credential
      automountServiceAccountToken: false,
    },
  ];
  for (const ns of sorted) {
    objects.push(
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "Role",
        metadata: { name: DEPLOY_ROLE, namespace: ns, labels: { ...LABELS } },
        rules: DEPLOY_RULES.map((r) => ({
          ...r,
          apiGroups: [...r.apiGroups],
          resources: [...r.resources],
          verbs: [...r.verbs],
        })),
      },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name: DEPLOY_ROLE, namespace: ns, labels: { ...LABELS } },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: DEPLOY_ROLE },
        subjects: [{ kind: "ServiceAccount", name: DEPLOY_SERVICE_ACCOUNT, namespace: DEPLOY_NAMESPACE }],
      },
    );
  }
  return objects;
}

/** The long-lived token Secret the token controller fills (type kubernetes.io/service-account-token). */
export function deployTokenSecret(): RbacObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: DEPLOY_TOKEN_SECRET,
      namespace: DEPLOY_NAMESPACE,
      labels: { ...LABELS },
      annotations: { "kubernetes.io/service-account.name": DEPLOY_SERVICE_ACCOUNT },
    },
    type: "kubernetes.io/service-account-token",
  };
}

export interface DeployKubeconfigInput {
  /** https://<api>:6443 */
  server: string;
  /** base64 PEM of the cluster CA */
  caData: string;
  token: string;
  clusterName: string;
}

/** A kubeconfig that authenticates as the deploy identity (token), nothing else. */
export function renderDeployKubeconfig(i: DeployKubeconfigInput): string {
  if (!/^https:\/\//.test(i.server)) throw new Error(`deploy kubeconfig: server "${i.server}" must be https`);
  const user = `${DEPLOY_SERVICE_ACCOUNT}@${i.clusterName}`;
  return toYaml(
    {
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        { name: i.clusterName, cluster: { server: i.server, "certificate-authority-data": i.caData } },
      ],
      users: [{ name: user, user: { token: i.token } }],
      contexts: [{ name: user, context: { cluster: i.clusterName, user } }],
      "current-context": user,
    },
    { sortKeys: false },
  );
}

/** server and CA of a (Kubespray admin) kubeconfig, to build the deploy kubeconfig beside it. */
export function clusterOfKubeconfig(doc: unknown): { server: string; caData: string } {
  const clusters = (doc as { clusters?: Array<{ cluster?: Record<string, unknown> }> })?.clusters ?? [];
  const c = clusters[0]?.cluster ?? {};
  if (typeof c.server !== "string" || typeof c["certificate-authority-data"] !== "string")
    throw new Error("kubeconfig has no cluster with server and certificate-authority-data");
  return { server: c.server, caData: c["certificate-authority-data"] };
}
