// cloud-config of a build agent VM the site stack creates. The agent's SSH host key is made by
// the stack (@pulumi/tls) and handed in here, so the controller's JCasC pins it before the VM
// exists: no trust-on-first-use. The controller logs in as `jenkins` with its own key; the
// agent builds images with rootless buildah (no Docker daemon, no root socket), deploys with a
// pinned kubectl (checksum from Kubespray) and load-tests with hey through jsp-loadtest.
import { CloudConfig, CloudFile, renderCloudConfig, sshdHardening } from "../../../src/cloud-init";
import { LOADTEST_AGENT_PATH, renderLoadTestScript } from "../../delivery/render/loadtest";
import { JENKINS_APT } from "./cloud-init";

/**
 * kubectl 1.35.4 (the clusters' version, Kubespray v2.31.0 default), sha256 from Kubespray
 * v2.31.0 roles/kubespray_defaults/vars/main/checksums.yml (kubectl_checksums.amd64).
 */
export const KUBECTL = {
  version: "1.35.4",
  url: "https://dl.k8s.io/release/v1.35.4/bin/linux/amd64/kubectl",
  sha256: "b529430df69a688fd61b64ad2299edb5fd71cb58be2a4779dba624c7d3510efd",
} as const;

/** Ubuntu 24.04 packages: buildah/uidmap for rootless builds, hey for the load stage, Java for the agent. */
export const AGENT_PACKAGES = [
  JENKINS_APT.java,
  "git",
  "buildah",
  "uidmap",
  "fuse-overlayfs",
  "slirp4netns",
  "hey",
  "curl",
  "ca-certificates",
] as const;

export const AGENT_USER = "jenkins";
export const AGENT_INSTALL_SCRIPT = "/usr/local/sbin/jsp-agent-install";

export interface AgentCloudInitInput {
  hostname: string;
  /** the controller's public key (authorized for the jenkins user only) */
  controllerPublicKey: string;
  /** the host key the controller pins: OpenSSH private key text and its public line */
  hostKey: { privateKey: string; publicKey: string };
}

/** First-boot install script (bash; shellcheck-clean): kubectl by checksum, rootless buildah. */
export function renderAgentInstallScript(): string {
  return `#!/usr/bin/env bash
# Rendered by jetstream-paas (components/jenkins/render/agent-cloud-init.ts). Runs once.
set -euo pipefail
readonly KUBECTL_URL='${KUBECTL.url}'
readonly KUBECTL_SHA256='${KUBECTL.sha256}'
log() { printf 'jsp-agent-install: %s\\n' "$*" >&2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# kubectl: downloaded over HTTPS and installed only if its checksum is the pinned one.
curl -fsSL --proto '=https' --tlsv1.2 -o "$tmp/kubectl" "$KUBECTL_URL"
echo "$KUBECTL_SHA256  $tmp/kubectl" | sha256sum -c --quiet -
install -m 0755 "$tmp/kubectl" /usr/local/bin/kubectl

# Rootless buildah for the jenkins user: subordinate ids, its own storage, no daemon.
grep -q "^${AGENT_USER}:" /etc/subuid || usermod --add-subuids 100000-165535 ${AGENT_USER}
grep -q "^${AGENT_USER}:" /etc/subgid || usermod --add-subgids 100000-165535 ${AGENT_USER}
loginctl enable-linger ${AGENT_USER}
install -d -o ${AGENT_USER} -g ${AGENT_USER} -m 0750 /home/${AGENT_USER}/agent
runuser -u ${AGENT_USER} -- buildah info >/dev/null
log "agent ready: $(kubectl version --client 2>/dev/null | head -n 1), $(buildah --version)"
`;
}

export function renderAgentCloudInit(i: AgentCloudInitInput): string {
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(i.hostname))
    throw new Error(`agent hostname "${i.hostname}" must be a DNS label`);
  if (!/^ssh-ed25519 [A-Za-z0-9+/=]+/.test(i.hostKey.publicKey))
    throw new Error("agent host key must be an ssh-ed25519 key");
  const files: CloudFile[] = [
    sshdHardening(false),
    { path: LOADTEST_AGENT_PATH, content: renderLoadTestScript(), permissions: "0755", owner: "root:root" },
    {
      path: AGENT_INSTALL_SCRIPT,
      content: renderAgentInstallScript(),
      permissions: "0755",
      owner: "root:root",
    },
  ];
  const doc: CloudConfig = {
    hostname: i.hostname,
    manage_etc_hosts: true,
    ssh_pwauth: false,
    disable_root: true,
    // only the pinned host key: no other key types are generated at first boot
    ssh_deletekeys: true,
    ssh_genkeytypes: [],
    ssh_keys: { ed25519_private: i.hostKey.privateKey, ed25519_public: i.hostKey.publicKey.trim() },
    users: [
      "default",
      {
        name: AGENT_USER,
        shell: "/bin/bash",
        lock_passwd: true,
        ssh_authorized_keys: [i.controllerPublicKey.trim()],
      },
    ],
    package_update: true,
    packages: [...AGENT_PACKAGES],
    write_files: files,
    runcmd: [["systemctl", "restart", "ssh"], [AGENT_INSTALL_SCRIPT]],
    final_message: "jetstream-paas jenkins agent: cloud-init finished after $UPTIME s",
  };
  return renderCloudConfig(doc);
}
