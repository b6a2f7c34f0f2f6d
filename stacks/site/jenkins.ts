// The Jenkins controller of a site stack (IU by default), from the `jenkins` and `sso` config
// sections: its agent VMs, the deploy identities of the cluster stacks as credentials, and
// single sign-on when `sso` is set.
import * as pulumi from "@pulumi/pulumi";
import type { SiteConfig } from "../../components/config";
import { issuerUrl } from "../../components/config/sso";
import { JenkinsHost } from "../../components/jenkins";
import type { SiteNetwork } from "../../components/network";
import { settingsFor } from "../../components/sso";

/** Declares the controller when `jenkins.enabled` (default: at IU only); undefined otherwise. */
export function deployJenkins(config: SiteConfig, shell: SiteNetwork): JenkinsHost | undefined {
  const j = config.jenkins;
  if (!(j.enabled ?? config.site === "iu")) return undefined;
  // Each cluster stack exports its deploy identity's kubeconfig as a secret; getOutput keeps
  // it secret. A stack that is not up yet has no outputs: JenkinsHost warns and leaves it out.
  const deployTargets = j.deployTargets.map((t) => {
    const ref = new pulumi.StackReference(`jenkins-${t.site}-cluster`, { name: t.stack });
    return {
      site: t.site,
      kubeconfig: ref.getOutput(j.deployKubeconfigOutput) as pulumi.Output<string | undefined>,
    };
  });
  if (j.pipelines.length > 0 && j.agents.length === 0 && j.agentPool.count === 0) {
    pulumi.log.warn(
      "jenkins: pipelines are configured but no agents: the controller runs no builds (numExecutors 0), " +
        "so runs wait until an agent with the pipeline's label exists (jenkins.agentPool or jenkins.agents)",
    );
  }
  const sso = config.sso;
  return new JenkinsHost(`${config.site}-jenkins`, {
    site: config.site,
    networkId: shell.networkId,
    subnetId: shell.subnetId,
    bastionSecurityGroupId: shell.securityGroupIds.apply((ids) => ids.bastion),
    adminCidrs: config.adminCidrs,
    keypairName: shell.keypairName,
    image: j.image ?? config.image,
    flavor: j.flavor,
    version: j.version,
    externalNetwork: shell.externalNetwork,
    floatingIp: j.floatingIp,
    deployTargets,
    pipelines: j.pipelines,
    agentPool: { ...j.agentPool, image: j.agentPool.image ?? j.image ?? config.image },
    agents: j.agents,
    pluginManager: j.pluginManager,
    sso:
      sso && config.ssoJenkinsClientSecret !== undefined
        ? {
            settings: settingsFor({ ...sso, issuerUrl: issuerUrl(sso) }),
            clientId: sso.jenkins.clientId,
            clientSecret: pulumi.secret(config.ssoJenkinsClientSecret),
          }
        : undefined,
    registryAuth:
      config.jenkinsRegistryAuth === undefined ? undefined : pulumi.secret(config.jenkinsRegistryAuth),
  });
}
