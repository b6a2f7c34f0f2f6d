// Drill `dns-flip`: the DNS checker, bundled as the witness host gets it, probes both sites'
// edges (real HAProxy running the configs the iu and tacc stacks render) from a "witness"
// namespace, and moves the public names in a fake Designate (its own namespace; OpenStack is
// the one thing faked) when IU's edge is lost. Measured: time from the loss to the record
// change (target <= 60 s; a client may then keep the old address for one TTL). And the cases
// that must move nothing: one failed probe, a flapping IU, a checker that is itself cut off;
// and after a move, IU's return moves nothing back.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bundleChecker } from "../../components/dns/_bundle";
import type { Policy } from "../../components/dns/checker/decide";
import { renderCheckerConfig } from "../../components/dns/render/checker-files";
import { EDGE_READY_PATH } from "../../components/edge/render/haproxy-tls";
import { publicNames } from "../../src/dns-names";
import { REPO_ROOT } from "../lib/stack-files";
import { startHaproxy, writeScripts } from "./edge-sim";
import { cleanupAll, Lab, nsExec, sleep, startInNs, waitFor } from "./netns";
import { LAB_STATS_PASSWORD, labEdgeConfig, LabSite, selfSignedPem, stackConfig } from "./tls-lab";
import type { DrillContext, DrillScenario, ScenarioReport } from "./types";

const A = {
  iu: { edge: "192.0.2.100", node: "192.0.2.21" },
  tacc: { edge: "198.51.100.140", node: "198.51.100.21" },
  witness: "203.0.113.30",
  designate: "203.0.113.60",
};
const CREDENTIAL = { id: "drill-checker", secret: "drill-only-not-a-real-secret-0123" };

export interface DnsTiming extends Policy {
  intervalSeconds: number;
  probeTimeoutMs: number;
}

interface CheckerEventLine {
  event: string;
  reason?: string;
  sample?: { from: string; to: string };
}

interface DnsLab {
  names: string[];
  ttl: number;
  timing: DnsTiming;
  /** silently drop everything sent to a site's edge (its hosts and VIP lost) */
  dropEdge(site: LabSite, on: boolean): void;
  /** the witness loses its paths to both sites (Designate stays reachable) */
  cutWitness(on: boolean): void;
  /** record changes the fake Designate logged */
  changes(): Array<{ at: number; name: string; to: string[] }>;
  checkerEvents(): CheckerEventLine[];
}

function iptables(ns: string, args: string[]): void {
  nsExec(ns, "iptables", args);
}

async function startSiteEdge(lab: Lab, site: LabSite, dir: string, nodeScript: string, verifyName: string) {
  const d = join(dir, site);
  mkdirSync(join(d, "certs"), { recursive: true });
  const ns = lab.host(`${site}e`, [A[site].edge]).ns;
  const nodeNs = lab.host(`${site}n`, [A[site].node]).ns;
  startInNs(
    nodeNs,
    `${site}-node`,
    process.execPath,
    [nodeScript, `${site}-node`, A[site].node, "30080", "15021,30021"],
    join(d, "node.log"),
  );
  // a self-signed certificate: this drill is about DNS, the TLS drill is about certificates
  const pem = selfSignedPem(d, verifyName);
  copyFileSync(pem, join(d, "certs", "jsp-public.pem"));
  const cfg = join(d, "haproxy.cfg");
  writeFileSync(
    cfg,
    labEdgeConfig(site, stackConfig(site), { dir: d, root: join(d, `${verifyName}.crt.pem`), verifyName }),
  );
  await startHaproxy(ns, `haproxy-${site}`, cfg, join(d, "admin.sock"), join(d, "haproxy.log"), {
    JSP_STATS_PASSWORD: LAB_STATS_PASSWORD,
    JSP_ACME_THUMBPRINT: "",
  });
  return ns;
}

async function startDnsLab(ctx: DrillContext, timing: DnsTiming): Promise<DnsLab> {
  const lab = new Lab();
  const iu = stackConfig("iu");
  const dns = iu.dns!;
  const names = publicNames(dns.zone, dns.baseName, dns.appNames);
  const scripts = writeScripts(ctx.workDir);
  const edges = {
    iu: await startSiteEdge(lab, "iu", ctx.workDir, scripts.node, names[0].slice(0, -1)),
    tacc: await startSiteEdge(lab, "tacc", ctx.workDir, scripts.node, names[0].slice(0, -1)),
  };
  // the fake Designate in its own namespace, holding the records the iu stack plans
  const dsNs = lab.host("dns", [A.designate]).ns;
  const changeLog = join(ctx.workDir, "designate-changes.jsonl");
  writeFileSync(changeLog, "");
  startInNs(
    dsNs,
    "fake-designate",
    process.execPath,
    [
      "--import",
      "tsx",
      join(REPO_ROOT, "test", "harness", "fake-designate.ts"),
      JSON.stringify({
        host: A.designate,
        port: 5000,
        credential: CREDENTIAL,
        changeLog,
        zones: [
          { name: dns.zone, records: names.map((n) => ({ name: n, ttl: dns.ttl, records: [A.iu.edge] })) },
        ],
      }),
    ],
    join(ctx.workDir, "fake-designate.log"),
  );
  const witness = lab.host("wit", [A.witness]).ns;
  const up = await waitFor(
    () => {
      nsExec(witness, "curl", ["-s", "-m", "1", `http://${A.designate}:5000/v2/zones`]);
      return true;
    },
    10_000,
    100,
  );
  if (!up) throw new Error("fake Designate did not start");
  // the checker exactly as the witness host runs it: the bundle, the rendered config
  const dir = join(ctx.workDir, "checker");
  mkdirSync(dir, { recursive: true });
  const bundle = join(dir, "checker.js");
  writeFileSync(bundle, bundleChecker());
  const credentialFile = join(dir, "credential.json");
  writeFileSync(credentialFile, JSON.stringify(CREDENTIAL), { mode: 0o600 });
  const cfg = renderCheckerConfig({
    zone: dns.zone,
    names,
    from: { site: "iu", address: A.iu.edge },
    to: { site: "tacc", address: A.tacc.edge },
    probe: { port: 80, path: EDGE_READY_PATH, timeoutMs: timing.probeTimeoutMs },
    intervalSeconds: timing.intervalSeconds,
    policy: {
      windowSeconds: timing.windowSeconds,
      minSamples: timing.minSamples,
      maxTransitions: timing.maxTransitions,
      flapLookbackSeconds: timing.flapLookbackSeconds,
    },
    action: {
      kind: "designate",
      authUrl: `http://${A.designate}:5000/v3`,
      region: "IU",
      credential: CREDENTIAL,
    },
    bundle: "",
  });
  const cfgFile = join(dir, "checker.json");
  writeFileSync(
    cfgFile,
    JSON.stringify({ ...cfg, action: { ...cfg.action, credentialFile }, stateDir: join(dir, "state") }),
  );
  // edges answer their readiness before the checker's first probe
  const ready = await waitFor(
    () => {
      for (const s of ["iu", "tacc"] as const) {
        const code = nsExec(witness, "curl", [
          "-s",
          "-o",
          "/dev/null",
          "-w",
          "%{http_code}",
          "-m",
          "1",
          `http://${A[s].edge}${EDGE_READY_PATH}`,
        ]);
        if (code !== "200") return false;
      }
      return true;
    },
    15_000,
    200,
  );
  if (!ready) throw new Error("the edges' readiness URIs did not answer 200");
  startInNs(
    witness,
    "dns-checker",
    process.execPath,
    [bundle, "run", "--config", cfgFile],
    join(dir, "checker.log"),
  );
  ctx.log(`  dns lab ${lab.tag}: checker on the witness, ${names.length} public names, TTL ${dns.ttl} s`);
  await sleep(timing.intervalSeconds * 2000);
  return {
    names,
    ttl: dns.ttl,
    timing,
    dropEdge: (site, on) => iptables(edges[site], [on ? "-I" : "-D", "INPUT", "-j", "DROP"]),
    cutWitness: (on) => {
      for (const s of ["iu", "tacc"] as const)
        iptables(witness, [on ? "-I" : "-D", "OUTPUT", "-d", A[s].edge, "-j", "DROP"]);
    },
    changes: () =>
      readFileSync(changeLog, "utf8")
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l) as { at: number; name: string; to: string[] }),
    checkerEvents: () => {
      const f = join(dir, "state", "events.jsonl");
      return existsSync(f)
        ? readFileSync(f, "utf8")
            .split("\n")
            .filter((l) => l.trim() !== "")
            .map((l) => JSON.parse(l) as CheckerEventLine)
        : [];
    },
  };
}

let labCount = 0;

async function withLab<T>(ctx: DrillContext, timing: DnsTiming, fn: (lab: DnsLab) => Promise<T>): Promise<T> {
  // each case starts from nothing: its own edges, records, checker and event log
  labCount += 1;
  const workDir = join(ctx.workDir, `case-${labCount}`);
  mkdirSync(workDir, { recursive: true });
  try {
    return await fn(await startDnsLab({ ...ctx, workDir }, timing));
  } finally {
    cleanupAll(ctx.log);
  }
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/** IU's edge lost: when do the records change, and does IU's return move them back? */
async function lossCase(ctx: DrillContext, t: DnsTiming) {
  return withLab(ctx, t, async (lab) => {
    const t0 = Date.now();
    lab.dropEdge("iu", true);
    const limit = (t.windowSeconds + t.intervalSeconds * 4) * 1000 + 15_000;
    const moved = await waitFor(
      () => lab.names.every((n) => lab.changes().some((c) => c.name === n && c.to[0] === A.tacc.edge)),
      limit,
      100,
    );
    const changes = lab.changes();
    const last = Math.max(...changes.map((c) => c.at));
    // IU returns: nothing may move back
    lab.dropEdge("iu", false);
    await sleep((t.windowSeconds + t.intervalSeconds * 2) * 1000);
    const back = lab.changes().filter((c) => c.to[0] === A.iu.edge).length;
    const recordChangeSeconds = moved ? round((last - t0) / 1000) : undefined;
    return {
      recordChangeSeconds,
      firstRecordChangeSeconds: moved
        ? round((Math.min(...changes.map((c) => c.at)) - t0) / 1000)
        : undefined,
      ttlSeconds: lab.ttl,
      worstCaseClientSeconds:
        recordChangeSeconds === undefined ? undefined : round(recordChangeSeconds + lab.ttl),
      namesMoved: new Set(changes.map((c) => c.name)).size,
      names: lab.names.length,
      movedBackAfterIuReturned: back,
    };
  });
}

/** Cases that must not move anything; returns the number of record changes seen. */
async function quietCase(
  ctx: DrillContext,
  t: DnsTiming,
  fault: "single-probe" | "flapping" | "checker-cut-off",
) {
  return withLab(ctx, t, async (lab) => {
    const interval = t.intervalSeconds * 1000;
    if (fault === "single-probe") {
      lab.dropEdge("iu", true);
      await sleep(interval); // one probe (rarely two, at the edges) falls in here
      lab.dropEdge("iu", false);
    } else if (fault === "flapping") {
      // down for most of a window, back for a probe or two, again and again
      const end = Date.now() + (t.windowSeconds * 3 + t.intervalSeconds) * 1000;
      while (Date.now() < end) {
        lab.dropEdge("iu", true);
        await sleep(t.windowSeconds * 600);
        lab.dropEdge("iu", false);
        await sleep(interval * 1.5);
      }
    } else {
      lab.cutWitness(true);
      await sleep((t.windowSeconds * 1.5 + t.intervalSeconds * 2) * 1000);
      lab.cutWitness(false);
    }
    await sleep((t.windowSeconds + t.intervalSeconds * 2) * 1000);
    const events = lab.checkerEvents();
    const reasons = [...new Set(events.map((e) => e.reason).filter((r): r is string => !!r))];
    // the checker logs each decision whose reason changed, with the sample: its failed probes
    const failedProbes = events.filter((e) => e.sample?.from === "down" || e.sample?.to === "down").length;
    return { fault, flips: lab.changes().length, failedProbes, reasons: reasons.slice(0, 6) };
  });
}

export type QuietFault = "single-probe" | "flapping" | "checker-cut-off";
export const QUIET_FAULTS: readonly QuietFault[] = ["single-probe", "flapping", "checker-cut-off"];

export async function runDnsFlip(
  ctx: DrillContext,
  timing: DnsTiming,
  name = "dns-flip",
  faults: readonly QuietFault[] = QUIET_FAULTS,
): Promise<ScenarioReport> {
  const quiet: Array<Awaited<ReturnType<typeof quietCase>>> = [];
  for (const f of faults) {
    ctx.log(`  dns-flip: ${f}`);
    quiet.push(await quietCase(ctx, timing, f));
  }
  ctx.log("  dns-flip: IU edge lost");
  const loss = await lossCase(ctx, timing);
  const q = (f: QuietFault) => quiet.find((x) => x.fault === f);
  const targets: Array<[string, boolean]> = [
    ["recordChangeSeconds <= 60", loss.recordChangeSeconds !== undefined && loss.recordChangeSeconds <= 60],
    ["every public name moved", loss.namesMoved === loss.names],
    ["nothing moved back after IU returned", loss.movedBackAfterIuReturned === 0],
  ];
  const single = q("single-probe");
  if (single)
    targets.push(["0 flips on a single failed probe", single.flips === 0 && single.failedProbes >= 1]);
  const flap = q("flapping");
  if (flap) targets.push(["0 flips while IU flaps", flap.flips === 0]);
  const cut = q("checker-cut-off");
  if (cut) targets.push(["0 flips when the checker is cut off", cut.flips === 0]);
  return {
    name,
    passed: targets.every(([, ok]) => ok),
    targets: targets.map(([x]) => x),
    missed: targets.filter(([, ok]) => !ok).map(([x]) => x),
    timing,
    ...loss,
    quietCases: quiet,
  };
}

/** The production evidence rules (Pulumi.iu.yaml's dns.checker). */
export function stackTiming(): DnsTiming {
  const c = stackConfig("iu").dns!.checker;
  return { ...c };
}

export const DNS_SCENARIOS: DrillScenario[] = [
  {
    name: "dns-flip",
    description:
      "IU's edge lost: the witness's checker moves the public names to TACC (<= 60 s + TTL); one failed probe, a flapping IU, a cut-off checker: 0 flips",
    timeoutSeconds: 900,
    run: (ctx) => runDnsFlip(ctx, stackTiming()),
  },
];
