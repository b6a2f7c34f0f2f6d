// What a host at the third place needs to run the DNS checker: the bundled checker, its
// config, the credential file (Designate only), the systemd unit and the `jsp-dns-checker`
// command. Returned as a cloud-init part (files, runcmd, packages) for any host component that
// takes extra files (the witness), or as a whole cloud-config for a host of the operator's.
// Pure: the bundle text and the credential are inputs.
import { gzipSync } from "node:zlib";
import { CloudFile, renderCloudConfig, sshdHardening } from "../../../src/cloud-init";
import type { CheckerAction, CheckerConfig } from "../checker/config";
import type { Policy } from "../checker/decide";

export const CHECKER_PATHS = {
  bundle: "/opt/jetstream-paas/dns-checker/checker.js",
  config: "/etc/jetstream-paas/dns-checker/checker.json",
  credential: "/etc/jetstream-paas/dns-checker/credential.json",
  state: "/var/lib/jetstream-paas/dns-checker",
  unit: "/etc/systemd/system/jsp-dns-checker.service",
  command: "/usr/local/bin/jsp-dns-checker",
} as const;

export interface CheckerFilesInput {
  zone: string;
  names: string[];
  from: { site: string; address: string };
  to: { site: string; address: string };
  probe: { port: number; path: string; timeoutMs: number };
  intervalSeconds: number;
  policy: Policy;
  /** designate: the credential is written to its own 0600 file; command: an outside provider's hook */
  action:
    | { kind: "designate"; authUrl: string; region: string; credential: { id: string; secret: string } }
    | { kind: "command"; argv: string[]; timeoutSeconds: number };
  bundle: string;
}

export interface CheckerCloudPart {
  files: CloudFile[];
  runcmd: string[][];
  packages: string[];
}

export function renderCheckerConfig(i: CheckerFilesInput): CheckerConfig {
  const action: CheckerAction =
    i.action.kind === "designate"
      ? {
          kind: "designate",
          authUrl: i.action.authUrl,
          region: i.action.region,
          credentialFile: CHECKER_PATHS.credential,
        }
      : { kind: "command", argv: i.action.argv, timeoutSeconds: i.action.timeoutSeconds };
  return {
    zone: i.zone,
    names: [...i.names],
    from: i.from,
    to: i.to,
    probe: i.probe,
    intervalSeconds: i.intervalSeconds,
    policy: i.policy,
    action,
    stateDir: CHECKER_PATHS.state,
  };
}

export function renderCheckerUnit(): string {
  return [
    "[Unit]",
    "Description=jetstream-paas DNS checker (moves the public names to the standby site on evidence; never back)",
    "Documentation=https://github.com/jetstream-paas/jetstream-paas/blob/main/docs/dns-tls.md",
    "After=network-online.target",
    "Wants=network-online.target",
    "",
    "[Service]",
    `ExecStart=/usr/bin/node ${CHECKER_PATHS.bundle} run --config ${CHECKER_PATHS.config}`,
    "Restart=always",
    "RestartSec=5",
    "DynamicUser=true",
    "StateDirectory=jetstream-paas/dns-checker",
    // the credential is root's 0600 file: systemd hands it to the dynamic user
    `LoadCredential=designate.json:${CHECKER_PATHS.credential}`,
    "NoNewPrivileges=true",
    "ProtectSystem=strict",
    "ProtectHome=true",
    "PrivateTmp=true",
    "ProtectKernelTunables=true",
    "ProtectControlGroups=true",
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

export function renderCheckerCloudPart(i: CheckerFilesInput): CheckerCloudPart {
  const cfg = renderCheckerConfig(i);
  const text = (path: string, content: string, permissions = "0644"): CloudFile => ({
    path,
    content,
    owner: "root:root",
    permissions,
  });
  const files: CloudFile[] = [
    {
      path: CHECKER_PATHS.bundle,
      // gzip+base64 keeps the user data far below OpenStack's 64 KiB limit
      content: gzipSync(Buffer.from(i.bundle, "utf8"), { level: 9 }).toString("base64"),
      encoding: "gz+b64" as const,
      owner: "root:root",
      permissions: "0755",
    },
    text(CHECKER_PATHS.config, `${JSON.stringify(cfg, null, 2)}\n`),
    text(CHECKER_PATHS.unit, renderCheckerUnit()),
    text(
      CHECKER_PATHS.command,
      `#!/bin/sh\n# jsp-dns-checker status|reset: the DNS checker's operator steps\nexec /usr/bin/node ${CHECKER_PATHS.bundle} "$@" --config ${CHECKER_PATHS.config}\n`,
      "0755",
    ),
  ];
  if (i.action.kind === "designate") {
    files.push(text(CHECKER_PATHS.credential, `${JSON.stringify(i.action.credential)}\n`, "0600"));
  }
  return {
    files: files.sort((a, b) => a.path.localeCompare(b.path)),
    runcmd: [
      ["systemctl", "daemon-reload"],
      ["systemctl", "enable", "--now", "jsp-dns-checker.service"],
    ],
    packages: ["nodejs"],
  };
}

/** A whole cloud-config for a checker host of the operator's own (any Ubuntu 24.04 VM at a third place). */
export function renderCheckerCloudConfig(hostname: string, part: CheckerCloudPart): string {
  return renderCloudConfig({
    hostname,
    manage_etc_hosts: true,
    ssh_pwauth: false,
    disable_root: true,
    package_update: true,
    packages: [...part.packages].sort(),
    write_files: [sshdHardening(false), ...part.files],
    runcmd: [["systemctl", "restart", "ssh"], ...part.runcmd],
  });
}
