// cloud-config of the bastion: key-only SSH with forwarding for ProxyJump, nothing else.
import { renderCloudConfig, sshdHardening } from "../../../src/cloud-init";

export interface BastionCloudInitInput {
  hostname: string;
}

export function renderBastionCloudInit(input: BastionCloudInitInput): string {
  return renderCloudConfig({
    hostname: input.hostname,
    manage_etc_hosts: true,
    ssh_pwauth: false,
    disable_root: true,
    package_update: true,
    packages: ["fail2ban"],
    write_files: [sshdHardening(true)],
    runcmd: [
      ["systemctl", "restart", "ssh"],
      ["systemctl", "enable", "--now", "fail2ban"],
    ],
  });
}
