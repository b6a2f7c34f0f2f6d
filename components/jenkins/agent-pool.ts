// @internal The build agents of a JenkinsHost: VMs on the site network, SSH reachable only from
// the controller (and the bastion, for operators), each with a host key the stack generates so
// the controller's JCasC pins it. Children of the JenkinsHost component.
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { registerArtifact } from "../../src/artifacts";
import { AGENT_USER, renderAgentCloudInit, renderAgentInstallScript } from "./render/agent-cloud-init";
import type { CascAgent } from "./render/casc";

/** Agent VMs a JenkinsHost creates and registers. */
export interface JenkinsAgentPoolArgs {
  /** @default 2 */
  count: number;
  /** @default "m3.medium" */
  flavor: string;
  image: string;
  /** @default 2 */
  executors: number;
  /** @default ["build"] */
  labels: string[];
}

export interface AgentPoolContext {
  site: string;
  networkId: pulumi.Input<string>;
  subnetId: pulumi.Input<string>;
  keypairName: pulumi.Input<string>;
  bastionSecurityGroupId: pulumi.Input<string>;
  /** the controller's security group: the only other SSH source */
  controllerSecurityGroupId: pulumi.Input<string>;
  /** the controller's public key (authorized for the jenkins user) */
  controllerPublicKey: pulumi.Input<string>;
}

/** Creates the pool; returns one JCasC agent per VM (address and pinned host key as outputs). */
export function createAgentPool(
  name: string,
  pool: JenkinsAgentPoolArgs,
  ctx: AgentPoolContext,
  parent: pulumi.Resource,
): pulumi.Output<CascAgent>[] {
  if (pool.count === 0) return [];
  const opts: pulumi.CustomResourceOptions = { parent };
  const sg = new openstack.networking.SecGroup(
    `${name}-agents-sg`,
    {
      name: `${ctx.site}-jenkins-agents`,
      description: `jetstream-paas ${ctx.site}: Jenkins agents (SSH from the controller and the bastion only)`,
      deleteDefaultRules: false,
    },
    opts,
  );
  for (const [key, group] of [
    ["controller", ctx.controllerSecurityGroupId],
    ["bastion", ctx.bastionSecurityGroupId],
  ] as const) {
    new openstack.networking.SecGroupRule(
      `${name}-agents-ssh-${key}`,
      {
        securityGroupId: sg.id,
        description: `SSH to the Jenkins agents from the ${key}`,
        direction: "ingress",
        ethertype: "IPv4",
        protocol: "tcp",
        portRangeMin: 22,
        portRangeMax: 22,
        remoteGroupId: group,
      },
      opts,
    );
  }
  const group = new openstack.compute.ServerGroup(
    `${name}-agents-group`,
    { name: `${ctx.site}-jenkins-agents`, policies: ["soft-anti-affinity"] },
    opts,
  );
  registerArtifact("jenkins/agent-install.sh", renderAgentInstallScript());
  const agents: pulumi.Output<CascAgent>[] = [];
  for (let i = 1; i <= pool.count; i++) {
    const hostname = `${ctx.site}-jenkins-agent-${i}`;
    const hostKey = new tls.PrivateKey(`${name}-agent-${i}-host-key`, { algorithm: "ED25519" }, opts);
    const port = new openstack.networking.Port(
      `${name}-agent-${i}-port`,
      {
        name: `${hostname}-port`,
        networkId: ctx.networkId,
        fixedIps: [{ subnetId: ctx.subnetId }],
        securityGroupIds: [sg.id],
        adminStateUp: true,
      },
      opts,
    );
    const input = (priv: string, pub: string, ctrl: string) => ({
      hostname,
      controllerPublicKey: ctrl,
      hostKey: { privateKey: priv, publicKey: pub },
    });
    const userData = pulumi.secret(
      pulumi
        .all([hostKey.privateKeyOpenssh, hostKey.publicKeyOpenssh, ctx.controllerPublicKey])
        .apply(([priv, pub, ctrl]) => renderAgentCloudInit(input(priv, pub, ctrl))),
    );
    new openstack.compute.Instance(
      `${name}-agent-${i}-vm`,
      {
        name: hostname,
        imageName: pool.image,
        flavorName: pool.flavor,
        keyPair: ctx.keypairName,
        networks: [{ port: port.id }],
        schedulerHints: [{ group: group.id }],
        userData,
        metadata: { "jetstream-paas/role": "jenkins-agent", "jetstream-paas/site": ctx.site },
      },
      opts,
    );
    // the artifact shows the user data with the host private key replaced
    registerArtifact(
      `cloud-init/${hostname}.yaml`,
      pulumi
        .all([hostKey.publicKeyOpenssh, ctx.controllerPublicKey])
        .apply(([pub, ctrl]) =>
          renderAgentCloudInit(
            input("(secret: the stack's tls.PrivateKey, delivered in user data)", pub, ctrl),
          ),
        ),
    );
    agents.push(
      pulumi.all([port.allFixedIps, hostKey.publicKeyOpenssh]).apply(([ips, pub]) => ({
        name: hostname,
        host: ips[0],
        port: 22,
        user: AGENT_USER,
        labels: [...pool.labels],
        executors: pool.executors,
        hostKey: pub.trim(),
      })),
    );
  }
  return agents;
}
