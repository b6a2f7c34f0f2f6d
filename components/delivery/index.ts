export { DeployIdentity } from "./deploy-identity";
export type { DeployIdentityArgs } from "./deploy-identity";
export { KubeMonkey } from "./kube-monkey";
export type { KubeMonkeyArgs } from "./kube-monkey";
export {
  DEPLOY_NAMESPACE,
  DEPLOY_ROLE,
  DEPLOY_RULES,
  DEPLOY_SERVICE_ACCOUNT,
  DEPLOY_TOKEN_SECRET,
  FORBIDDEN_DEPLOY_NAMESPACES,
  clusterOfKubeconfig,
  deployTokenSecret,
  renderDeployKubeconfig,
  renderDeployRbac,
} from "./render/deploy-rbac";
export type { RbacObject, RbacRule, DeployKubeconfigInput } from "./render/deploy-rbac";
export {
  CHAOS_NAMESPACE,
  KUBE_MONKEY_CHART,
  KUBE_MONKEY_LABELS,
  chaosLabels,
  kubeMonkeyValues,
} from "./render/chaos";
export {
  LOADTEST_AGENT_PATH,
  LOADTEST_LOADTESTER_DIR,
  LOADTEST_SCRIPT_NAME,
  loadTestArgs,
  renderLoadTestScript,
  shQuote,
} from "./render/loadtest";
export type { LoadTestTarget } from "./render/loadtest";
