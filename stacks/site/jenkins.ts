// The Jenkins controller of a site stack (IU by default), from the `jenkins` config section.
import * as pulumi from "@pulumi/pulumi";
import type { SiteConfig } from "../../components/config";
import { JenkinsHost } from "../../components/jenkins";
import type { SiteNetwork } from "../../components/network";

/** Declares the controller when `jenkins.enabled` (default: at IU only); undefined otherwise. */
export function deployJenkins(config: SiteConfig, shell: SiteNetwork): JenkinsHost | undefined {
  const j = config.jenkins;
  if (!(j.enabled ?? config.site === "iu")) return undefined;
  // Each cluster stack exports `kubeconfig` as a secret; getOutput keeps it secret. A stack
  // that is not up yet has no outputs: JenkinsHost warns and leaves its credential out.
  const deployTargets = j.deployTargets.map((t) => {
    const ref = new pulumi.StackReference(`jenkins-${t.site}-cluster`, { name: t.stack });
    return { site: t.site, kubeconfig: ref.getOutput("kubeconfig") as pulumi.Output<string | undefined> };
  });
  if (j.pipelines.length > 0 && j.agents.length === 0) {
    pulumi.log.warn(
      "jenkins: pipelines are configured but no agents: the controller runs no builds (numExecutors 0), " +
        "so runs wait until an SSH agent with the pipeline's label is added (jenkins.agents)",
    );
  }
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
    agents: j.agents,
    pluginManager: j.pluginManager,
  });
}
