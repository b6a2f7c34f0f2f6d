// The `jenkins` section of the site project's config (components/jenkins, docs/delivery.md).
import { z } from "zod";
import { dnsLabel, flavor, imageName, ipv4, port, site, SITES, stackName } from "./fields";
import { loadProfileShape } from "./load-test";

/** Jenkins LTS pinned by default: facts.md section 4 (2.568.2, 2026-08-04, confirmed). */
export const JENKINS_LTS_DEFAULT = "2.568.2";
/** jenkinsci/plugin-installation-manager-tool release seen in a public Dockerfile; UNCONFIRMED as newest. */
export const PLUGIN_MANAGER_DEFAULT = "2.14.0";

/** Where each site's cluster kubeconfig comes from, in deploy order (IU first, then TACC). */
export const DEFAULT_DEPLOY_TARGETS = [
  { site: "iu" as const, stack: "organization/jetstream-paas-cluster/paasA" },
  { site: "tacc" as const, stack: "organization/jetstream-paas-cluster/tacc-paasA" },
];

const hostName = z
  .string({ error: "must be a string" })
  .refine((s) => /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/.test(s), {
    error: "must be a lowercase host name or IPv4 address",
  });

export const jenkinsPipelineSchema = z.strictObject({
  /** the BlueGreenService name the pipeline deploys (Deployments <app>-blue/-green) */
  app: dnsLabel,
  /** git repository holding the app's Dockerfile */
  gitUrl: z.string({ error: "must be a string" }).regex(/^(https:\/\/|ssh:\/\/|git@)[^\s'"\\$]+$/, {
    error: "must be an https://, ssh:// or git@ URL without quotes, spaces, '$' or backslashes",
  }),
  branch: z
    .string({ error: "must be a string" })
    .regex(/^[A-Za-z0-9._/-]+$/, { error: "must be a branch name (letters, digits, . _ / -)" })
    .default("main"),
  /** registry/repository the image is pushed to, without tag or digest */
  imageRepository: z
    .string({ error: "must be a string" })
    .regex(/^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)+$/, {
      error: "must be registry/repository without a tag or digest (the pipeline records the digest)",
    }),
  namespace: dnsLabel.default("default"),
  /** Jenkins credentials id for the git checkout (none for a public repository) */
  gitCredentialsId: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, { error: "must be a Jenkins credentials id (letters, digits, . _ -)" })
    .optional(),
  /** label of the agents that have buildah, kubectl and hey */
  agentLabel: dnsLabel.default("build"),
  /**
   * Load stage after each listed site's deploy: `jsp-loadtest` against that site's URL with
   * the header that selects the idle colour; over a threshold the pipeline stops there.
   */
  loadTest: z
    .strictObject({
      /** per site, the https URL that reaches the app (the edge; for meshed apps the x-jsp-colour header picks the idle colour) */
      urls: z
        .partialRecord(
          site,
          z.string({ error: "must be a string" }).regex(/^https?:\/\/[A-Za-z0-9.-]+(:[0-9]+)?$/, {
            error: "must be http(s)://host[:port] without a path (the path is loadTest.path)",
          }),
        )
        .refine((r) => Object.keys(r).length > 0, { error: "must name the URL of at least one site" }),
      ...loadProfileShape,
    })
    .optional(),
  /** Jenkins file credential holding a containers-auth.json for the registry push (jenkins.registryAuth) */
  registryCredentialsId: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, { error: "must be a Jenkins credentials id (letters, digits, . _ -)" })
    .optional(),
});

/** Agent VMs the site stack creates (components/jenkins/agent-pool.ts). */
export const agentPoolSchema = z.strictObject({
  count: z
    .number({ error: "must be a number" })
    .int({ error: "must be an integer" })
    .min(0, { error: "must be 0-10" })
    .max(10, { error: "must be 0-10" })
    .default(2),
  /** builds run buildah and the tests of an app: m3.medium (8 vCPU, 30 GB) by default */
  flavor: flavor.default("m3.medium"),
  image: imageName.optional(),
  executors: z
    .number({ error: "must be a number" })
    .int({ error: "must be an integer" })
    .min(1, { error: "must be 1-16" })
    .max(16, { error: "must be 1-16" })
    .default(2),
  labels: z.array(dnsLabel).min(1, { error: "must list at least one label" }).default(["build"]),
});

export const jenkinsAgentSchema = z.strictObject({
  name: dnsLabel,
  /** address the controller reaches the agent on (SSH) */
  host: z.union([ipv4, hostName], { error: "must be an IPv4 address or a host name" }),
  port: port.default(22),
  user: z
    .string()
    .regex(/^[a-z_][a-z0-9_-]{0,31}$/, { error: "must be a POSIX user name" })
    .default("jenkins"),
  labels: z.array(dnsLabel).min(1, { error: "must list at least one label" }).default(["build"]),
  executors: z
    .number({ error: "must be a number" })
    .int({ error: "must be an integer" })
    .min(1, { error: "must be 1-16" })
    .max(16, { error: "must be 1-16" })
    .default(2),
});

export const jenkinsSchema = z
  .strictObject({
    /** default: true at IU, false at TACC (one controller drives both sites) */
    enabled: z.boolean({ error: "must be true or false" }).optional(),
    flavor: flavor.default("m3.small"),
    /** image override; defaults to the stack's `image` */
    image: imageName.optional(),
    /** Jenkins LTS package version, held with apt-mark */
    version: z
      .string({ error: "must be a string" })
      .regex(/^\d+\.\d+\.\d+$/, {
        error: "must be an LTS version a.b.c (weekly releases a.b are refused)",
      })
      .default(JENKINS_LTS_DEFAULT),
    /** a floating IP for the web UI (reachable from adminCidrs only) */
    floatingIp: z.boolean({ error: "must be true or false" }).default(true),
    /** cluster stacks whose `kubeconfig` output becomes a Jenkins credential, in deploy order */
    deployTargets: z
      .array(z.strictObject({ site, stack: stackName }))
      .min(1, { error: "must list at least one cluster stack" })
      .default(DEFAULT_DEPLOY_TARGETS),
    pipelines: z.array(jenkinsPipelineSchema).default([]),
    /** agent VMs created by the stack, registered by JCasC with their host keys pinned */
    agentPool: agentPoolSchema.prefault({}),
    /** SSH agents you run yourself (their host key is trusted by an admin once) */
    agents: z.array(jenkinsAgentSchema).default([]),
    /** cluster stack output holding the deploy identity's kubeconfig (never admin.conf) */
    deployKubeconfigOutput: z
      .string()
      .regex(/^[A-Za-z][A-Za-z0-9]*$/, { error: "must be a stack output name" })
      .default("deployKubeconfig"),
    pluginManager: z
      .strictObject({
        version: z
          .string()
          .regex(/^\d+\.\d+\.\d+$/, { error: "must be a release version a.b.c" })
          .default(PLUGIN_MANAGER_DEFAULT),
        /** sha256 of jenkins-plugin-manager-<version>.jar; the install refuses a jar that differs */
        sha256: z
          .string()
          .regex(/^[0-9a-f]{64}$/, { error: "must be 64 lowercase hex digits" })
          .optional(),
      })
      .default({ version: PLUGIN_MANAGER_DEFAULT }),
  })
  .superRefine((j, ctx) => {
    const seen = new Set<string>();
    j.deployTargets.forEach((t, i) => {
      if (seen.has(t.site)) {
        ctx.addIssue({
          code: "custom",
          path: ["deployTargets", i, "site"],
          input: t.site,
          message: `is listed twice; each site is deployed once per release (sites: ${SITES.join(", ")})`,
        });
      }
      seen.add(t.site);
    });
    const apps = new Set<string>();
    j.pipelines.forEach((p, i) => {
      if (apps.has(p.app)) {
        ctx.addIssue({
          code: "custom",
          path: ["pipelines", i, "app"],
          input: p.app,
          message: "has two pipelines; one pipeline per app",
        });
      }
      apps.add(p.app);
    });
    const agents = new Set<string>();
    j.agents.forEach((a, i) => {
      if (agents.has(a.name)) {
        ctx.addIssue({
          code: "custom",
          path: ["agents", i, "name"],
          input: a.name,
          message: "is used twice",
        });
      }
      agents.add(a.name);
    });
    j.pipelines.forEach((p, i) => {
      const labels = [
        ...(j.agentPool.count > 0 ? j.agentPool.labels : []),
        ...j.agents.flatMap((a) => a.labels),
      ];
      if (labels.length > 0 && !labels.includes(p.agentLabel)) {
        ctx.addIssue({
          code: "custom",
          path: ["pipelines", i, "agentLabel"],
          input: p.agentLabel,
          message: "no agent has this label; the pipeline would wait forever",
        });
      }
    });
  });

export type JenkinsConfig = z.output<typeof jenkinsSchema>;
export type JenkinsPipelineConfig = z.output<typeof jenkinsPipelineSchema>;
export type JenkinsAgentConfig = z.output<typeof jenkinsAgentSchema>;
export type AgentPoolConfig = z.output<typeof agentPoolSchema>;
