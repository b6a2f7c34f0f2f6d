// jenkins.yaml for the configuration-as-code plugin (JCasC). Secrets never appear in it: each
// is a `${readFile:...}` / `${readFileBase64:...}` reference to a file that cloud-init writes
// on the VM (root:jenkins 0640), so the rendered file can be read, diffed and published.
import { toYaml } from "../../../src/yaml";

export const SECRETS_DIR = "/etc/jenkins/secrets";
export const CASC_DIR = "/etc/jenkins/casc";
export const CASC_FILE = `${CASC_DIR}/jenkins.yaml`;
export const SEED_JOBS_FILE = `${CASC_DIR}/jobs.groovy`;
export const ADMIN_PASSWORD_FILE = `${SECRETS_DIR}/admin-password`;
export const AGENT_KEY_FILE = `${SECRETS_DIR}/agent-ssh-key`;
/** Credential of the controller's agent key for one agent user (one key, a credential per user). */
export function agentCredentialId(user: string): string {
  return `agent-ssh-key-${user}`;
}

export function kubeconfigFile(site: string): string {
  return `${SECRETS_DIR}/kubeconfig-${site}`;
}

export interface CascKubeconfig {
  site: string;
  credentialsId: string;
}

export interface CascAgent {
  name: string;
  host: string;
  port: number;
  user: string;
  labels: readonly string[];
  executors: number;
}

export interface CascInput {
  /** https://<address>/ as users reach it */
  url: string;
  adminUser: string;
  /** kubeconfigs present on the VM; a site without one has no credential (and the pipeline's preflight stops) */
  kubeconfigs: readonly CascKubeconfig[];
  agents: readonly CascAgent[];
  /** whether a seed jobs file is written */
  seedJobs: boolean;
  systemMessage: string;
}

function check(input: CascInput): void {
  if (!/^https:\/\/[^\s/$]+\/$/.test(input.url)) throw new Error(`url "${input.url}" must be https://host/`);
  if (!/^[a-z][a-z0-9_-]*$/.test(input.adminUser))
    throw new Error(`adminUser "${input.adminUser}" must be a user id`);
  for (const k of input.kubeconfigs) {
    if (!/^[a-z]+$/.test(k.site)) throw new Error(`kubeconfigs: site "${k.site}" must be a site name`);
  }
  for (const a of input.agents) {
    if (!/^[a-z0-9-]+$/.test(a.name)) throw new Error(`agents: name "${a.name}" must be a DNS label`);
  }
  if (input.systemMessage.includes("${")) throw new Error("systemMessage must not contain '${'");
}

/** The whole controller configuration; the only `${...}` in it are file references. */
export function renderJenkinsCasc(input: CascInput): string {
  check(input);
  const credentials: Array<Record<string, unknown>> = [...input.kubeconfigs]
    .sort((a, b) => a.site.localeCompare(b.site))
    .map((k) => ({
      file: {
        scope: "GLOBAL",
        id: k.credentialsId,
        description: `kubeconfig of the ${k.site} live cluster (from its cluster stack)`,
        fileName: "kubeconfig",
        secretBytes: `\${readFileBase64:${kubeconfigFile(k.site)}}`,
      },
    }));
  for (const user of [...new Set(input.agents.map((a) => a.user))].sort()) {
    credentials.push({
      basicSSHUserPrivateKey: {
        scope: "SYSTEM",
        id: agentCredentialId(user),
        description: `controller -> SSH agents as ${user} (public key: stack output jenkinsAgentPublicKey)`,
        username: user,
        privateKeySource: { directEntry: { privateKey: `\${readFile:${AGENT_KEY_FILE}}` } },
      },
    });
  }
  const nodes = [...input.agents]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((a) => ({
      permanent: {
        name: a.name,
        labelString: [...a.labels].sort().join(" "),
        numExecutors: a.executors,
        mode: "EXCLUSIVE",
        remoteFS: `/home/${a.user}/agent`,
        retentionStrategy: "always",
        launcher: {
          ssh: {
            host: a.host,
            port: a.port,
            credentialsId: agentCredentialId(a.user),
            launchTimeoutSeconds: 60,
            maxNumRetries: 10,
            retryWaitTime: 15,
            // An agent's host key is trusted only after an administrator accepted it once.
            sshHostKeyVerificationStrategy: {
              manuallyTrustedKeyVerificationStrategy: { requireInitialManualTrust: true },
            },
          },
        },
      },
    }));

  const doc: Record<string, unknown> = {
    jenkins: {
      systemMessage: input.systemMessage,
      // The controller runs no builds: a build on the controller can read JENKINS_HOME
      // (credentials, secrets) and the VM's metadata; builds run on agents only.
      numExecutors: 0,
      mode: "EXCLUSIVE",
      // Inbound (JNLP/WebSocket) agents are off: agents are started over SSH by the controller.
      slaveAgentPort: -1,
      disableRememberMe: true,
      markupFormatter: "plainText",
      crumbIssuer: { standard: { excludeClientIPFromCrumb: false } },
      securityRealm: {
        local: {
          allowsSignup: false,
          users: [
            { id: input.adminUser, name: "Administrator", password: `\${readFile:${ADMIN_PASSWORD_FILE}}` },
          ],
        },
      },
      authorizationStrategy: { loggedInUsersCanDo: { allowAnonymousRead: false } },
      ...(nodes.length > 0 ? { nodes } : {}),
    },
    security: {
      globalJobDslSecurityConfiguration: { useScriptSecurity: true },
    },
    unclassified: {
      location: { url: input.url },
    },
    ...(credentials.length > 0 ? { credentials: { system: { domainCredentials: [{ credentials }] } } } : {}),
    ...(input.seedJobs ? { jobs: [{ file: SEED_JOBS_FILE }] } : {}),
  };
  return toYaml(doc, {
    header: "# Rendered by jetstream-paas (components/jenkins/render/casc.ts); no secret in this file.",
    sortKeys: true,
  });
}
