export { KubesprayCluster } from "./kubespray-cluster";
export { SlotConfigContainer } from "./slot-config-container";
export type { SlotConfigContainerArgs, SlotConfigFile } from "./slot-config-container";
export type {
  KubesprayClusterArgs,
  KubesprayClusterNetworkArgs,
  KubesprayNodePoolArgs,
  KubesprayWorkerPoolArgs,
} from "./kubespray-cluster";
export { KUBESPRAY, SUPPORTED_KUBERNETES_VERSIONS, NODE_MINIMUMS } from "../../src/kubespray";
export { renderNodeCloudInit, NODE_KERNEL_MODULES, NODE_SYSCTLS } from "./render/node-cloud-init";
export type { NodeCloudInitInput, NodeRole } from "./render/node-cloud-init";
export { renderInventory } from "./render/inventory";
export type { InventoryHost, InventoryInput } from "./render/inventory";
export { renderGroupVars } from "./render/group-vars";
export type { GroupVarsInput, GroupVarsFiles } from "./render/group-vars";
export {
  renderRunnerScript,
  renderUploadScript,
  renderWaitPlaybook,
  stepCommand,
  RUNNER_STEPS,
  STEPS_NEEDING_KEY,
} from "./render/runner";
export type { RunnerInput, RunnerStep } from "./render/runner";
export { rewriteKubeconfigServer } from "./render/kubeconfig";
