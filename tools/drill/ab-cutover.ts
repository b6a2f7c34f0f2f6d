// Drill "ab-cutover": the A/B upgrade of seed 002 under load. Real HAProxy runs the config the
// iu stack renders (the edge component's own builder; only addresses and paths substituted) in
// front of simulated paasA and paasB ingress nodes in network namespaces, and the real
// `npm run ab` (synth runner, the drill's HAProxy socket) does each step while a client sends
// live traffic: smoke paasB through pre-live, switch to paasB, roll back, switch again, retire
// paasA. Per phase: requests, failed, and requests served by the old slot after the switch.
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseDocument } from "yaml";
import { parseStackConfig } from "../../components/config";
import { edgeHaproxyInput } from "../../components/edge/render/edge-input";
import { renderHaproxyConfig, renderSlotsMap } from "../../components/edge/render/haproxy";
import { parseMap } from "../edge/runtime";
import { REPO_ROOT, resolveStack } from "../lib/stack-files";
import { firstTrue, RequestResult, runLoad, runtimeApi, startHaproxy, writeScripts } from "./edge-sim";
import { cleanupAll, Lab, nsExec, Proc, sleep, startInNs } from "./netns";
import type { DrillContext, DrillScenario, ScenarioReport } from "./types";

// documentation ranges only
const VIP = "192.0.2.100";
const EDGE = "192.0.2.11";
const NODES: Record<string, string[]> = {
  paasA: ["192.0.2.21", "192.0.2.22", "192.0.2.23"],
  paasB: ["192.0.2.31", "192.0.2.32"],
};
const TACC_EDGE = "198.51.100.140";
const CLIENT = "203.0.113.10";
const NODE_PORTS = { http: 30080, https: 30443, status: 30021 };
const LOAD = { rate: 150, seconds: 10, concurrency: 16 };

interface Lab2 {
  lab: Lab;
  client: string;
  edge: string;
  nodes: Record<string, Proc[]>;
  scripts: { node: string; load: string };
  logDir: string;
}

function siteConfig() {
  const files = resolveStack("iu");
  const { config } = parseStackConfig("site", {
    values: files.config,
    secretKeys: new Set(files.secretKeys),
  });
  if (!config.edge) throw new Error("Pulumi.iu.yaml has no edge section");
  return config;
}

/** haproxy.cfg as the iu stack renders it; `without` slots get no nodes (their stack is gone). */
function renderConfig(
  dir: string,
  live: string,
  prelive: string | undefined,
  without: string[] = [],
): { cfg: string; socket: string; map: string; state: string } {
  const config = siteConfig();
  const edge = config.edge!;
  const p = {
    socket: join(dir, "admin.sock"),
    map: join(dir, "jsp-slots.map"),
    state: join(dir, "server-state"),
  };
  const text = renderHaproxyConfig(
    edgeHaproxyInput({
      site: "iu",
      liveSlot: live,
      preliveSlot: prelive,
      slots: Object.keys(edge.slots)
        .sort()
        .map((s) => ({ name: s, ingressNodes: without.includes(s) ? undefined : NODES[s] })),
      nodePorts: NODE_PORTS,
      peer: { site: "tacc", address: TACC_EDGE },
      ports: edge.ports,
      vip: VIP,
      adminCidrs: config.adminCidrs,
      statsUser: edge.statsUser,
      health: edge.healthCheck,
      paths: { adminSocket: p.socket, stateFile: p.state, slotsMap: p.map },
      extraGlobal: ["log stderr format raw local0 info"],
    }),
  );
  const cfg = join(dir, "haproxy.cfg");
  writeFileSync(cfg, text);
  writeFileSync(p.map, renderSlotsMap({ liveSlot: live, preliveSlot: prelive }));
  return { cfg, ...p };
}

async function buildLab(ctx: DrillContext): Promise<Lab2> {
  const lab = new Lab();
  const logDir = join(ctx.workDir, "logs");
  mkdirSync(logDir, { recursive: true });
  const scripts = writeScripts(ctx.workDir);
  const client = lab.host("cli", [CLIENT]).ns;
  const edge = lab.host("edge1", [EDGE]).ns;
  nsExec(edge, "sysctl", ["-q", "-w", "net.ipv4.ip_nonlocal_bind=1"]);
  nsExec(edge, "ip", ["addr", "add", `${VIP}/24`, "dev", "eth0"]);
  const nodes: Record<string, Proc[]> = { paasA: [], paasB: [] };
  for (const [slot, ips] of Object.entries(NODES)) {
    ips.forEach((ip, k) => {
      const name = `${slot}-${k + 1}`;
      const ns = lab.host(`${slot === "paasA" ? "a" : "b"}${k + 1}`, [ip]).ns;
      nodes[slot].push(
        startInNs(
          ns,
          name,
          process.execPath,
          [scripts.node, name, ip, String(NODE_PORTS.http), `15021,${NODE_PORTS.status}`],
          join(logDir, `${name}.log`),
        ),
      );
    });
  }
  const tacc = lab.host("tacc", [TACC_EDGE]).ns;
  startInNs(
    tacc,
    "tacc",
    process.execPath,
    [scripts.node, "tacc", TACC_EDGE, "8081,8444", ""],
    join(logDir, "tacc.log"),
  );
  const ready = await firstTrue(
    async () =>
      nsExec(client, "curl", [
        "-s",
        "-m",
        "1",
        `http://${NODES.paasB[0]}:${NODE_PORTS.status}/healthz/ready`,
      ]).includes("ready"),
    5000,
  );
  if (!ready) throw new Error("simulated ingress nodes did not start");
  ctx.log(`  lab ${lab.tag}: ${lab.namespaces.length} namespaces`);
  return { lab, client, edge, nodes, scripts, logDir };
}

interface AbRun {
  code: number;
  out: string;
  ms: number;
}

/** Runs the real `npm run ab` CLI (synth runner), optionally inside a namespace. */
function ab(args: string[], synthOut: string, ns?: string): Promise<AbRun> {
  const node = [
    process.execPath,
    "--import",
    "tsx",
    join(REPO_ROOT, "tools", "ab.ts"),
    ...args,
    "--runner",
    "synth",
    "--synth-out",
    synthOut,
  ];
  const [cmd, ...argv] = ns ? ["ip", "netns", "exec", ns, ...node] : node;
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { cwd: REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    const killer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("exit", (code) => {
      clearTimeout(killer);
      resolve({ code: code ?? -1, out, ms: Date.now() - t0 });
    });
  });
}

function synth(stack: string, outRoot: string, config?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const args = [
      "--import",
      "tsx",
      join(REPO_ROOT, "tools", "synth.ts"),
      stack,
      "--out",
      outRoot,
      "--quiet",
      ...(config ? ["--config", config] : []),
    ];
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: "ignore" });
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`synth ${stack} failed`))));
  });
}

/** The site config the drill's synth runner uses: the iu stack's, with no soak (the drill retires at once). */
function writeOverlay(synthOut: string): void {
  const doc = parseDocument(readFileSync(join(REPO_ROOT, "Pulumi.iu.yaml"), "utf8"));
  doc.setIn(["config", "jetstream-paas:ab", "soakMinutes"], 0);
  mkdirSync(join(synthOut, "ab", "stacks"), { recursive: true });
  writeFileSync(join(synthOut, "ab", "stacks", "Pulumi.iu.yaml"), doc.toString());
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const slotOf = (by: string) => by.replace(/-\d+$/, "");

function phaseFigures(rs: RequestResult[], switchedAt?: number, oldSlot?: string) {
  const failed = rs.filter((r) => !r.ok);
  const servedBy: Record<string, number> = {};
  for (const r of rs) if (r.ok) servedBy[slotOf(r.by)] = (servedBy[slotOf(r.by)] ?? 0) + 1;
  const after = switchedAt === undefined ? [] : rs.filter((r) => r.t > switchedAt);
  return {
    requests: rs.length,
    failed: failed.length,
    servedBy,
    errors: [...new Set(failed.map((r) => r.err ?? `HTTP ${r.status}`))].slice(0, 5),
    ...(switchedAt === undefined
      ? {}
      : {
          requestsAfterSwitch: after.length,
          servedByOldSlotAfterSwitch: after.filter((r) => r.ok && slotOf(r.by) === oldSlot).length,
        }),
  };
}

/** When the runtime map says `live` (polled every 20 ms), ms epoch. */
function liveAt(socket: string, mapFile: string, live: string): Promise<number | undefined> {
  return firstTrue(
    async () => parseMap(await runtimeApi(socket, `show map ${mapFile}`)).live === live,
    60_000,
    20,
  );
}

async function cutover(ctx: DrillContext): Promise<ScenarioReport> {
  const synthOut = join(ctx.workDir, "out");
  ctx.log("  synth iu, paasA, paasB (the synth runner's stacks)");
  await synth("iu", synthOut);
  await Promise.all([synth("paasA", synthOut), synth("paasB", synthOut)]);
  writeOverlay(synthOut);
  const phases: Record<string, Record<string, unknown>> = {};
  try {
    const site = await buildLab(ctx);
    const dir = join(ctx.workDir, "edge1");
    mkdirSync(dir, { recursive: true });
    const r = renderConfig(dir, "paasA", "paasB");
    const h = await startHaproxy(
      site.edge,
      "haproxy-edge1",
      r.cfg,
      r.socket,
      join(site.logDir, "haproxy.log"),
      { JSP_STATS_PASSWORD: "drill-only-not-a-real-secret" },
    );
    await sleep(2500); // checks: rise 3 at 1 s
    const edgeArgs = ["--socket", r.socket, "--map", r.map];
    const live = () => runLoad(site.client, site.scripts.load, `http://${VIP}/`, LOAD);

    // 1. smoke paasB through pre-live (from the client: admin CIDR) while live traffic runs
    {
      const load = live();
      await sleep(1500);
      const sm = await ab(
        ["smoke", "paasB", "--via", `http://${VIP}:8080/`, ...edgeArgs],
        synthOut,
        site.client,
      );
      const rs = await load;
      phases.smoke = {
        abExit: abExit(sm),
        smokePassed: / PASSED on version /.test(sm.out),
        smokeRequests: Number(/(\d+)\/\d+ +[\d.]+ +[\d.]+ \(/.exec(sm.out)?.[1] ?? 0),
        ...phaseFigures(rs),
      };
      if (sm.code !== 0) ctx.log(`    smoke output:\n${sm.out}`);
    }
    // 2.-4. switch, rollback, switch again: the runtime API moves live, no reload
    const move = async (name: string, args: string[], to: string, from: string) => {
      const load = live();
      await sleep(1500);
      const cmd = ab([...args, ...edgeArgs], synthOut);
      const at = await liveAt(r.socket, r.map, to);
      const res = await cmd;
      const rs = await load;
      phases[name] = { abExit: abExit(res), abSeconds: round(res.ms / 1000), ...phaseFigures(rs, at, from) };
      if (res.code !== 0) ctx.log(`    ${name} output:\n${res.out}`);
    };
    await move("switch", ["switch", "paasB"], "paasB", "paasA");
    await move("rollback", ["rollback"], "paasA", "paasB");
    await move("switchAgain", ["switch", "paasB"], "paasB", "paasA");
    // 5. retire paasA: its stack goes (ab retire), its nodes stop, the edge is re-applied without them (hitless reload)
    {
      const load = live();
      await sleep(1500);
      const res = await ab(["retire", "paasA", "--yes", ...edgeArgs], synthOut);
      await Promise.all(site.nodes.paasA.map((p) => p.stop(2000)));
      const next = renderConfig(dir, "paasB", undefined, ["paasA"]);
      writeFileSync(next.state, await runtimeApi(r.socket, "show servers state"));
      h.reload();
      const rs = await load;
      phases.retire = {
        abExit: abExit(res),
        abSeconds: round(res.ms / 1000),
        paasANodesStopped: true,
        edgeReloaded: true,
        ...phaseFigures(rs),
      };
      if (res.code !== 0) ctx.log(`    retire output:\n${res.out}`);
    }
    const status = await ab(["status"], synthOut);
    phases.final = { status: status.out.trim().split("\n").slice(0, 4) };
  } finally {
    cleanupAll(ctx.log);
  }
  const p = phases as Record<
    string,
    { requests?: number; failed?: number; abExit?: number; servedByOldSlotAfterSwitch?: number }
  >;
  const names = ["smoke", "switch", "rollback", "switchAgain", "retire"];
  const targets: Array<[string, boolean]> = [
    ...names.map((n): [string, boolean] => [`${n}: requests >= 1000`, (p[n]?.requests ?? 0) >= 1000]),
    ...names.map((n): [string, boolean] => [`${n}: failed == 0`, p[n]?.failed === 0]),
    ...names.map((n): [string, boolean] => [`${n}: ab exit 0`, p[n]?.abExit === 0]),
    ["smoke passed through pre-live", (phases.smoke as { smokePassed?: boolean })?.smokePassed === true],
    ...["switch", "rollback", "switchAgain"].map((n): [string, boolean] => [
      `${n}: no request served by the old slot after the switch`,
      p[n]?.servedByOldSlotAfterSwitch === 0,
    ]),
  ];
  return {
    name: "ab-cutover",
    passed: targets.every(([, ok]) => ok),
    targets: targets.map(([t]) => t),
    missed: targets.filter(([, ok]) => !ok).map(([t]) => t),
    load: LOAD,
    phases,
  };
}

function abExit(r: AbRun): number {
  return r.code;
}

export const abCutoverScenario: DrillScenario = {
  name: "ab-cutover",
  description:
    "A/B upgrade under load with the real npm run ab: smoke via pre-live, switch, rollback, switch, retire; 0 failed per phase",
  timeoutSeconds: 300,
  run: cutover,
};
