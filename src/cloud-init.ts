// One place that turns a cloud-config object into the text VMs receive as user data. Every
// renderer builds a CloudConfig and calls renderCloudConfig; tests run `cloud-init schema`
// on the result.
import { toYaml } from "./yaml";

export interface CloudFile {
  path: string;
  content: string;
  owner?: string;
  permissions?: string;
  /** write after users/packages are set up (cloud-init `defer`) */
  defer?: boolean;
  /** content encoding, e.g. "gz+b64" for a compressed payload (OpenStack user data is capped at 64 KiB) */
  encoding?: "b64" | "gz+b64";
}

export interface CloudUser {
  name: string;
  groups?: string;
  shell?: string;
  sudo?: string;
  lock_passwd?: boolean;
  ssh_authorized_keys?: string[];
}

/** The subset of cloud-config keys this project uses; cloud-init's own schema is the judge. */
export interface CloudConfig {
  users?: Array<"default" | CloudUser>;
  /** extra public keys for the default user */
  ssh_authorized_keys?: string[];
  ssh_pwauth?: boolean;
  /** remove the image's host keys at first boot */
  ssh_deletekeys?: boolean;
  /** host key types cloud-init generates; [] with ssh_keys: only the given key */
  ssh_genkeytypes?: string[];
  /** host keys to install, e.g. ed25519_private / ed25519_public */
  ssh_keys?: Record<string, string>;
  disable_root?: boolean;
  package_update?: boolean;
  package_upgrade?: boolean;
  packages?: string[];
  write_files?: CloudFile[];
  bootcmd?: Array<string | string[]>;
  runcmd?: Array<string | string[]>;
  ntp?: { enabled: boolean; ntp_client?: string; servers?: string[] };
  swap?: { filename?: string; size?: number | string };
  timezone?: string;
  hostname?: string;
  fqdn?: string;
  manage_etc_hosts?: boolean;
  apt?: Record<string, unknown>;
  final_message?: string;
  fs_setup?: Array<Record<string, unknown>>;
  mounts?: string[][];
}

export function renderCloudConfig(doc: CloudConfig): string {
  return toYaml(doc, { header: "#cloud-config", sortKeys: true });
}

/**
 * sshd settings shared by every VM: keys only, no root login. The bastion keeps TCP forwarding
 * for ProxyJump; other hosts do not need it.
 */
export function sshdHardening(allowTcpForwarding: boolean): CloudFile {
  return {
    path: "/etc/ssh/sshd_config.d/60-jetstream-paas.conf",
    permissions: "0644",
    content: [
      "# managed by jetstream-paas",
      "PasswordAuthentication no",
      "KbdInteractiveAuthentication no",
      "PermitRootLogin no",
      "X11Forwarding no",
      `AllowTcpForwarding ${allowTcpForwarding ? "yes" : "no"}`,
      "AllowAgentForwarding no",
      "",
    ].join("\n"),
  };
}
