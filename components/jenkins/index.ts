export { JenkinsHost } from "./jenkins-host";
export type { JenkinsHostArgs, JenkinsDeployTarget, JenkinsPipelineArgs } from "./jenkins-host";
export {
  renderJenkinsCasc,
  kubeconfigFile,
  ADMIN_PASSWORD_FILE,
  agentCredentialId,
  AGENT_KEY_FILE,
  CASC_FILE,
  SECRETS_DIR,
  SEED_JOBS_FILE,
} from "./render/casc";
export type { CascAgent, CascInput, CascKubeconfig } from "./render/casc";
export {
  JENKINS_APT,
  NOVA_USER_DATA_LIMIT,
  userDataBase64Size,
  renderJenkinsCloudInit,
  renderJenkinsInstallScript,
  renderJenkinsNginx,
  renderJenkinsSystemdDropIn,
} from "./render/cloud-init";
export type { JenkinsCloudInitInput, JenkinsSecretFile } from "./render/cloud-init";
export {
  deployedVar,
  groovyTripleQuoted,
  kubeconfigCredentialId,
  renderDeployPipeline,
  renderSeedJobs,
} from "./render/pipeline";
export type { DeploySite, PipelineInput, SeedJob } from "./render/pipeline";
export { PLUGIN_PINS, renderPluginsTxt } from "./render/plugins";
export type { PluginPin } from "./render/plugins";
