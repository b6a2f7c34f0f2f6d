// cloud-config of a Kubernetes node, per role. Pure: plain input, text out.
// It prepares what Kubespray expects of a fresh VM and removes what breaks it on Jetstream2's
// Ubuntu images: unattended-upgrades holding the apt lock while Kubespray installs packages.
import { CloudConfig, CloudFile, renderCloudConfig, sshdHardening } from "../../../src/cloud-init";
import { isDnsLabel } from "../../../src/naming";

export type NodeRole = "control-plane" | "worker" | "etcd";

export interface NodeCloudInitInput {
  /** host name, a lowercase RFC 1123 label (Kubespray refuses anything else) */
  hostname: string;
  role: NodeRole;
  /** extra authorized keys for the default user, besides the Nova keypair's */
  sshAuthorizedKeys?: readonly string[];
  /** NTP servers; empty = the image's chrony defaults */
  ntpServers?: readonly string[];
}

/** Kernel modules containerd and kube-proxy/Calico need at boot. */
export const NODE_KERNEL_MODULES = ["br_netfilter", "overlay"] as const;

/** sysctls Kubernetes needs (kubeadm preflight and CNI). */
export const NODE_SYSCTLS: Readonly<Record<string, string>> = {
  "net.bridge.bridge-nf-call-ip6tables": "1",
  "net.bridge.bridge-nf-call-iptables": "1",
  "net.ipv4.ip_forward": "1",
};

const APT_UNITS = ["apt-daily-upgrade.timer", "apt-daily.timer", "unattended-upgrades.service"];

export function renderNodeCloudInit(input: NodeCloudInitInput): string {
  if (!isDnsLabel(input.hostname)) {
    throw new Error(
      `hostname "${input.hostname}" must be a lowercase RFC 1123 label (Kubespray refuses others)`,
    );
  }
  if (!["control-plane", "worker", "etcd"].includes(input.role)) {
    throw new Error(`role "${input.role}" must be control-plane, worker or etcd`);
  }
  const keys = [...(input.sshAuthorizedKeys ?? [])].sort();
  for (const k of keys) {
    if (/PRIVATE KEY/.test(k)) throw new Error("sshAuthorizedKeys must hold public keys only");
  }
  const files: CloudFile[] = [
    sshdHardening(false),
    {
      path: "/etc/modules-load.d/50-kubernetes.conf",
      permissions: "0644",
      content: `# managed by jetstream-paas\n${NODE_KERNEL_MODULES.join("\n")}\n`,
    },
    {
      path: "/etc/sysctl.d/50-kubernetes.conf",
      permissions: "0644",
      content: `# managed by jetstream-paas\n${Object.keys(NODE_SYSCTLS)
        .sort()
        .map((k) => `${k} = ${NODE_SYSCTLS[k]}`)
        .join("\n")}\n`,
    },
    {
      // Kubespray installs packages with apt; unattended-upgrades holding the dpkg lock makes
      // those tasks fail at random. Kubespray (and our A/B upgrade) own node updates instead.
      path: "/etc/apt/apt.conf.d/20auto-upgrades",
      permissions: "0644",
      content: 'APT::Periodic::Update-Package-Lists "0";\nAPT::Periodic::Unattended-Upgrade "0";\n',
    },
    {
      path: "/etc/jetstream-paas/node-role",
      permissions: "0644",
      content: `${input.role}\n`,
    },
  ];
  const doc: CloudConfig = {
    hostname: input.hostname,
    fqdn: input.hostname,
    // Kubespray writes /etc/hosts itself (populate_inventory_to_hosts_file).
    manage_etc_hosts: false,
    // The default user gets the Nova keypair's key; extra keys are added to the same user.
    users: ["default"],
    ...(keys.length > 0 ? { ssh_authorized_keys: keys } : {}),
    ssh_pwauth: false,
    disable_root: true,
    // No apt work from cloud-init: it would race Kubespray for the dpkg lock.
    package_update: false,
    package_upgrade: false,
    ntp: {
      enabled: true,
      ntp_client: "chrony",
      ...(input.ntpServers && input.ntpServers.length > 0 ? { servers: [...input.ntpServers].sort() } : {}),
    },
    write_files: files,
    // bootcmd runs early on every boot, before the apt timers can fire.
    // Units an image lacks must not fail the boot, hence `|| true`.
    bootcmd: [
      [
        "sh",
        "-c",
        `systemctl stop ${APT_UNITS.join(" ")} || true; systemctl mask ${APT_UNITS.join(" ")} || true`,
      ],
    ],
    runcmd: [
      ["systemctl", "restart", "ssh"],
      ["modprobe", "-a", ...NODE_KERNEL_MODULES],
      ["sysctl", "--system"],
      // kubelet refuses to run with swap on; Jetstream2 images have none, a resized one might.
      ["swapoff", "-a"],
      ["sed", "-i", "-E", "/\\sswap\\s/s/^([^#])/# \\1/", "/etc/fstab"],
    ],
    final_message: `jetstream-paas ${input.role} node ${input.hostname} ready for Kubespray after $UPTIME s`,
  };
  return renderCloudConfig(doc);
}
