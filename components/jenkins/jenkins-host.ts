import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import { registerArtifact } from "../../src/artifacts";
import type { SsoSettings } from "../sso/render/oidc";
import { createAgentPool, JenkinsAgentPoolArgs } from "./agent-pool";
import {
  ADMIN_PASSWORD_FILE,
  AGENT_KEY_FILE,
  CascAgent,
  kubeconfigFile,
  OIDC_SECRET_FILE,
  REGISTRY_AUTH_FILE,
  REGISTRY_CREDENTIAL_ID,
  renderJenkinsCasc,
} from "./render/casc";
import {
  JenkinsSecretFile,
  renderJenkinsCloudInit,
  renderJenkinsInstallScript,
  renderJenkinsNginx,
} from "./render/cloud-init";
import {
  kubeconfigCredentialId,
  PipelineLoadTest,
  renderDeployPipeline,
  renderSeedJobs,
} from "./render/pipeline";
import { renderPluginsTxt } from "./render/plugins";

/** A cluster the pipelines deploy to, in order; its deploy kubeconfig becomes a Jenkins file credential. */
export interface JenkinsDeployTarget {
  site: string;
  /**
   * the cluster stack's `deployKubeconfig` output (the least-privilege deploy identity, never
   * admin.conf); undefined while that stack has none
   */
  kubeconfig: pulumi.Input<string | undefined>;
}

export interface JenkinsPipelineArgs {
  app: string;
  gitUrl: string;
  /** @default "main" */
  branch?: string;
  gitCredentialsId?: string;
  imageRepository: string;
  /** @default "default" */
  namespace?: string;
  /** @default "build" */
  agentLabel?: string;
  /** load stage after each site with a URL (jsp-loadtest; thresholds fail the run) */
  loadTest?: PipelineLoadTest;
}

export interface JenkinsHostArgs {
  /** site the controller lives in ("iu"); prefix of its cloud names */
  site: string;
  networkId: pulumi.Input<string>;
  subnetId: pulumi.Input<string>;
  /** the site's bastion security group: the only source allowed to SSH in */
  bastionSecurityGroupId: pulumi.Input<string>;
  /** CIDRs allowed to the web UI (HTTPS); never 0.0.0.0/0 */
  adminCidrs: string[];
  keypairName: pulumi.Input<string>;
  image: string;
  /** @default "m3.small" */
  flavor?: string;
  /** Jenkins LTS package version @default "2.568.2" */
  version?: string;
  /** @default "public" */
  externalNetwork?: string;
  /** give the UI a floating IP @default true */
  floatingIp?: boolean;
  /** in deploy order: the pipeline deploys the first site first */
  deployTargets: JenkinsDeployTarget[];
  pipelines?: JenkinsPipelineArgs[];
  /** agent VMs this component creates, registered with pinned host keys @default none */
  agentPool?: JenkinsAgentPoolArgs;
  /** SSH build agents run elsewhere (host key trusted once by an admin); the controller runs no builds */
  agents?: CascAgent[];
  /** OpenID Connect login (groups -> roles); the local admin becomes break-glass only */
  sso?: { settings: SsoSettings; clientId: string; clientSecret: pulumi.Input<string> };
  /** containers-auth.json for the registry push (secret); becomes credential `registry-auth` */
  registryAuth?: pulumi.Input<string>;
  /** @default { version: "2.14.0" } */
  pluginManager?: { version: string; sha256?: string };
}

/**
 * The Jenkins controller as code: a VM on the site network whose cloud-init installs a pinned
 * Jenkins LTS with pinned plugins, configured entirely by JCasC (admin from a generated
 * secret, no anonymous access, CSRF on, no builds on the controller, both sites' kubeconfigs
 * as file credentials) and seeded with one release pipeline per app.
 */
export class JenkinsHost extends pulumi.ComponentResource {
  /** https URL of the UI (through nginx) */
  public readonly url: pulumi.Output<string>;
  /** floating IP (or fixed IP without one): add it to the other site's adminCidrs for its API */
  public readonly address: pulumi.Output<string>;
  public readonly fixedIp: pulumi.Output<string>;
  public readonly adminUser: pulumi.Output<string>;
  /** secret */
  public readonly adminPassword: pulumi.Output<string>;
  /** authorized_keys line for the SSH agents; undefined without agents */
  public readonly agentPublicKey: pulumi.Output<string | undefined>;
  public readonly securityGroupId: pulumi.Output<string>;
  /** the rendered jenkins.yaml (no secret in it) */
  public readonly casc: pulumi.Output<string>;
  /** sites whose kubeconfig was available and became a credential */
  public readonly credentialSites: pulumi.Output<string[]>;
  /** fixed IPs of the agent VMs (their egress must reach both sites' API servers) */
  public readonly agentAddresses: pulumi.Output<string[]>;

  constructor(name: string, args: JenkinsHostArgs, opts?: pulumi.ComponentResourceOptions) {
    // secrets (OIDC client secret, registry auth) stay out of the component's own inputs
    const { sso, registryAuth, ...plainArgs } = args;
    super(
      "jetstream:jenkins:JenkinsHost",
      name,
      {
        ...plainArgs,
        sso: sso ? { settings: sso.settings, clientId: sso.clientId } : undefined,
        registryAuth: registryAuth ? "(secret)" : undefined,
      },
      opts,
    );
    const r = createJenkinsHost(name, args, this);
    this.url = r.url;
    this.address = r.address;
    this.fixedIp = r.fixedIp;
    this.adminUser = r.adminUser;
    this.adminPassword = r.adminPassword;
    this.agentPublicKey = r.agentPublicKey;
    this.securityGroupId = r.securityGroupId;
    this.casc = r.casc;
    this.credentialSites = r.credentialSites;
    this.agentAddresses = r.agentAddresses;
    this.registerOutputs({
      agentAddresses: this.agentAddresses,
      url: this.url,
      address: this.address,
      fixedIp: this.fixedIp,
      adminUser: this.adminUser,
      adminPassword: this.adminPassword,
      agentPublicKey: this.agentPublicKey,
      securityGroupId: this.securityGroupId,
      casc: this.casc,
      credentialSites: this.credentialSites,
    });
  }
}

function cidrKey(cidr: string): string {
  return cidr.replace(/[./]/g, "-");
}

/** @internal */
function createJenkinsHost(name: string, args: JenkinsHostArgs, parent: pulumi.Resource) {
  const opts: pulumi.CustomResourceOptions = { parent };
  const fail = (msg: string) => new pulumi.ResourceError(msg, parent);
  if (args.adminCidrs.length === 0)
    throw fail("adminCidrs must list at least one CIDR (the web UI is for admins)");
  for (const c of args.adminCidrs) {
    if (/\/[0-7]$/.test(c)) throw fail(`adminCidrs entry ${c} opens the Jenkins UI to the world`);
  }
  if (args.deployTargets.length === 0) throw fail("deployTargets must list at least one site");
  const sites = args.deployTargets.map((t) => t.site);
  if (new Set(sites).size !== sites.length)
    throw fail(`deployTargets lists a site twice: ${sites.join(", ")}`);
  const agents = args.agents ?? [];
  const pipelines = (args.pipelines ?? []).map((p) => ({
    app: p.app,
    gitUrl: p.gitUrl,
    branch: p.branch ?? "main",
    gitCredentialsId: p.gitCredentialsId,
    imageRepository: p.imageRepository,
    namespace: p.namespace ?? "default",
    agentLabel: p.agentLabel ?? "build",
    sites: args.deployTargets.map((t) => ({ site: t.site, credentialsId: kubeconfigCredentialId(t.site) })),
    loadTest: p.loadTest,
    registryCredentialsId: args.registryAuth !== undefined ? REGISTRY_CREDENTIAL_ID : undefined,
  }));
  const hostname = `${args.site}-jenkins`;
  const version = args.version ?? "2.568.2";
  const pluginManager = args.pluginManager ?? { version: "2.14.0" };
  const adminUser = "admin";

  // Pure parts first: a bad pipeline or agent fails here, before any resource is declared.
  let jenkinsfiles: Array<{ app: string; text: string }>;
  let seedJobs: string | undefined;
  let plugins: string;
  try {
    jenkinsfiles = pipelines.map((p) => ({ app: p.app, text: renderDeployPipeline(p) }));
    seedJobs =
      jenkinsfiles.length > 0
        ? renderSeedJobs(jenkinsfiles.map((j) => ({ app: j.app, sites, jenkinsfile: j.text })))
        : undefined;
    plugins = renderPluginsTxt();
  } catch (err) {
    throw fail(err instanceof Error ? err.message : String(err));
  }

  const password = new random.RandomPassword(
    `${name}-admin-password`,
    { length: 32, special: false, minLower: 4, minUpper: 4, minNumeric: 4 },
    opts,
  );
  const poolCount = args.agentPool?.count ?? 0;
  const agentKey =
    agents.length > 0 || poolCount > 0
      ? new tls.PrivateKey(`${name}-agent-key`, { algorithm: "ED25519" }, opts)
      : undefined;

  const sg = new openstack.networking.SecGroup(
    `${name}-sg`,
    {
      name: hostname,
      description: `jetstream-paas ${args.site}: Jenkins controller (HTTPS from admins, SSH via bastion)`,
      deleteDefaultRules: false,
    },
    opts,
  );
  for (const cidr of [...args.adminCidrs].sort()) {
    new openstack.networking.SecGroupRule(
      `${name}-https-admin-${cidrKey(cidr)}`,
      {
        securityGroupId: sg.id,
        description: `Jenkins UI (HTTPS) from admin network ${cidr}`,
        direction: "ingress",
        ethertype: "IPv4",
        protocol: "tcp",
        portRangeMin: 443,
        portRangeMax: 443,
        remoteIpPrefix: cidr,
      },
      opts,
    );
  }
  new openstack.networking.SecGroupRule(
    `${name}-ssh-bastion`,
    {
      securityGroupId: sg.id,
      description: "SSH to the Jenkins controller only through the bastion",
      direction: "ingress",
      ethertype: "IPv4",
      protocol: "tcp",
      portRangeMin: 22,
      portRangeMax: 22,
      remoteGroupId: args.bastionSecurityGroupId,
    },
    opts,
  );

  const port = new openstack.networking.Port(
    `${name}-port`,
    {
      name: `${hostname}-port`,
      networkId: args.networkId,
      fixedIps: [{ subnetId: args.subnetId }],
      securityGroupIds: [sg.id],
      adminStateUp: true,
    },
    opts,
  );
  const fixedIp = port.allFixedIps.apply((ips) => ips[0]);
  const fip =
    args.floatingIp === false
      ? undefined
      : new openstack.networking.FloatingIp(
          `${name}-fip`,
          { pool: args.externalNetwork ?? "public", description: `${hostname} web UI` },
          opts,
        );
  const address = fip ? fip.address : fixedIp;
  const url = pulumi.interpolate`https://${address}/`;

  // Which kubeconfigs exist is not secret, their content is: presence is unwrapped so the
  // rendered jenkins.yaml stays a plain, reviewable output.
  const kubeconfigs = args.deployTargets.map((t) => pulumi.secret(pulumi.output(t.kubeconfig)));
  const credentialSites = pulumi.unsecret(
    pulumi.all(kubeconfigs).apply((kcs) => {
      const present: string[] = [];
      kcs.forEach((k, i) => {
        const site = args.deployTargets[i].site;
        if (typeof k === "string" && k.trim().length > 0) present.push(site);
        else {
          pulumi.log.warn(
            `jenkins: no kubeconfig output for site ${site} yet (cluster stack not up?); ` +
              `credential ${kubeconfigCredentialId(site)} left out, and the pipelines' preflight will stop before deploying anywhere`,
            parent,
          );
        }
      });
      return present;
    }),
  );
  const poolAgents =
    args.agentPool && agentKey
      ? createAgentPool(
          name,
          args.agentPool,
          {
            site: args.site,
            networkId: args.networkId,
            subnetId: args.subnetId,
            keypairName: args.keypairName,
            bastionSecurityGroupId: args.bastionSecurityGroupId,
            controllerSecurityGroupId: sg.id,
            controllerPublicKey: agentKey.publicKeyOpenssh,
          },
          parent,
        )
      : [];
  const casc = pulumi.all([url, credentialSites, pulumi.all(poolAgents)]).apply(([u, present, pool]) =>
    renderJenkinsCasc({
      url: u,
      adminUser,
      kubeconfigs: present.map((site) => ({ site, credentialsId: kubeconfigCredentialId(site) })),
      agents: [...pool, ...agents],
      seedJobs: seedJobs !== undefined,
      systemMessage: `jetstream-paas ${args.site}: configured as code (JCasC). Changes made here are lost at the next apply.`,
      sso: args.sso ? { settings: args.sso.settings, clientId: args.sso.clientId } : undefined,
      registryAuth: args.registryAuth !== undefined,
    }),
  );

  const baseInput = (publicAddress: string | undefined, cascText: string, secrets: JenkinsSecretFile[]) => ({
    hostname,
    version,
    publicAddress,
    pluginManager,
    casc: cascText,
    plugins,
    seedJobs,
    secrets,
  });
  const publicAddress = fip ? fip.address : pulumi.output(undefined as string | undefined);
  const userData = pulumi.secret(
    pulumi
      .all([
        publicAddress,
        casc,
        password.result,
        agentKey ? agentKey.privateKeyOpenssh : "",
        pulumi.all(kubeconfigs),
        args.sso ? args.sso.clientSecret : "",
        args.registryAuth ?? "",
      ])
      .apply(([addr, cascText, pw, key, kcs, oidcSecret, registryAuth]) => {
        const secrets: JenkinsSecretFile[] = [{ path: ADMIN_PASSWORD_FILE, content: pw }];
        if (agentKey) secrets.push({ path: AGENT_KEY_FILE, content: key });
        if (args.sso) secrets.push({ path: OIDC_SECRET_FILE, content: oidcSecret });
        if (args.registryAuth !== undefined)
          secrets.push({ path: REGISTRY_AUTH_FILE, content: registryAuth });
        kcs.forEach((k, i) => {
          if (typeof k === "string" && k.trim().length > 0) {
            secrets.push({ path: kubeconfigFile(args.deployTargets[i].site), content: k });
          }
        });
        // throws when the result would exceed Nova's user-data limit
        return renderJenkinsCloudInit(baseInput(addr, cascText, secrets));
      }),
  );

  const vm = new openstack.compute.Instance(
    `${name}-vm`,
    {
      name: hostname,
      imageName: args.image,
      flavorName: args.flavor ?? "m3.small",
      keyPair: args.keypairName,
      networks: [{ port: port.id }],
      userData,
      metadata: { "jetstream-paas/role": "jenkins", "jetstream-paas/site": args.site },
    },
    opts,
  );
  if (fip) {
    new openstack.networking.FloatingIpAssociate(
      `${name}-fip-assoc`,
      { floatingIp: fip.address, portId: port.id },
      { parent, dependsOn: [vm] },
    );
  }

  // Artifacts: everything a reviewer needs, secrets replaced by what delivers them.
  registerArtifact("jenkins/jenkins.yaml", casc);
  registerArtifact("jenkins/plugins.txt", plugins);
  if (seedJobs) registerArtifact("jenkins/jobs.groovy", seedJobs);
  for (const j of jenkinsfiles) registerArtifact(`jenkins/pipelines/deploy-${j.app}.Jenkinsfile`, j.text);
  registerArtifact("jenkins/nginx-jenkins.conf", renderJenkinsNginx());
  const redacted = (path: string) => ({
    path,
    content: "(secret: delivered in the VM's user data at apply)",
  });
  const redactedInput = pulumi
    .all([publicAddress, casc, credentialSites])
    .apply(([addr, cascText, present]) => {
      const secrets = [redacted(ADMIN_PASSWORD_FILE), ...present.map((s) => redacted(kubeconfigFile(s)))];
      if (agentKey) secrets.push(redacted(AGENT_KEY_FILE));
      if (args.sso) secrets.push(redacted(OIDC_SECRET_FILE));
      if (args.registryAuth !== undefined) secrets.push(redacted(REGISTRY_AUTH_FILE));
      return baseInput(addr, cascText, secrets);
    });
  registerArtifact(
    "jenkins/install-jenkins.sh",
    redactedInput.apply((i) => renderJenkinsInstallScript(i)),
  );
  registerArtifact(
    `cloud-init/${hostname}.yaml`,
    redactedInput.apply((i) => renderJenkinsCloudInit(i)),
  );

  return {
    url,
    address,
    fixedIp,
    adminUser: pulumi.output(adminUser),
    adminPassword: pulumi.secret(password.result),
    agentPublicKey: agentKey
      ? agentKey.publicKeyOpenssh.apply((k) => k as string | undefined)
      : pulumi.output(undefined as string | undefined),
    securityGroupId: sg.id,
    casc,
    credentialSites,
    agentAddresses: pulumi.all(poolAgents).apply((a) => a.map((x) => x.host)),
  };
}
