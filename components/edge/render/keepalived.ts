// Pure renderer of one edge host's keepalived.conf: unicast VRRP to the other host (OpenStack
// does not forward multicast VRRP reliably; the security group allows protocol 112 between the
// pair only), both BACKUP with nopreempt (a returning node never takes the VIP back), a
// vrrp_script that checks HAProxy, PASS authentication read from an included file (the
// secret stays out of this text), and a notify script that logs every transition.

export interface KeepalivedHost {
  /** host name, also keepalived's router_id */
  name: string;
  /** fixed IP on the site subnet */
  address: string;
}

export interface KeepalivedInput {
  self: KeepalivedHost;
  /** the other edge host(s); empty for a single edge host (VIP without a partner) */
  peers: KeepalivedHost[];
  /** the VIP and its prefix length on the site subnet */
  vip: string;
  prefixLength: number;
  /** network interface that holds the site subnet (Ubuntu 24.04 on Jetstream2: ens3) */
  interface: string;
  virtualRouterId: number;
  /** higher wins the first election; with nopreempt it never matters afterwards */
  priority: number;
  advertIntSeconds: number;
  /** checks HAProxy; 2 failures in a row put this node in FAULT and release the VIP */
  check: { script: string; intervalSeconds: number; fall: number; rise: number };
  notifyScript: string;
  /** file holding `auth_pass <8 chars>`, written by cloud-init with mode 0600 */
  authFile: string;
  /** extra lines in global_defs (the drill sets pid/script users); none in production */
  extraGlobal?: string[];
}

const IP_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const NAME_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

function fail(key: string, rule: string): never {
  throw new Error(`keepalived: ${key}: ${rule}`);
}

function ip(key: string, v: string): void {
  const m = IP_RE.exec(v);
  if (!m || m.slice(1).some((o) => Number(o) > 255)) fail(key, `"${v}" must be an IPv4 address`);
}

export function renderKeepalivedConfig(i: KeepalivedInput): string {
  if (!NAME_RE.test(i.self.name)) fail("self.name", `"${i.self.name}" must be a lowercase DNS label`);
  ip("self.address", i.self.address);
  i.peers.forEach((p, n) => {
    ip(`peers[${n}].address`, p.address);
    if (p.address === i.self.address) fail(`peers[${n}].address`, "must differ from self.address");
  });
  ip("vip", i.vip);
  if (i.vip === i.self.address || i.peers.some((p) => p.address === i.vip)) {
    fail("vip", "must not be a host's own address");
  }
  if (!Number.isInteger(i.prefixLength) || i.prefixLength < 8 || i.prefixLength > 32) {
    fail("prefixLength", "must be 8-32");
  }
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(i.interface))
    fail("interface", `"${i.interface}" is not an interface name`);
  if (!Number.isInteger(i.virtualRouterId) || i.virtualRouterId < 1 || i.virtualRouterId > 255) {
    fail("virtualRouterId", "must be 1-255");
  }
  if (!Number.isInteger(i.priority) || i.priority < 1 || i.priority > 254) fail("priority", "must be 1-254");
  if (!Number.isInteger(i.advertIntSeconds) || i.advertIntSeconds < 1) {
    fail("advertIntSeconds", "must be a whole number of seconds >= 1 (VRRPv2)");
  }
  for (const [k, p] of [
    ["check.script", i.check.script],
    ["notifyScript", i.notifyScript],
    ["authFile", i.authFile],
  ] as const) {
    if (!p.startsWith("/") || /[\s"]/.test(p)) fail(k, `"${p}" must be an absolute path without spaces`);
  }
  const peers = [...i.peers].sort((a, b) => a.address.localeCompare(b.address));
  const lines = [
    `# keepalived.conf of ${i.self.name}, rendered by jetstream-paas (components/edge). Do not edit.`,
    "global_defs {",
    `    router_id ${i.self.name}`,
    "    script_user root",
    "    enable_script_security",
    "    # Gratuitous ARP again a few seconds after taking the VIP, for slow ARP caches.",
    "    vrrp_garp_master_delay 1",
    "    vrrp_garp_master_repeat 3",
    ...(i.extraGlobal ?? []).map((l) => `    ${l}`),
    "}",
    "",
    "vrrp_script chk_haproxy {",
    `    script "${i.check.script}"`,
    `    interval ${i.check.intervalSeconds}`,
    `    timeout ${i.check.intervalSeconds}`,
    `    fall ${i.check.fall}`,
    `    rise ${i.check.rise}`,
    "}",
    "",
    "vrrp_instance edge_vip {",
    "    # Both hosts start BACKUP with nopreempt: the VIP moves only when its holder fails.",
    "    state BACKUP",
    "    nopreempt",
    `    interface ${i.interface}`,
    `    virtual_router_id ${i.virtualRouterId}`,
    `    priority ${i.priority}`,
    `    advert_int ${i.advertIntSeconds}`,
    `    unicast_src_ip ${i.self.address}`,
    "    unicast_peer {",
    ...peers.map((p) => `        ${p.address}`),
    "    }",
    "    authentication {",
    "        auth_type PASS",
    `        include ${i.authFile}`,
    "    }",
    "    virtual_ipaddress {",
    `        ${i.vip}/${i.prefixLength} dev ${i.interface}`,
    "    }",
    "    track_script {",
    "        chk_haproxy",
    "    }",
    `    notify "${i.notifyScript}"`,
    "}",
  ];
  return `${lines.join("\n")}\n`;
}

/** The auth include: VRRPv2 PASS takes at most 8 characters. */
export function renderKeepalivedAuth(password: string): string {
  if (!/^[A-Za-z0-9]{8}$/.test(password)) fail("authPassword", "must be 8 letters or digits");
  return `auth_pass ${password}\n`;
}

/**
 * vrrp_script: HAProxy answers HTTP on its peer frontend (any status: 503 only means the
 * local slot is down, which is the other site's business, not a reason to move the VIP).
 * A dead or hung HAProxy gives no status and fails the check.
 */
export function renderHaproxyCheckScript(url: string): string {
  if (!/^http:\/\/[0-9.:]+\/[\x21-\x7e]*$/.test(url))
    fail("checkUrl", `"${url}" must be http://ip:port/path`);
  return [
    "#!/bin/sh",
    "# keepalived vrrp_script: exit 0 when the local HAProxy answers HTTP at all.",
    `code=$(curl -s -o /dev/null --max-time 1 -w '%{http_code}' '${url}') || true`,
    '[ -n "$code" ] && [ "$code" != "000" ]',
    "",
  ].join("\n");
}

/** notify script: keepalived passes TYPE NAME STATE PRIORITY; one log line per transition. */
export function renderNotifyScript(logFile: string): string {
  return [
    "#!/bin/sh",
    "# keepalived notify: log every VRRP transition (syslog and a file the drill reads).",
    'TYPE="${1:-}"; NAME="${2:-}"; STATE="${3:-}"; PRIO="${4:-}"',
    'MSG="keepalived $TYPE $NAME -> $STATE (priority $PRIO)"',
    'logger -t jsp-edge "$MSG" 2>/dev/null || true',
    `printf '%s %s\\n' "$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)" "$MSG" >> "\${JSP_NOTIFY_LOG:-${logFile}}"`,
    "exit 0",
    "",
  ].join("\n");
}
