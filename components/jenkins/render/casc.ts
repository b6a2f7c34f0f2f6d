// jenkins.yaml for the configuration-as-code plugin (JCasC). Secrets never appear in it: each
// is a `${readFile:...}` / `${readFileBase64:...}` reference to a file that cloud-init writes
// on the VM (root:jenkins 0640), so the rendered file can be read, diffed and published.
import { toYaml } from "../../../src/yaml";
import { jenkinsMatrix, jenkinsOicRealm } from "../../sso/render/jenkins";
import type { SsoSettings } from "../../sso/render/oidc";

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

export const OIDC_SECRET_FILE = `${SECRETS_DIR}/oidc-client-secret`;
export const REGISTRY_AUTH_FILE = `${SECRETS_DIR}/registry-auth.json`;
export const REGISTRY_CREDENTIAL_ID = "registry-auth";

export function kubeconfigFile(site: string): string {
  return `${SECRETS_DIR}/deploy-kubeconfig-${site}`;
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
  /**
   * The agent's SSH host public key (`ssh-ed25519 AAAA...`), known before it boots because the
   * stack made it: JCasC pins it. Without one an admin must trust the key once in the UI.
   */
  hostKey?: string;
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
  /** OpenID Connect login; without it the local admin is the only account */
  sso?: { settings: SsoSettings; clientId: string };
  /** a registry-auth file credential exists */
  registryAuth?: boolean;
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
    if (a.hostKey !== undefined && !/^ssh-ed25519 [A-Za-z0-9+/=_-]+$/.test(a.hostKey.trim()))
      throw new Error(`agents: ${a.name} hostKey must be one "ssh-ed25519 AAAA..." public key`);
  }
  if (input.systemMessage.includes("${")) throw new Error("systemMessage must not contain '${'");
}

/**
 * Who logs in and what they may do: with SSO, the OIDC realm (groups -> matrix permissions)
 * and the local admin only as oic-auth's escape hatch; without it, the local admin alone.
 */
function securitySettings(input: CascInput): Record<string, unknown> {
  const password = `\${readFile:${ADMIN_PASSWORD_FILE}}`;
  if (!input.sso) {
    return {
      securityRealm: {
        local: { allowsSignup: false, users: [{ id: input.adminUser, name: "Administrator", password }] },
      },
      authorizationStrategy: { loggedInUsersCanDo: { allowAnonymousRead: false } },
    };
  }
  const sso = {
    sso: input.sso.settings,
    clientId: input.sso.clientId,
    clientSecretRef: `\${readFile:${OIDC_SECRET_FILE}}`,
    breakGlassUser: input.adminUser,
    breakGlassSecretRef: password,
  };
  return { securityRealm: jenkinsOicRealm(sso), authorizationStrategy: jenkinsMatrix(sso) };
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
        description: `deploy identity (ServiceAccount jsp-deploy/jenkins-deploy) of the ${k.site} live cluster; not admin.conf`,
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
  if (input.registryAuth) {
    credentials.push({
      file: {
        scope: "GLOBAL",
        id: REGISTRY_CREDENTIAL_ID,
        description: "containers-auth.json for buildah push (jetstream-paas:jenkinsRegistryAuth)",
        fileName: "auth.json",
        secretBytes: `\${readFileBase64:${REGISTRY_AUTH_FILE}}`,
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
            // A stack-made agent's host key is pinned (the stack generated it); any other
            // agent's key is trusted only after an administrator accepted it once.
            sshHostKeyVerificationStrategy: a.hostKey
              ? { manuallyProvidedKeyVerificationStrategy: { key: a.hostKey.trim() } }
              : { manuallyTrustedKeyVerificationStrategy: { requireInitialManualTrust: true } },
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
      ...securitySettings(input),
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
