// Pure renderer of the edge's haproxy.cfg. One plain object in, the file's text out: no
// @pulumi/pulumi, no I/O, sorted where order is free. Valid for HAProxy 2.6 (Debian bookworm,
// the drill) and 2.8 (Ubuntu 24.04, the edge VMs): no directive newer than 2.6.
//
// Layout (see docs/edge.md):
//   frontend live_http/live_https  80/443 from the world -> live_<slot>_* (slot chosen by the map)
//   frontend prelive_http/_https   admin CIDRs only      -> slot_<prelive>_* (no backup)
//   frontend peer_http/_https      the other site's edge  -> slot_<live>_* (no backup: no loops)
//   frontend stats                 the VIP, admin CIDRs, userlist, /metrics
//   backend live_<slot>_http       the slot's ingress nodes (checked) + peer edge as `backup`
//   backend slot_<slot>_*          the same nodes, tracking live_<slot>_http, no backup
//   backend peer_*                 the peer edge only: used once the failover latch is set
// The live/pre-live slots are entries of a map file, so `npm run edge -- switch` moves them
// through the runtime API (`set map`) without a reload.
//
// With `tls` (docs/dns-tls.md) the edge terminates TLS: 443, pre-live 8443 and peer 8444 bind
// with the site's ACME certificate and run in HTTP mode to the slots' HTTP NodePort; port 80
// answers ACME challenges and redirects everything else to HTTPS; the hop to the other site's
// edge is TLS, verified. Without it, 443 passes through in TCP mode to the Istio gateway.
import {
  acmeChallengeLines,
  EDGE_READY_PATH,
  EdgeTlsSettings,
  hstsLines,
  peerTlsOptions,
  redirectLines,
  tlsBind,
  tlsGlobalLines,
  validateTls,
} from "./haproxy-tls";

export interface EdgeServer {
  /** server name in HAProxy, e.g. "paasa-n1" */
  name: string;
  address: string;
}

export interface EdgeSlot {
  /** slot name from site config (paasA, paasB); backends are named after it */
  name: string;
  /** ingress nodes (fixed IPs); empty when the slot's stack has no outputs yet */
  servers: EdgeServer[];
}

export interface EdgePeer {
  /** name of the other site, e.g. "tacc" */
  site: string;
  /** public address of the other site's edge VIP (its floating IP) */
  address: string;
}

export interface HealthCheckSettings {
  /** interval between checks of a healthy server */
  interMs: number;
  /** interval while a server changes state (after one failure) */
  fastinterMs: number;
  /** interval for a server that is down */
  downinterMs: number;
  /** consecutive failures before marking down */
  fall: number;
  /** consecutive successes before marking up (avoids flapping) */
  rise: number;
  /** a check that did not answer within this time failed (silent node) */
  timeoutMs: number;
  /** a server coming up ramps its weight over this time */
  slowstartSeconds: number;
  /** live traffic errors in a row that mark a server down before its checks do */
  observeErrorLimit: number;
}

export interface EdgeHaproxyInput {
  site: string;
  /** slot serving the live frontends; the map's initial value */
  liveSlot: string;
  /** slot behind the pre-live frontends; the map's initial value */
  preliveSlot?: string;
  /** every slot named in site config, with its servers (possibly none) */
  slots: EdgeSlot[];
  /** NodePorts of the Istio ingress gateway on every ingress node */
  nodePorts: { http: number; https: number; status: number };
  /** path of the gateway readiness check (Istio: /healthz/ready on 15021, NodePort `status`) */
  checkPath: string;
  /** the other site's edge, reached over its public address; absent = no backup */
  peer?: EdgePeer;
  ports: {
    http: number;
    https: number;
    preliveHttp: number;
    preliveHttps: number;
    peerHttp: number;
    peerHttps: number;
    stats: number;
  };
  /** address the private frontends (pre-live, stats) bind to: the VIP */
  privateBindAddress: string;
  /** CIDRs allowed on the pre-live and stats frontends (the security group says the same) */
  adminCidrs: string[];
  stats: {
    user: string;
    /** name of the environment variable that holds the password (never the password itself) */
    passwordEnv: string;
  };
  health: HealthCheckSettings;
  timeouts: { connectMs: number; clientSeconds: number; serverSeconds: number; queueSeconds: number };
  /** connection limit; unset, HAProxy derives it from the open-file limit (systemd LimitNOFILE) */
  maxconn?: number;
  /** files and sockets; tests and the drill substitute their own */
  paths: {
    adminSocket: string;
    stateFile: string;
    slotsMap: string;
  };
  /** extra lines at the end of `global` (the drill adds `pidfile`); none in production */
  extraGlobal?: string[];
  /** terminate TLS on the edge (haproxy-tls.ts); absent: 443 passes through to the gateway */
  tls?: EdgeTlsSettings;
}

const NAME_RE = /^[A-Za-z0-9_.-]+$/;
const IP_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function fail(key: string, rule: string): never {
  throw new Error(`haproxy: ${key}: ${rule}`);
}

function checkIp(key: string, v: string): void {
  const m = IP_RE.exec(v);
  if (!m || m.slice(1).some((o) => Number(o) > 255)) fail(key, `"${v}" must be an IPv4 address`);
}

function checkName(key: string, v: string): void {
  if (!NAME_RE.test(v)) fail(key, `"${v}" must match ${NAME_RE.source}`);
}

function validate(i: EdgeHaproxyInput): void {
  checkName("site", i.site);
  const slotNames = i.slots.map((s) => s.name);
  if (slotNames.length === 0) fail("slots", "must name at least one slot");
  if (new Set(slotNames).size !== slotNames.length) fail("slots", "slot names must be unique");
  i.slots.forEach((s, n) => {
    checkName(`slots[${n}].name`, s.name);
    const names = new Set<string>();
    s.servers.forEach((srv, k) => {
      checkName(`slots[${n}].servers[${k}].name`, srv.name);
      checkIp(`slots[${n}].servers[${k}].address`, srv.address);
      if (names.has(srv.name)) fail(`slots[${n}].servers[${k}].name`, `"${srv.name}" is used twice`);
      names.add(srv.name);
    });
  });
  if (!slotNames.includes(i.liveSlot))
    fail("liveSlot", `"${i.liveSlot}" is not one of ${slotNames.join(", ")}`);
  if (i.preliveSlot !== undefined) {
    if (!slotNames.includes(i.preliveSlot)) {
      fail("preliveSlot", `"${i.preliveSlot}" is not one of ${slotNames.join(", ")}`);
    }
    if (i.preliveSlot === i.liveSlot) fail("preliveSlot", "must differ from liveSlot");
  }
  if (i.peer) {
    checkName("peer.site", i.peer.site);
    checkIp("peer.address", i.peer.address);
  }
  checkIp("privateBindAddress", i.privateBindAddress);
  if (i.adminCidrs.length === 0) fail("adminCidrs", "must list at least one CIDR");
  for (const c of i.adminCidrs) {
    const [ip, len] = c.split("/");
    checkIp("adminCidrs", ip);
    if (!/^\d+$/.test(len ?? "") || Number(len) > 32) fail("adminCidrs", `"${c}" must be a.b.c.d/n`);
    if (Number(len) < 8) fail("adminCidrs", `"${c}" opens the private frontends to the world`);
  }
  const ports = Object.entries(i.ports);
  for (const [k, p] of ports) {
    if (!Number.isInteger(p) || p < 1 || p > 65535) fail(`ports.${k}`, `${p} must be 1-65535`);
  }
  if (new Set(ports.map(([, p]) => p)).size !== ports.length)
    fail("ports", "every frontend needs its own port");
  if (!/^\/[\x21-\x7e]*$/.test(i.checkPath)) fail("checkPath", "must be an absolute path without spaces");
  if (!/^[A-Z_][A-Z0-9_]*$/.test(i.stats.passwordEnv))
    fail("stats.passwordEnv", "must be an environment variable name");
  checkName("stats.user", i.stats.user);
  const h = i.health;
  if (h.fall < 1 || h.rise < 1) fail("health", "fall and rise must be >= 1");
  if (h.timeoutMs > h.interMs * 2) fail("health.timeoutMs", "must not exceed twice interMs");
  for (const [k, p] of Object.entries(i.paths)) {
    if (!p.startsWith("/") || /\s/.test(p))
      fail(`paths.${k}`, `"${p}" must be an absolute path without spaces`);
  }
  if (i.tls) validateTls(i.tls, fail);
}

const sortedServers = (s: EdgeServer[]) => [...s].sort((a, b) => a.name.localeCompare(b.name));

/** Renders haproxy.cfg. Throws naming the bad key. */
export function renderHaproxyConfig(input: EdgeHaproxyInput): string {
  validate(input);
  const i = input;
  const h = i.health;
  const slots = [...i.slots].sort((a, b) => a.name.localeCompare(b.name));
  const map = i.paths.slotsMap;
  const out: string[] = [];
  const add = (...lines: string[]) => out.push(...lines);
  const peerName = i.peer ? `${i.peer.site}-edge` : undefined;
  // One definition of the slot choice, used by every frontend.
  const slotOf = (role: "live" | "prelive", fallback: string) => `%[str(${role}),map(${map},${fallback})]`;

  add(
    `# haproxy.cfg of the ${i.site} edge, rendered by jetstream-paas (components/edge). Do not edit:`,
    "# change site config and run `pulumi up`; switch slots with `npm run edge -- switch`.",
    "global",
    "    master-worker",
    ...(i.maxconn !== undefined ? [`    maxconn ${i.maxconn}`] : []),
    "    log /dev/log local0 info",
    "    user haproxy",
    "    group haproxy",
    "    # Runtime API: admin level, reachable by root and the haproxy group only. `expose-fd",
    "    # listeners` hands the listening sockets to the next process on reload (no refused SYN).",
    `    stats socket ${i.paths.adminSocket} mode 660 level admin expose-fd listeners`,
    "    stats timeout 30s",
    "    # Reloads keep server states (down, drained, weights): dumped there before each reload.",
    `    server-state-file ${i.paths.stateFile}`,
    "    # Keep the failover latch (stick table) across reloads: the new process pulls it from",
    "    # the old one through this local peer.",
    "    localpeer jsp-edge-local",
    ...(i.tls ? tlsGlobalLines() : ["    ssl-default-bind-options ssl-min-ver TLSv1.2"]),
    ...(i.extraGlobal ?? []).map((l) => `    ${l}`),
    "",
    "defaults",
    "    mode http",
    "    log global",
    "    option httplog",
    "    option dontlognull",
    "    # On reload, an idle keep-alive client connection is closed after its next response",
    "    # (Connection: close), not under a request in flight (HAProxy 2.6+).",
    "    option idle-close-on-response",
    "    option redispatch 1",
    "    retries 3",
    `    timeout connect ${i.timeouts.connectMs}ms`,
    `    timeout client ${i.timeouts.clientSeconds}s`,
    `    timeout server ${i.timeouts.serverSeconds}s`,
    `    timeout queue ${i.timeouts.queueSeconds}s`,
    "    timeout http-request 10s",
    "    timeout http-keep-alive 10s",
    `    timeout check ${h.timeoutMs}ms`,
    "    load-server-state-from-file global",
    "    # Health checks hit the Istio gateway readiness endpoint (:15021/healthz/ready, exposed on",
    `    # NodePort ${i.nodePorts.status}). Refused: down after ${h.fall} checks ~${(h.interMs + (h.fall - 1) * h.fastinterMs) / 1000}s; silent: each check`,
    `    # times out after ${h.timeoutMs}ms. \`rise ${h.rise}\` avoids flapping, slowstart ramps a returning node.`,
    `    default-server inter ${h.interMs}ms fastinter ${h.fastinterMs}ms downinter ${h.downinterMs}ms fall ${h.fall} rise ${h.rise} slowstart ${h.slowstartSeconds}s`,
    "",
    "peers jsp_edge",
    "    peer jsp-edge-local 127.0.0.1:10000",
    "",
    "userlist stats_users",
    `    user ${i.stats.user} insecure-password "\${${i.stats.passwordEnv}}"`,
    "",
    "# Failover latch: set once the live slot has no usable node. While it is set, traffic goes",
    "# to the other site even after the local nodes return; going back is an operator action",
    "# (`npm run edge -- failback`), never automatic.",
    "backend failover_latch",
    "    stick-table type integer size 1 store gpt0 peers jsp_edge",
    "",
  );

  const liveAcls = (mode: "http" | "tcp") => {
    const req = mode === "http" ? "http-request" : "tcp-request content";
    const lines = i.peer ? [`    ${req} track-sc0 int(1) table failover_latch`] : [];
    for (const s of slots) {
      lines.push(`    acl live_is_${s.name} str(live),map(${map},${i.liveSlot}) -m str ${s.name}`);
      lines.push(`    acl ${s.name}_down nbsrv(slot_${s.name}_http) eq 0`);
    }
    if (i.peer) {
      // A process that is stopping (the old one during a reload) sees its backends stopped
      // and nbsrv 0: it must never set the latch.
      lines.push("    acl reloading stopping");
      for (const s of slots)
        lines.push(`    ${req} sc-set-gpt0(0) 1 if live_is_${s.name} ${s.name}_down !reloading`);
      lines.push("    acl failed_over sc_get_gpt0(0) eq 1");
      lines.push(`    use_backend peer_${mode === "http" ? "http" : "https"} if failed_over`);
    }
    return lines;
  };

  // Readiness of this edge's live slot, answered by a monitor URI (no backend involved).
  const slotAcls = () =>
    slots.flatMap((s) => [
      `    acl live_is_${s.name} str(live),map(${map},${i.liveSlot}) -m str ${s.name}`,
      `    acl ${s.name}_down nbsrv(slot_${s.name}_http) eq 0`,
    ]);
  const monitorFail = () => slots.map((s) => `    monitor fail if live_is_${s.name} ${s.name}_down`);
  const readyMonitor = [`    monitor-uri ${EDGE_READY_PATH}`];

  if (i.tls) {
    const t = i.tls;
    add(
      "# Port 80: the edge's readiness (for the DNS checker), ACME challenges, and a redirect of",
      "# everything else to HTTPS. No request on it reaches a backend.",
      "frontend live_http",
      `    bind :${i.ports.http}`,
      ...readyMonitor,
      ...slotAcls(),
      ...monitorFail(),
      ...acmeChallengeLines(t),
      ...redirectLines(),
      "",
      "# TLS terminates here (docs/dns-tls.md); the slot's gateway gets HTTP on its NodePort.",
      "frontend live_https",
      tlsBind(`:${i.ports.https}`, t),
      "    option forwardfor",
      "    http-request del-header X-JSP-Edge",
      `    http-request set-header X-JSP-Edge ${i.site}`,
      "    http-request set-header X-Forwarded-Proto https",
      ...hstsLines(t),
      ...liveAcls("http"),
      `    use_backend live_${slotOf("live", i.liveSlot)}_http`,
      `    default_backend live_${i.liveSlot}_http`,
      "",
    );
  } else {
    // live: HTTP (L7: retries, observe, headers)
    add(
      "frontend live_http",
      `    bind :${i.ports.http}`,
      "    option forwardfor",
      "    http-request del-header X-JSP-Edge",
      `    http-request set-header X-JSP-Edge ${i.site}`,
      ...liveAcls("http"),
      ...readyMonitor,
      ...monitorFail(),
      `    use_backend live_${slotOf("live", i.liveSlot)}_http`,
      `    default_backend live_${i.liveSlot}_http`,
      "",
      "# TLS passes through to the Istio gateway, which holds the certificates.",
      "frontend live_https",
      "    mode tcp",
      "    option tcplog",
      `    bind :${i.ports.https}`,
      ...liveAcls("tcp"),
      `    use_backend live_${slotOf("live", i.liveSlot)}_https`,
      `    default_backend live_${i.liveSlot}_https`,
      "",
    );
  }

  const admin = [...i.adminCidrs].sort();
  const preliveDefault = i.preliveSlot ?? i.liveSlot;
  add(
    "# Pre-live: the slot under test, only from admin networks (the security group agrees).",
    "frontend prelive_http",
    `    bind ${i.privateBindAddress}:${i.ports.preliveHttp}`,
    `    acl admin_net src ${admin.join(" ")}`,
    "    http-request deny deny_status 403 unless admin_net",
    "    option forwardfor",
    "    http-request set-header X-JSP-Edge prelive",
    `    use_backend slot_${slotOf("prelive", preliveDefault)}_http`,
    `    default_backend slot_${preliveDefault}_http`,
    "",
    ...(i.tls
      ? [
          "frontend prelive_https",
          tlsBind(`${i.privateBindAddress}:${i.ports.preliveHttps}`, i.tls),
          `    acl admin_net src ${admin.join(" ")}`,
          "    tcp-request connection reject unless admin_net",
          "    option forwardfor",
          "    http-request set-header X-JSP-Edge prelive",
          "    http-request set-header X-Forwarded-Proto https",
          `    use_backend slot_${slotOf("prelive", preliveDefault)}_http`,
          `    default_backend slot_${preliveDefault}_http`,
        ]
      : [
          "frontend prelive_https",
          "    mode tcp",
          "    option tcplog",
          `    bind ${i.privateBindAddress}:${i.ports.preliveHttps}`,
          `    acl admin_net src ${admin.join(" ")}`,
          "    tcp-request connection reject unless admin_net",
          `    use_backend slot_${slotOf("prelive", preliveDefault)}_https`,
          `    default_backend slot_${preliveDefault}_https`,
        ]),
    "",
    "# Entry for the other site's edge when it fails over to us: local nodes only, so two",
    "# failed sites never bounce requests between each other. Its monitor answers the peer's",
    "# health check: 200 while the live slot has a usable node, 503 otherwise.",
    "frontend peer_http",
    `    bind :${i.ports.peerHttp}`,
    `    monitor-uri ${i.checkPath}`,
  );
  add(...slotAcls(), ...monitorFail());
  add(
    "    option forwardfor",
    `    use_backend slot_${slotOf("live", i.liveSlot)}_http`,
    `    default_backend slot_${i.liveSlot}_http`,
    "",
    ...(i.tls
      ? [
          "# The other site's edge over TLS (its server lines verify our certificate): same monitor.",
          "frontend peer_https",
          tlsBind(`:${i.ports.peerHttps}`, i.tls),
          `    monitor-uri ${i.checkPath}`,
          ...slotAcls(),
          ...monitorFail(),
          "    option forwardfor",
          `    use_backend slot_${slotOf("live", i.liveSlot)}_http`,
          `    default_backend slot_${i.liveSlot}_http`,
        ]
      : [
          "frontend peer_https",
          "    mode tcp",
          "    option tcplog",
          `    bind :${i.ports.peerHttps}`,
          `    use_backend slot_${slotOf("live", i.liveSlot)}_https`,
          `    default_backend slot_${i.liveSlot}_https`,
        ]),
    "",
    "# Stats and Prometheus metrics: private bind (the VIP), admin networks, a user list whose",
    "# password comes from the environment (a @pulumi/random secret), HAProxy version hidden.",
    "frontend stats",
    `    bind ${i.privateBindAddress}:${i.ports.stats}`,
    `    acl admin_net src ${admin.join(" ")}`,
    "    http-request deny deny_status 403 unless admin_net",
    "    acl authorized http_auth(stats_users)",
    "    http-request auth realm jsp-edge unless authorized",
    "    http-request use-service prometheus-exporter if { path /metrics }",
    "    stats enable",
    "    stats uri /stats",
    "    stats refresh 10s",
    "    stats hide-version",
    "    stats show-node",
    "",
  );

  // Backends. Retries: a connection that failed is retried on another node for any method
  // (nothing was sent); a request that reached a node is retried only if idempotent.
  const l7Retries = [
    "    retry-on conn-failure empty-response response-timeout 502 503 504",
    "    acl idempotent method GET HEAD OPTIONS",
    "    http-request disable-l7-retry unless idempotent",
  ];
  const checkHttp = [
    "    option httpchk",
    `    http-check send meth GET uri ${i.checkPath} ver HTTP/1.1 hdr Host ${i.site}-edge`,
    "    http-check expect status 200",
  ];
  // With TLS on the edge, the HTTP backends reach the other site's edge over TLS (its peer
  // HTTPS port), verifying its certificate: user traffic never crosses sites in clear.
  const peerTls = (mode: "http" | "https") =>
    i.tls && mode === "http" ? { port: i.ports.peerHttps, opts: ` ${peerTlsOptions(i.tls)}` } : undefined;
  const peerServer = (backend: string, mode: "http" | "https") =>
    i.peer
      ? [
          `    server ${peerName} ${i.peer.address}:${peerTls(mode)?.port ?? (mode === "http" ? i.ports.peerHttp : i.ports.peerHttps)} backup track ${backend}/${peerName}${peerTls(mode)?.opts ?? ""}`,
        ]
      : [];

  for (const s of slots) {
    const servers = sortedServers(s.servers);
    const note =
      servers.length === 0
        ? [`    # slot ${s.name} has no ingress nodes (its stack has no outputs yet)`]
        : [];
    add(
      `backend live_${s.name}_http`,
      "    balance roundrobin",
      ...note,
      ...checkHttp,
      ...l7Retries,
      ...servers.map(
        (v) =>
          `    server ${v.name} ${v.address}:${i.nodePorts.http} check port ${i.nodePorts.status} observe layer4 error-limit ${h.observeErrorLimit} on-error mark-down`,
      ),
      ...peerServer("peer_http", "http"),
      "",
      `backend live_${s.name}_https`,
      "    mode tcp",
      "    balance roundrobin",
      ...note,
      ...servers.map(
        (v) => `    server ${v.name} ${v.address}:${i.nodePorts.https} track live_${s.name}_http/${v.name}`,
      ),
      ...peerServer("peer_https", "https"),
      "",
      `backend slot_${s.name}_http`,
      "    balance roundrobin",
      ...note,
      ...l7Retries,
      ...servers.map(
        (v) => `    server ${v.name} ${v.address}:${i.nodePorts.http} track live_${s.name}_http/${v.name}`,
      ),
      "",
      `backend slot_${s.name}_https`,
      "    mode tcp",
      "    balance roundrobin",
      ...note,
      ...servers.map(
        (v) => `    server ${v.name} ${v.address}:${i.nodePorts.https} track live_${s.name}_http/${v.name}`,
      ),
      "",
    );
  }
  if (i.peer) {
    add(
      `# The ${i.peer.site} site's edge: health through its peer frontend (its live slot's readiness).`,
      "backend peer_http",
      ...checkHttp,
      ...l7Retries,
      `    server ${peerName} ${i.peer.address}:${peerTls("http")?.port ?? i.ports.peerHttp} check${i.tls ? ` check-sni ${i.tls.peer.verifyName}${peerTls("http")!.opts}` : ""}`,
      "",
      "backend peer_https",
      "    mode tcp",
      `    server ${peerName} ${i.peer.address}:${i.ports.peerHttps} track peer_http/${peerName}`,
      "",
    );
  }
  return `${out.join("\n").replace(/\n+$/, "")}\n`;
}

/** The map file the live/pre-live frontends read: `live <slot>` and `prelive <slot>`. */
export function renderSlotsMap(input: { liveSlot: string; preliveSlot?: string }): string {
  checkName("liveSlot", input.liveSlot);
  const lines = [`live ${input.liveSlot}`];
  if (input.preliveSlot !== undefined) {
    checkName("preliveSlot", input.preliveSlot);
    lines.push(`prelive ${input.preliveSlot}`);
  }
  return `${lines.join("\n")}\n`;
}
