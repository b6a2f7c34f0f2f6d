// Drill `tls-renew`: the certificate of IU's edge is renewed under HTTPS load, with Pebble as
// the CA, the real lego, the rendered ACME scripts and HAProxy running the config the iu stack
// renders (every public name of Pulumi.iu.yaml). Pebble re-validates every name (no reuse of
// authorizations), so the challenge path is exercised under the load too. Measured: requests,
// failed, which certificate each new connection got, when the new one was first served, and
// that HAProxy was not reloaded. Then each site renews while the other site's edge is down.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runtimeApi } from "./edge-sim";
import { cleanupAll, nsExec, sleep } from "./netns";
import {
  runTlsLoad,
  sClient,
  servedCertificate,
  startTlsLab,
  TLS_LAB_ADDRESSES as A,
  TlsLab,
  TlsRequest,
} from "./tls-lab";
import type { DrillContext, DrillScenario, ScenarioReport } from "./types";

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const norm = (s: string) => s.replace(/^0+/, "").toUpperCase();

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : 0;
}

/** The serving worker's pid: a reload would start a new worker. */
async function pid(lab: TlsLab): Promise<string | undefined> {
  return /^Pid: (\d+)/m.exec(await runtimeApi(lab.edges.iu!.socket, "show info"))?.[1];
}

/** One site renews while the other site's edge is silent (and the names point at the renewing site). */
async function renewAlone(lab: TlsLab, site: "iu" | "tacc") {
  const other = site === "iu" ? "tacc" : "iu";
  const edge = lab.edges[site]!;
  nsExec(lab.edges[other]!.ns, "iptables", ["-I", "INPUT", "-j", "DROP"]);
  await lab.pointNamesAt(site);
  edge.setAcme({ renewDaysBefore: 36500 }); // due now
  const before = await servedCertificate(edge);
  const t0 = Date.now();
  let ok = true;
  let error: string | undefined;
  try {
    await edge.script("jsp-acme-renew");
  } catch (err) {
    ok = false;
    error = (err as Error).message.slice(-300);
  }
  const after = await servedCertificate(edge);
  nsExec(lab.edges[other]!.ns, "iptables", ["-D", "INPUT", "-j", "DROP"]);
  await lab.pointNamesAt("iu");
  return {
    site,
    otherDown: other,
    renewed: ok && after.serial !== before.serial,
    seconds: round((Date.now() - t0) / 1000),
    verifies: sClient(lab, A[site].edge, 443, edge.names[0]).verify === "0 (ok)",
    error,
  };
}

export async function runTlsRenew(ctx: DrillContext): Promise<ScenarioReport> {
  try {
    const lab = await startTlsLab({ dir: ctx.workDir, sites: ["iu", "tacc"], authzReuse: 0, log: ctx.log });
    const iu = lab.edges.iu!;
    ctx.log("  tls-renew: first issuance at both sites");
    await Promise.all([iu.script("jsp-acme-renew"), lab.edges.tacc!.script("jsp-acme-renew")]);
    const first = await servedCertificate(iu);
    const pidBefore = await pid(lab);
    // the timer's path: the certificate becomes due, `jsp-acme-renew` renews and deploys it
    iu.setAcme({ renewDaysBefore: 36500 });
    const rate = 50;
    const seconds = 36;
    ctx.log(`  tls-renew: ${rate} req/s for ${seconds} s over new TLS connections; renewal at +3 s`);
    const load = runTlsLoad(lab, A.iu.edge, iu.names[0], rate, seconds);
    await sleep(3000);
    const tRenew = Date.now();
    const out = await iu.script("jsp-acme-renew");
    const tDeployed = Date.now();
    const rs: TlsRequest[] = await load;
    const second = await servedCertificate(iu);
    const pidAfter = await pid(lab);
    const failed = rs.filter((r) => !r.ok);
    const newSerial = norm(second.serial ?? "");
    const withNew = rs.filter((r) => norm(r.serial) === newSerial).sort((a, b) => a.t - b.t);
    const afterDeploy = rs.filter((r) => r.t > tDeployed + 100);
    const validations = (
      readFileSync(join(ctx.workDir, "pebble.log"), "utf8").match(/Attempting to validate w\/ HTTP/g) ?? []
    ).length;
    ctx.log("  tls-renew: each site renews while the other's edge is down");
    const alone = [await renewAlone(lab, "iu"), await renewAlone(lab, "tacc")];
    const figures = {
      names: iu.names,
      requests: rs.length,
      failed: failed.length,
      errors: [...new Set(failed.map((r) => r.err ?? `HTTP ${r.status}`))].slice(0, 5),
      renewalSeconds: round((tDeployed - tRenew) / 1000),
      firstServedNewAfterRenewStartSeconds: withNew[0] ? round((withNew[0].t - tRenew) / 1000) : undefined,
      servedOld: rs.filter((r) => norm(r.serial) === norm(first.serial ?? "")).length,
      servedNew: withNew.length,
      requestsAfterDeploy: afterDeploy.length,
      allAfterDeployNew: afterDeploy.length > 0 && afterDeploy.every((r) => norm(r.serial) === newSerial),
      latencyMs: {
        p50: percentile(
          rs.map((r) => r.ms),
          50,
        ),
        p99: percentile(
          rs.map((r) => r.ms),
          99,
        ),
        max: Math.max(...rs.map((r) => r.ms)),
      },
      serialBefore: first.serial,
      serialAfter: second.serial,
      workerPidUnchanged: pidBefore !== undefined && pidBefore === pidAfter,
      deployedWithoutReload: /serving certificate/.test(out) && !/reloading HAProxy/.test(out),
      httpValidationsByPebble: validations,
      renewWhileOtherSiteDown: alone,
    };
    const targets: Array<[string, boolean]> = [
      ["requests >= 1000", figures.requests >= 1000],
      ["failed == 0", figures.failed === 0],
      [
        "the new certificate is served after the swap",
        figures.allAfterDeployNew && figures.serialBefore !== figures.serialAfter,
      ],
      ["no reload (runtime API swap)", figures.workerPidUnchanged && figures.deployedWithoutReload],
      ["each site renews while the other is down", alone.every((a) => a.renewed && a.verifies)],
    ];
    return {
      name: "tls-renew",
      passed: targets.every(([, ok]) => ok),
      targets: targets.map(([t]) => t),
      missed: targets.filter(([, ok]) => !ok).map(([t]) => t),
      ...figures,
    };
  } finally {
    cleanupAll(ctx.log);
  }
}

export const TLS_SCENARIOS: DrillScenario[] = [
  {
    name: "tls-renew",
    description:
      "IU's certificate renewed under HTTPS load (Pebble, lego, HAProxy): >= 1000 requests, 0 failed, new certificate served, no reload",
    timeoutSeconds: 300,
    run: runTlsRenew,
  },
];
