// cloud-config of an edge host: installs HAProxy and keepalived, stages the rendered configs,
// validates them (`haproxy -c`, `keepalived -t`) before anything is enabled, and installs
// `jsp-edge-apply`, the one way configs are (re)applied: validate, save server states,
// hitless reload (master-worker + expose-fd listeners). Other components ship their own files
// and commands on the edge hosts through `extraFiles`/`extraRuncmd` (e.g. the failover
// controller), without editing this renderer.
import { CloudFile, renderCloudConfig, sshdHardening } from "../../../src/cloud-init";

export const EDGE_PATHS = {
  stageDir: "/etc/jsp-edge",
  haproxyCfg: "/etc/haproxy/haproxy.cfg",
  slotsMap: "/etc/haproxy/jsp-slots.map",
  haproxyEnv: "/etc/haproxy/jsp-edge.env",
  adminSocket: "/run/haproxy/admin.sock",
  stateFile: "/var/lib/haproxy/server-state",
  keepalivedCfg: "/etc/keepalived/keepalived.conf",
  keepalivedAuth: "/etc/keepalived/jsp-auth.conf",
  checkScript: "/usr/local/sbin/jsp-check-haproxy",
  notifyScript: "/usr/local/sbin/jsp-keepalived-notify",
  notifyLog: "/var/log/jsp-edge-vrrp.log",
  applyScript: "/usr/local/sbin/jsp-edge-apply",
} as const;

export interface EdgeCloudInitInput {
  hostname: string;
  haproxyCfg: string;
  slotsMap: string;
  keepalivedCfg: string;
  checkScript: string;
  notifyScript: string;
  /** `JSP_STATS_PASSWORD=...` line(s); secret, mode 0600 */
  haproxyEnv: string;
  /** `auth_pass ...`; secret, mode 0600 */
  keepalivedAuth: string;
  /** more files, written after ours (a path of ours may not be overwritten) */
  extraFiles?: CloudFile[];
  /** more commands, run after HAProxy and keepalived are up */
  extraRuncmd?: Array<string | string[]>;
  /** more Debian packages (e.g. nodejs for the failover controller) */
  extraPackages?: string[];
  /** ACME/TLS part of the edge (render/acme.ts): its files, a step before HAProxy starts, steps after */
  tls?: {
    files: CloudFile[];
    beforeApply: Array<string | string[]>;
    afterApply: Array<string | string[]>;
    packages: string[];
  };
}

/** Validate, keep server states, reload without dropping a connection. */
export function renderApplyScript(): string {
  const p = EDGE_PATHS;
  return [
    "#!/bin/bash",
    "# jsp-edge-apply: install staged HAProxy/keepalived configs after validating them, then",
    "# reload hitlessly. Run by cloud-init at boot and by `npm run edge -- apply` on change.",
    "set -euo pipefail",
    `STAGE=${p.stageDir}`,
    "set -a",
    "# shellcheck source=/dev/null",
    `. ${p.haproxyEnv}`,
    "set +a",
    `haproxy -c -q -f "$STAGE/haproxy.cfg"`,
    `keepalived -t -f "$STAGE/keepalived.conf"`,
    `install -m 0644 "$STAGE/haproxy.cfg" ${p.haproxyCfg}`,
    "# The map holds the live/pre-live choice that `edge switch` may have changed at runtime;",
    "# only a first boot installs it from the stage.",
    `[ -f ${p.slotsMap} ] || install -m 0644 "$STAGE/jsp-slots.map" ${p.slotsMap}`,
    `install -m 0644 "$STAGE/keepalived.conf" ${p.keepalivedCfg}`,
    `if systemctl is-active --quiet haproxy && [ -S ${p.adminSocket} ]; then`,
    `  echo "show servers state" | socat -T2 stdio UNIX-CONNECT:${p.adminSocket} > ${p.stateFile}.new`,
    `  mv ${p.stateFile}.new ${p.stateFile}`,
    "  systemctl reload haproxy",
    "else",
    "  systemctl enable haproxy",
    "  systemctl restart haproxy",
    "fi",
    "systemctl enable keepalived",
    "systemctl reload-or-restart keepalived",
    "",
  ].join("\n");
}

const SYSTEMD_DROPIN = [
  "# jetstream-paas: the stats password comes from this file (mode 0600), never from haproxy.cfg.",
  "[Service]",
  `EnvironmentFile=${EDGE_PATHS.haproxyEnv}`,
  "# HAProxy sizes maxconn from this limit (no fixed maxconn in haproxy.cfg).",
  "LimitNOFILE=200000",
  "",
].join("\n");

const SYSCTL = [
  "# jetstream-paas edge: HAProxy binds the VIP on the host that does not hold it yet.",
  "net.ipv4.ip_nonlocal_bind = 1",
  "",
].join("\n");

export function renderEdgeCloudInit(i: EdgeCloudInitInput): string {
  const p = EDGE_PATHS;
  const ours: CloudFile[] = [
    sshdHardening(false),
    { path: "/etc/sysctl.d/60-jsp-edge.conf", permissions: "0644", content: SYSCTL },
    { path: `${p.stageDir}/haproxy.cfg`, permissions: "0644", content: i.haproxyCfg },
    { path: `${p.stageDir}/jsp-slots.map`, permissions: "0644", content: i.slotsMap },
    { path: `${p.stageDir}/keepalived.conf`, permissions: "0644", content: i.keepalivedCfg },
    { path: p.haproxyEnv, permissions: "0600", content: i.haproxyEnv },
    { path: p.keepalivedAuth, permissions: "0600", content: i.keepalivedAuth },
    { path: p.checkScript, permissions: "0755", content: i.checkScript },
    { path: p.notifyScript, permissions: "0755", content: i.notifyScript },
    { path: p.applyScript, permissions: "0755", content: renderApplyScript() },
    {
      path: "/etc/systemd/system/haproxy.service.d/60-jsp-edge.conf",
      permissions: "0644",
      content: SYSTEMD_DROPIN,
    },
    ...(i.tls?.files ?? []),
  ];
  const taken = new Set(ours.map((f) => f.path));
  for (const [n, f] of (i.extraFiles ?? []).entries()) {
    if (taken.has(f.path))
      throw new Error(`edge cloud-init: extraFiles[${n}].path ${f.path} is a file of the edge`);
    taken.add(f.path);
  }
  return renderCloudConfig({
    hostname: i.hostname,
    manage_etc_hosts: true,
    ssh_pwauth: false,
    disable_root: true,
    package_update: true,
    packages: [
      ...new Set([
        "curl",
        "haproxy",
        "keepalived",
        "socat",
        ...(i.tls?.packages ?? []),
        ...(i.extraPackages ?? []),
      ]),
    ].sort(),
    write_files: [...ours, ...(i.extraFiles ?? [])],
    runcmd: [
      ["sysctl", "--system"],
      ["systemctl", "daemon-reload"],
      ["systemctl", "restart", "ssh"],
      // the certificate HAProxy binds 443 with must exist before the config is validated
      ...(i.tls?.beforeApply ?? []),
      // validates both configs first: a bad config leaves the services stopped, never half-applied
      [p.applyScript],
      ...(i.tls?.afterApply ?? []),
      ...(i.extraRuncmd ?? []),
    ],
  });
}
