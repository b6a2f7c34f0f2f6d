// Edge drill: real HAProxy (and keepalived) with the config the iu stack renders, only
// addresses and file paths substituted, against simulated ingress nodes in network
// namespaces. Each scenario also runs the seed-000 baseline (default checks, a monitor loop
// polling every 10 s) under the same load, and reports both.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseStackConfig } from "../../components/config";
import { edgeHaproxyInput } from "../../components/edge/render/edge-input";
import { renderHaproxyConfig, renderSlotsMap } from "../../components/edge/render/haproxy";
import {
  renderHaproxyCheckScript,
  renderKeepalivedAuth,
  renderKeepalivedConfig,
  renderNotifyScript,
} from "../../components/edge/render/keepalived";
import { resolveStack } from "../lib/stack-files";
import { clearLatch, mapText, switchSlots } from "../edge/runtime";
import {
  firstTrue,
  HaproxyProc,
  RequestResult,
  runLoad,
  runtimeApi,
  serverStates,
  startHaproxy,
  writeScripts,
} from "./edge-sim";
import { cleanupAll, Lab, nsExec, registerCleanup, sh, sleep, startInNs } from "./netns";
import type { DrillContext, DrillScenario, ScenarioReport } from "./types";

// Drill addresses (documentation ranges only) standing in for the cloud's.
const VIP = "192.0.2.100";
const EDGE1 = "192.0.2.11";
const EDGE2 = "192.0.2.12";
const PAAS_A = ["192.0.2.21", "192.0.2.22", "192.0.2.23"];
const PAAS_B = ["192.0.2.31", "192.0.2.32"];
const TACC_EDGE = "198.51.100.140";
const CLIENT = "203.0.113.10";
const NODE_PORTS = { http: 30080, https: 30443, status: 30021 };
const STATS_PASSWORD = "drill-only-not-a-real-secret";

interface EdgeIuConfig {
  liveSlot: string;
  preliveSlot?: string;
  adminCidrs: string[];
  ports: Record<string, number>;
  health: Record<string, number>;
  statsUser: string;
  vrid: number;
  slotNames: string[];
}

/** The iu stack's edge config, parsed by the project's schema (Pulumi.iu.yaml). */
function iuEdgeConfig(): EdgeIuConfig {
  const files = resolveStack("iu");
  const { config } = parseStackConfig("site", {
    values: files.config,
    secretKeys: new Set(files.secretKeys),
  });
  if (!config.edge) throw new Error("Pulumi.iu.yaml has no jetstream-paas:edge section");
  return {
    liveSlot: config.edge.live,
    preliveSlot: config.edge.prelive,
    adminCidrs: config.adminCidrs,
    ports: config.edge.ports,
    health: config.edge.healthCheck,
    statsUser: config.edge.statsUser,
    vrid: config.edge.virtualRouterId,
    slotNames: Object.keys(config.edge.slots).sort(),
  };
}

interface Paths {
  dir: string;
  socket: string;
  state: string;
  map: string;
}

function edgeFiles(dir: string, name: string): Paths {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  return {
    dir: d,
    socket: join(d, "admin.sock"),
    state: join(d, "server-state"),
    map: join(d, "jsp-slots.map"),
  };
}

/** haproxy.cfg as the iu stack renders it, with drill addresses and paths. */
function renderDrillHaproxy(cfg: EdgeIuConfig, p: Paths): string {
  const nodes: Record<string, string[]> = { paasA: PAAS_A, paasB: PAAS_B };
  const text = renderHaproxyConfig(
    edgeHaproxyInput({
      site: "iu",
      liveSlot: cfg.liveSlot,
      preliveSlot: cfg.preliveSlot,
      slots: cfg.slotNames.map((s) => ({ name: s, ingressNodes: nodes[s] })),
      nodePorts: NODE_PORTS,
      peer: { site: "tacc", address: TACC_EDGE },
      ports: cfg.ports,
      vip: VIP,
      adminCidrs: cfg.adminCidrs,
      statsUser: cfg.statsUser,
      health: cfg.health,
      paths: { adminSocket: p.socket, stateFile: p.state, slotsMap: p.map },
      // the drill has no syslog: HAProxy logs to its own stderr (the edge's log file)
      extraGlobal: ["log stderr format raw local0 info"],
    }),
  );
  writeFileSync(p.map, renderSlotsMap({ liveSlot: cfg.liveSlot, preliveSlot: cfg.preliveSlot }));
  return text;
}

interface Site {
  lab: Lab;
  client: string;
  edges: string[];
  nodeNs: Record<string, string>;
  taccNs: string;
  scripts: { node: string; load: string };
  logDir: string;
}

async function buildSite(ctx: DrillContext, edgeCount: 1 | 2): Promise<Site> {
  const lab = new Lab();
  const logDir = join(ctx.workDir, "logs");
  mkdirSync(logDir, { recursive: true });
  const scripts = writeScripts(ctx.workDir);
  const client = lab.host("cli", [CLIENT]).ns;
  const edges: string[] = [];
  const edgeAddrs = edgeCount === 2 ? [EDGE1, EDGE2] : [EDGE1];
  edgeAddrs.forEach((ip, k) => {
    const ns = lab.host(`edge${k + 1}`, [ip]).ns;
    nsExec(ns, "sysctl", ["-q", "-w", "net.ipv4.ip_nonlocal_bind=1"]);
    edges.push(ns);
  });
  if (edgeCount === 1) sh("ip", ["-n", edges[0], "addr", "add", `${VIP}/24`, "dev", "eth0"]);
  const nodeNs: Record<string, string> = {};
  const all: Array<[string, string, string]> = [
    ...PAAS_A.map((ip, k): [string, string, string] => [`a${k + 1}`, ip, `paasA-${k + 1}`]),
    ...PAAS_B.map((ip, k): [string, string, string] => [`b${k + 1}`, ip, `paasB-${k + 1}`]),
  ];
  for (const [role, ip, name] of all) {
    const ns = lab.host(role, [ip]).ns;
    nodeNs[ip] = ns;
    startInNs(
      ns,
      name,
      process.execPath,
      [scripts.node, name, ip, String(NODE_PORTS.http), `15021,${NODE_PORTS.status}`],
      join(logDir, `${name}.log`),
    );
  }
  // The TACC site as the IU edge sees it: its edge's peer frontend (app + readiness on 8081).
  const taccNs = lab.host("tacc", [TACC_EDGE]).ns;
  startInNs(
    taccNs,
    "tacc",
    process.execPath,
    [scripts.node, "tacc", TACC_EDGE, "8081,8444", ""],
    join(logDir, "tacc.log"),
  );
  const ready = await firstTrue(async () => {
    const out = nsExec(client, "curl", [
      "-s",
      "-m",
      "1",
      `http://${PAAS_A[0]}:${NODE_PORTS.status}/healthz/ready`,
    ]);
    return out.includes("ready");
  }, 5000);
  if (!ready) throw new Error("simulated ingress nodes did not start");
  ctx.log(`  lab ${lab.tag}: ${lab.namespaces.length} namespaces`);
  return { lab, client, edges, nodeNs, taccNs, scripts, logDir };
}

const failed = (rs: RequestResult[]) => rs.filter((r) => !r.ok);
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

function summary(rs: RequestResult[]) {
  const bad = failed(rs);
  const byServer: Record<string, number> = {};
  for (const r of rs)
    if (r.ok) byServer[r.by.replace(/-\d+$/, "")] = (byServer[r.by.replace(/-\d+$/, "")] ?? 0) + 1;
  return {
    requests: rs.length,
    failed: bad.length,
    failedPercent: rs.length ? round((100 * bad.length) / rs.length, 2) : 0,
    servedBy: byServer,
    errors: [...new Set(bad.map((r) => r.err ?? `HTTP ${r.status}`))].slice(0, 5),
  };
}

function iptables(ns: string, args: string[]): void {
  nsExec(ns, "iptables", args);
}

async function startEdge(site: Site, cfg: EdgeIuConfig, k: number): Promise<{ h: HaproxyProc; p: Paths }> {
  const p = edgeFiles(join(site.logDir, ".."), `edge${k + 1}`);
  const cfgFile = join(p.dir, "haproxy.cfg");
  writeFileSync(cfgFile, renderDrillHaproxy(cfg, p));
  const h = await startHaproxy(
    site.edges[k],
    `haproxy-edge${k + 1}`,
    cfgFile,
    p.socket,
    join(site.logDir, `haproxy-edge${k + 1}.log`),
    {
      JSP_STATS_PASSWORD: STATS_PASSWORD,
    },
  );
  return { h, p };
}

async function reloadHitless(h: HaproxyProc, p: Paths): Promise<void> {
  // what jsp-edge-apply does: save server states, then reload the master
  writeFileSync(p.state, await runtimeApi(p.socket, "show servers state"));
  h.reload();
}

// ---------------------------------------------------------------- baseline (seed 000)

/**
 * What seed 000 ran: HAProxy with default checks (TCP connect, inter 2 s, fall 3, no
 * retries) to IU only, and a monitor script that polls IU every 10 s and, when IU fails,
 * rewrites the config to TACC and restarts HAProxy.
 */
function baselineConfig(p: Paths, target: "iu" | "tacc" | "paasB"): string {
  const servers =
    target === "tacc"
      ? [`    server tacc ${TACC_EDGE}:8081 check`]
      : (target === "iu" ? PAAS_A : PAAS_B).map(
          (ip, k) => `    server n${k + 1} ${ip}:${NODE_PORTS.http} check`,
        );
  return [
    "global",
    `    stats socket ${p.socket} mode 600 level admin`,
    "defaults",
    "    mode http",
    "    timeout connect 5s",
    "    timeout client 50s",
    "    timeout server 50s",
    "frontend fe",
    `    bind ${VIP}:80`,
    "    default_backend app",
    "backend app",
    "    balance roundrobin",
    ...servers,
    "",
  ].join("\n");
}

class Baseline {
  h?: HaproxyProc;
  switchedAt?: number;
  private stop = false;
  private loop?: Promise<void>;
  constructor(
    private site: Site,
    private p: Paths,
  ) {}
  async start(target: "iu" | "tacc" | "paasB" = "iu"): Promise<void> {
    const f = join(this.p.dir, "baseline.cfg");
    writeFileSync(f, baselineConfig(this.p, target));
    this.h = await startHaproxy(
      this.site.edges[0],
      "haproxy-baseline",
      f,
      this.p.socket,
      join(this.site.logDir, "baseline.log"),
      {},
      false,
    );
  }
  /** seed 000's restart: stop the process, start it with the new config (no hitless reload) */
  async restart(target: "iu" | "tacc" | "paasB"): Promise<void> {
    await this.h?.proc.stop(1000);
    await this.start(target);
  }
  /** the monitor script: every 10 s, all IU nodes failing -> switch to TACC */
  monitor(): void {
    this.loop = (async () => {
      while (!this.stop) {
        for (let i = 0; i < 100 && !this.stop; i++) await sleep(100);
        if (this.stop || this.switchedAt) continue;
        const up = PAAS_A.some((ip) => {
          try {
            nsExec(this.site.edges[0], "curl", [
              "-s",
              "-o",
              "/dev/null",
              "-m",
              "2",
              `http://${ip}:${NODE_PORTS.http}/`,
            ]);
            return true;
          } catch {
            return false;
          }
        });
        if (!up) {
          await this.restart("tacc");
          this.switchedAt = Date.now();
        }
      }
    })();
  }
  async close(): Promise<void> {
    this.stop = true;
    await this.loop;
    await this.h?.proc.stop(1000);
  }
}

async function detectDown(
  socket: string,
  backend: string,
  servers: string[],
  from: number,
  timeoutMs: number,
) {
  const at = await firstTrue(async () => {
    const st = await serverStates(socket);
    return servers.every((s) => st.some((x) => x.backend === backend && x.server === s && x.opState === 0));
  }, timeoutMs);
  return at === undefined ? undefined : round((at - from) / 1000, 2);
}

// ---------------------------------------------------------------- scenarios

const LOAD = { rate: 150, seconds: 10, concurrency: 16 };

async function withSite<T>(ctx: DrillContext, edges: 1 | 2, fn: (site: Site) => Promise<T>): Promise<T> {
  try {
    const site = await buildSite(ctx, edges);
    return await fn(site);
  } finally {
    cleanupAll(ctx.log);
  }
}

function report(
  name: string,
  targets: Array<[string, boolean]>,
  figures: Record<string, unknown>,
): ScenarioReport {
  return {
    name,
    passed: targets.every(([, ok]) => ok),
    targets: targets.map(([t]) => t),
    missed: targets.filter(([, ok]) => !ok).map(([t]) => t),
    ...figures,
  };
}

async function ingressNodeRefuse(ctx: DrillContext): Promise<ScenarioReport> {
  const cfg = iuEdgeConfig();
  const refuse = (site: Site) =>
    iptables(site.nodeNs[PAAS_A[0]], [
      "-A",
      "INPUT",
      "-p",
      "tcp",
      "-m",
      "multiport",
      "--dports",
      `${NODE_PORTS.http},${NODE_PORTS.status},15021`,
      "-j",
      "REJECT",
      "--reject-with",
      "tcp-reset",
    ]);
  const ours = await withSite(ctx, 1, async (site) => {
    const { p } = await startEdge(site, cfg, 0);
    await sleep(1500);
    const load = runLoad(site.client, site.scripts.load, `http://${VIP}/`, LOAD);
    await sleep(3000);
    const t0 = Date.now();
    refuse(site);
    const detection = await detectDown(p.socket, `live_${cfg.liveSlot}_http`, [`paasa-2-21`], t0, 8000);
    const rs = await load;
    return {
      detectionSeconds: detection,
      ...summary(rs),
      failedAfterDetection:
        detection === undefined ? undefined : failed(rs).filter((r) => r.t >= t0 + detection * 1000).length,
    };
  });
  const base = await withSite(ctx, 1, async (site) => {
    const b = new Baseline(site, edgeFiles(join(site.logDir, ".."), "baseline"));
    await b.start();
    await sleep(1500);
    const load = runLoad(site.client, site.scripts.load, `http://${VIP}/`, LOAD);
    await sleep(3000);
    const t0 = Date.now();
    refuse(site);
    const detection = await detectDown(b.h!.socket, "app", ["n1"], t0, 9000);
    const rs = await load;
    await b.close();
    return { detectionSeconds: detection, ...summary(rs) };
  });
  return report(
    "ingress-node-refuse",
    [
      ["detectionSeconds <= 2", ours.detectionSeconds !== undefined && ours.detectionSeconds <= 2],
      ["failed < 1 %", ours.failedPercent < 1],
    ],
    { ...ours, baseline: base },
  );
}

async function siteBlackhole(ctx: DrillContext): Promise<ScenarioReport> {
  const cfg = iuEdgeConfig();
  const blackhole = (site: Site, on: boolean) => {
    for (const ip of PAAS_A)
      iptables(site.nodeNs[ip], [on ? "-A" : "-D", "INPUT", "-p", "tcp", "-j", "DROP"]);
  };
  const seconds = 22;
  const ours = await withSite(ctx, 1, async (site) => {
    const { p } = await startEdge(site, cfg, 0);
    await sleep(1500);
    const start = Date.now();
    const load = runLoad(site.client, site.scripts.load, `http://${VIP}/`, { ...LOAD, rate: 100, seconds });
    await sleep(3000);
    const t0 = Date.now();
    blackhole(site, true);
    const names = PAAS_A.map((ip) => `paasa-2-${ip.split(".")[3]}`);
    const detection = await detectDown(p.socket, `live_${cfg.liveSlot}_http`, names, t0, 10000);
    // IU comes back: the latch must keep traffic on TACC (no automatic fail-back)
    await sleep(Math.max(0, t0 + 7000 - Date.now()));
    const tBack = Date.now();
    blackhole(site, false);
    const upAgain = await firstTrue(
      async () =>
        (await serverStates(p.socket)).some(
          (x) => x.backend === `live_${cfg.liveSlot}_http` && x.server === names[0] && x.opState !== 0,
        ),
      10000,
    );
    const rs = await load;
    const afterUp = upAgain ? rs.filter((r) => r.t > upAgain + 500) : [];
    const latch = await runtimeApi(p.socket, "show table failover_latch");
    await clearLatch((c) => runtimeApi(p.socket, c));
    return {
      detectionSeconds: detection,
      ...summary(rs),
      failedAfterDetection:
        detection === undefined ? undefined : failed(rs).filter((r) => r.t >= t0 + detection * 1000).length,
      servedByTaccAfterDetection:
        detection === undefined
          ? 0
          : rs.filter((r) => r.ok && r.t >= t0 + detection * 1000 && r.by === "tacc").length,
      iuNodesUpAgainSeconds: upAgain ? round((upAgain - tBack) / 1000, 2) : undefined,
      requestsAfterIuReturned: afterUp.length,
      servedByIuAfterIuReturned: afterUp.filter((r) => r.by.startsWith("paasA")).length,
      latchSet: /gpt0=1/.test(latch),
      loadSeconds: round((Date.now() - start) / 1000, 1),
    };
  });
  const base = await withSite(ctx, 1, async (site) => {
    const b = new Baseline(site, edgeFiles(join(site.logDir, ".."), "baseline"));
    await b.start();
    await sleep(1500);
    const load = runLoad(site.client, site.scripts.load, `http://${VIP}/`, {
      ...LOAD,
      rate: 100,
      seconds: 20,
    });
    b.monitor();
    await sleep(3000);
    const t0 = Date.now();
    blackhole(site, true);
    const rs = await load;
    await b.close();
    const detection = b.switchedAt ? round((b.switchedAt - t0) / 1000, 2) : undefined;
    return {
      detectionSeconds: detection,
      ...summary(rs),
      failedAfterDetection:
        detection === undefined ? undefined : failed(rs).filter((r) => r.t >= t0 + detection * 1000).length,
    };
  });
  return report(
    "site-blackhole",
    [
      ["detectionSeconds <= 5", ours.detectionSeconds !== undefined && ours.detectionSeconds <= 5],
      ["failedAfterDetection == 0", ours.failedAfterDetection === 0],
      ["traffic moves to TACC", ours.servedByTaccAfterDetection > 0],
      ["no automatic fail-back", ours.requestsAfterIuReturned > 0 && ours.servedByIuAfterIuReturned === 0],
    ],
    { ...ours, baseline: base },
  );
}

async function plannedSwitch(ctx: DrillContext): Promise<ScenarioReport> {
  const cfg = iuEdgeConfig();
  const to = cfg.slotNames.find((s) => s !== cfg.liveSlot)!;
  const ours = await withSite(ctx, 1, async (site) => {
    const { p } = await startEdge(site, cfg, 0);
    await sleep(1500);
    const load = runLoad(site.client, site.scripts.load, `http://${VIP}/`, LOAD);
    await sleep(4000);
    const t0 = Date.now();
    await switchSlots((c) => runtimeApi(p.socket, c), p.map, { live: to, prelive: cfg.liveSlot });
    writeFileSync(p.map, mapText({ live: to, prelive: cfg.liveSlot }));
    const rs = await load;
    const after = rs.filter((r) => r.t > t0 + 100);
    return {
      ...summary(rs),
      servedByNewSlotAfterSwitch: after.filter((r) => r.by.startsWith(to)).length,
      requestsAfterSwitch: after.length,
    };
  });
  const base = await withSite(ctx, 1, async (site) => {
    const b = new Baseline(site, edgeFiles(join(site.logDir, ".."), "baseline"));
    await b.start("iu");
    await sleep(1500);
    const load = runLoad(site.client, site.scripts.load, `http://${VIP}/`, LOAD);
    await sleep(4000);
    await b.restart("paasB");
    const rs = await load;
    await b.close();
    return summary(rs);
  });
  return report(
    "planned-switch",
    [
      ["requests >= 1000", ours.requests >= 1000],
      ["failed == 0", ours.failed === 0],
      [
        "every request after the switch on the new slot",
        ours.servedByNewSlotAfterSwitch === ours.requestsAfterSwitch,
      ],
    ],
    { from: cfg.liveSlot, to, ...ours, baseline: { method: "edit config + restart (seed 000)", ...base } },
  );
}

async function reloadUnderLoad(ctx: DrillContext): Promise<ScenarioReport> {
  const cfg = iuEdgeConfig();
  const reloads = 5;
  const ours = await withSite(ctx, 1, async (site) => {
    const { h, p } = await startEdge(site, cfg, 0);
    await sleep(1500);
    const load = runLoad(site.client, site.scripts.load, `http://${VIP}/`, LOAD);
    await sleep(2000);
    const t0 = Date.now();
    const reloadAtMs: number[] = [];
    for (let k = 0; k < reloads; k++) {
      reloadAtMs.push(Date.now() - t0);
      await reloadHitless(h, p);
      await sleep(1500);
    }
    const rs = await load;
    const latch = await runtimeApi(p.socket, "show table failover_latch");
    const tacc = rs.filter((r) => r.by === "tacc").map((r) => r.t - t0);
    return {
      reloads,
      ...summary(rs),
      latchSet: /gpt0=1/.test(latch),
      taccAtMs: tacc.slice(0, 10),
      reloadAtMs,
    };
  });
  const base = await withSite(ctx, 1, async (site) => {
    const b = new Baseline(site, edgeFiles(join(site.logDir, ".."), "baseline"));
    await b.start("iu");
    await sleep(1500);
    const load = runLoad(site.client, site.scripts.load, `http://${VIP}/`, LOAD);
    await sleep(2000);
    for (let k = 0; k < reloads; k++) {
      await b.restart("iu");
      await sleep(1500);
    }
    const rs = await load;
    await b.close();
    return { reloads, method: "restart (seed 000)", ...summary(rs) };
  });
  return report(
    "reload-under-load",
    [
      ["requests >= 1000", ours.requests >= 1000],
      ["failed == 0", ours.failed === 0],
    ],
    { ...ours, baseline: base },
  );
}

function vipHolder(site: Site): number {
  for (let k = 0; k < site.edges.length; k++) {
    if (sh("ip", ["-n", site.edges[k], "-4", "addr", "show", "dev", "eth0"]).includes(`${VIP}/`)) return k;
  }
  return -1;
}

async function edgeNodeLoss(ctx: DrillContext): Promise<ScenarioReport> {
  const cfg = iuEdgeConfig();
  const run = async (fault: "haproxy-killed" | "host-down") =>
    withSite(ctx, 2, async (site) => {
      // keepalived refuses scripts in world-writable paths (enable_script_security): /run, not /tmp
      const secure = mkdtempSync("/run/jsp-drill-");
      chmodSync(secure, 0o755);
      registerCleanup(`dir ${secure}`, () => rmSync(secure, { recursive: true, force: true }));
      const edges = [];
      for (let k = 0; k < 2; k++) edges.push(await startEdge(site, cfg, k));
      const kas = [EDGE1, EDGE2].map((ip, k) => {
        const d = join(secure, `${fault}-edge${k + 1}`);
        mkdirSync(d, { recursive: true, mode: 0o755 });
        const check = join(d, "check");
        const notify = join(d, "notify");
        const auth = join(d, "auth.conf");
        writeFileSync(
          check,
          renderHaproxyCheckScript(`http://127.0.0.1:${cfg.ports.peerHttp}/healthz/ready`),
          { mode: 0o755 },
        );
        writeFileSync(notify, renderNotifyScript(join(d, "vrrp.log")), { mode: 0o755 });
        writeFileSync(auth, renderKeepalivedAuth("Dr1llPw8"), { mode: 0o600 });
        const conf = join(d, "keepalived.conf");
        writeFileSync(
          conf,
          renderKeepalivedConfig({
            self: { name: `iu-edge-${k + 1}`, address: ip },
            peers: [{ name: `iu-edge-${2 - k}`, address: k === 0 ? EDGE2 : EDGE1 }],
            vip: VIP,
            prefixLength: 24,
            interface: "eth0",
            virtualRouterId: cfg.vrid,
            priority: 110 - k * 10,
            advertIntSeconds: 1,
            check: { script: check, intervalSeconds: 1, fall: 2, rise: 2 },
            notifyScript: notify,
            authFile: auth,
          }),
        );
        return startInNs(
          site.edges[k],
          `keepalived-edge${k + 1}`,
          "keepalived",
          ["-n", "-l", "-D", "-P", "-f", conf, "-p", join(d, "k.pid"), "-r", join(d, "vrrp.pid")],
          join(site.logDir, `keepalived-edge${k + 1}.log`),
        );
      });
      const elected = await firstTrue(async () => vipHolder(site) >= 0, 10000, 100);
      if (!elected) throw new Error("no edge took the VIP");
      const master = vipHolder(site);
      const other = 1 - master;
      await sleep(1000);
      const load = runLoad(site.client, site.scripts.load, `http://${VIP}/`, {
        rate: 100,
        seconds: 12,
        concurrency: 16,
      });
      await sleep(3000);
      const t0 = Date.now();
      if (fault === "haproxy-killed") process.kill(edges[master].h.proc.pid, "SIGKILL");
      else sh("ip", ["-n", site.edges[master], "link", "set", "eth0", "down"]);
      const took = await firstTrue(
        async () =>
          sh("ip", ["-n", site.edges[other], "-4", "addr", "show", "dev", "eth0"]).includes(`${VIP}/`),
        10000,
        20,
      );
      const rs = await load;
      const firstOkAfter = rs.filter((r) => r.ok && r.t > t0 && r.by !== "").sort((a, b) => a.t - b.t);
      const lastFail = failed(rs)
        .filter((r) => r.t >= t0)
        .sort((a, b) => b.t - a.t)[0];
      await Promise.all(kas.map((k) => k.stop(2000)));
      return {
        fault,
        takeoverSeconds: took === undefined ? undefined : round((took - t0) / 1000, 2),
        serviceRestoredSeconds: lastFail ? round((lastFail.t + lastFail.ms - t0) / 1000, 2) : 0,
        firstServedAfterFaultSeconds: firstOkAfter[0] ? round((firstOkAfter[0].t - t0) / 1000, 2) : undefined,
        ...summary(rs),
      };
    });
  const killed = await run("haproxy-killed");
  const down = await run("host-down");
  return report(
    "edge-node-loss",
    [
      [
        "takeoverSeconds <= 4 (HAProxy killed)",
        killed.takeoverSeconds !== undefined && killed.takeoverSeconds <= 4,
      ],
      ["takeoverSeconds <= 4 (host down)", down.takeoverSeconds !== undefined && down.takeoverSeconds <= 4],
    ],
    {
      takeoverSeconds: Math.max(killed.takeoverSeconds ?? Infinity, down.takeoverSeconds ?? Infinity),
      requests: killed.requests + down.requests,
      failed: killed.failed + down.failed,
      variants: [killed, down],
      baseline: {
        note: "seed 000 ran one HAProxy and assumed it would not fail: losing it is an outage until someone rebuilds it",
      },
    },
  );
}

/** A short scenario for `npm test`: one node refuses, HAProxy notices within its bounds. */
export async function quickRefuse(ctx: DrillContext): Promise<ScenarioReport> {
  const cfg = iuEdgeConfig();
  return withSite(ctx, 1, async (site) => {
    const { p } = await startEdge(site, cfg, 0);
    await sleep(1000);
    const load = runLoad(site.client, site.scripts.load, `http://${VIP}/`, {
      rate: 100,
      seconds: 4,
      concurrency: 8,
    });
    await sleep(1000);
    const t0 = Date.now();
    iptables(site.nodeNs[PAAS_A[0]], [
      "-A",
      "INPUT",
      "-p",
      "tcp",
      "-j",
      "REJECT",
      "--reject-with",
      "tcp-reset",
    ]);
    const detection = await detectDown(p.socket, `live_${cfg.liveSlot}_http`, ["paasa-2-21"], t0, 5000);
    const rs = await load;
    const s = summary(rs);
    return report(
      "quick-refuse",
      [
        ["detected", detection !== undefined],
        ["failed < 1 %", s.failedPercent < 1],
      ],
      { detectionSeconds: detection, ...s },
    );
  });
}

export const EDGE_SCENARIOS: DrillScenario[] = [
  {
    name: "ingress-node-refuse",
    description: "one IU ingress node refuses; detection <= 2 s, < 1 % failed (and the seed-000 baseline)",
    timeoutSeconds: 90,
    run: ingressNodeRefuse,
  },
  {
    name: "site-blackhole",
    description: "every IU node drops silently; traffic moves to TACC in <= 5 s and stays there",
    timeoutSeconds: 120,
    run: siteBlackhole,
  },
  {
    name: "planned-switch",
    description: "live paasA -> paasB through the runtime API under load, 0 failed",
    timeoutSeconds: 90,
    run: plannedSwitch,
  },
  {
    name: "reload-under-load",
    description: "5 hitless reloads under load, 0 failed",
    timeoutSeconds: 90,
    run: reloadUnderLoad,
  },
  {
    name: "edge-node-loss",
    description: "keepalived pair: the VIP holder loses HAProxy / its link; takeover <= 4 s",
    timeoutSeconds: 120,
    run: edgeNodeLoss,
  },
];

// read by tests that want to be sure the drill used the stack's own config
export function drillHaproxyConfigText(dir: string): string {
  const p = edgeFiles(dir, "inspect");
  const text = renderDrillHaproxy(iuEdgeConfig(), p);
  return text + readFileSync(p.map, "utf8").replace(/^/gm, "# map: ");
}
