// The public entry as `npm run synth` renders it, judged by the real tools: the Designate
// record sets with the configured TTL in plan.json, haproxy.cfg with TLS accepted by
// `haproxy -c` (with the certificate path pointing at a real certificate), the ACME scripts by
// shellcheck, the edge's and the checker's cloud-configs by `cloud-init schema`. And the ACME
// account key: a secret output of the stack that creates it, in no plan, artifact or log.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { renderCheckerCloudConfig, renderCheckerCloudPart } from "../../components/dns/render/checker-files";
import { selfSignedPem } from "../../tools/drill/tls-lab";
import type { Plan } from "../../tools/synth";
import { readJson, runSynth } from "../harness/synth";
import { checkerFilesInput } from "../unit/dns/fixtures";
import { cloudInitSchema, requireTools, runTool } from "../harness/tools";

const dir = mkdtempSync(join(tmpdir(), "jsp-tls-configs-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const ZONE = "myalloc.projects.jetstream-cloud.org.";

describe("the public entry as synth renders it, checked by the real tools", () => {
  const outRoot = join(dir, "out");
  let taccRun: ReturnType<typeof runSynth>;
  let iuRun: ReturnType<typeof runSynth>;
  before(() => {
    requireTools(["haproxy", "shellcheck", "cloud-init", "openssl"]);
    taccRun = runSynth("tacc", outRoot);
    iuRun = runSynth("iu", outRoot);
  });

  it("plans the Designate record sets with the configured TTLs (public names 60 s, site names 300 s)", () => {
    assert.equal(iuRun.status, 0, iuRun.stderr);
    const plan = readJson<Plan>(join(iuRun.outDir, "plan.json"));
    const sets = plan.resources.filter((r) => r.type === "openstack:dns/recordSet:RecordSet");
    const ttl = Object.fromEntries(sets.map((r) => [r.inputs.name as string, r.inputs.ttl]));
    assert.deepEqual(ttl, {
      [ZONE]: 60,
      [`weather.${ZONE}`]: 60,
      [`iu.${ZONE}`]: 300,
      [`tacc.${ZONE}`]: 300,
    });
    const tacc = readJson<{ outputs: Record<string, string> }>(join(taccRun.outDir, "outputs.json"));
    const iuOut = readJson<{ outputs: Record<string, unknown> }>(join(iuRun.outDir, "outputs.json"));
    const byName = Object.fromEntries(sets.map((r) => [r.inputs.name as string, r.inputs.records]));
    assert.deepEqual(
      byName[ZONE],
      [iuOut.outputs.edgePublicAddress],
      "the public names point at IU, the live site",
    );
    assert.deepEqual(byName[`tacc.${ZONE}`], [tacc.outputs.edgePublicAddress]);
    // TACC only reads the names (recordsSite: iu); its stack plans no record
    const taccPlan = readJson<Plan>(join(taccRun.outDir, "plan.json"));
    assert.equal(taccPlan.resources.filter((r) => r.type.startsWith("openstack:dns/")).length, 0);
    assert.match(readFileSync(join(iuRun.outDir, "dns", "records.zone"), "utf8"), /^weather +60 IN A /m);
  });

  it("keeps the ACME account key a secret output of the TACC stack, out of every plan and file", () => {
    const tacc = readJson<{ outputs: Record<string, unknown>; secretOutputNames: string[] }>(
      join(taccRun.outDir, "outputs.json"),
    );
    assert.ok(tacc.secretOutputNames.includes("acmeAccountKey"));
    assert.equal(tacc.outputs.acmeAccountKey, "[secret]");
    const taccPlan = readJson<Plan>(join(taccRun.outDir, "plan.json"));
    assert.ok(
      taccPlan.resources.some(
        (r) => r.type === "tls:index/privateKey:PrivateKey" && r.name === "tacc-acme-account",
      ),
    );
    for (const run of [taccRun, iuRun]) {
      for (const f of [
        "plan.json",
        "outputs.json",
        `cloud-init/${run.outDir.endsWith("iu") ? "iu" : "tacc"}-edge-1.yaml`,
      ]) {
        assert.doesNotMatch(readFileSync(join(run.outDir, f), "utf8"), /BEGIN (EC )?PRIVATE KEY/, f);
      }
    }
    assert.doesNotMatch(iuRun.stderr + taccRun.stderr, /PRIVATE KEY/);
  });

  it("haproxy -c accepts the TLS haproxy.cfg of both sites", () => {
    const pem = selfSignedPem(dir, "edge");
    for (const run of [iuRun, taccRun]) {
      const d = join(dir, run.outDir.split("/").pop()!);
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, "map"), "live paasA\n");
      const cfg = readFileSync(join(run.outDir, "haproxy", "haproxy.cfg"), "utf8")
        .replace("/run/haproxy/admin.sock", join(d, "admin.sock"))
        .replace("/var/lib/haproxy/server-state", join(d, "state"))
        .replaceAll("/etc/haproxy/jsp-slots.map", join(d, "map"))
        .replaceAll("/etc/haproxy/certs/jsp-public.pem", pem);
      assert.match(cfg, /bind :443 ssl crt /);
      assert.match(cfg, /http-request redirect scheme https code 301 unless acme_challenge/);
      const file = join(d, "haproxy.cfg");
      writeFileSync(file, cfg);
      process.env.JSP_STATS_PASSWORD = "test-only";
      process.env.JSP_ACME_THUMBPRINT = "test-thumbprint";
      const r = runTool("haproxy", ["-c", "-f", file]);
      assert.ok(r.ok, r.output);
      assert.doesNotMatch(r.output, /\[ALERT\]/);
    }
  });

  it("shellcheck passes the ACME scripts the edge hosts run", () => {
    for (const s of ["jsp-acme-bootstrap", "jsp-acme-renew", "jsp-acme-deploy"]) {
      const r = runTool("shellcheck", ["-s", "bash", join(iuRun.outDir, "acme", s)]);
      assert.ok(r.ok, `${s}: ${r.output}`);
    }
  });

  it("cloud-init schema accepts the edge cloud-config with TLS and the checker host's cloud-config", () => {
    for (const host of ["iu-edge-1", "iu-edge-2"]) {
      const ci = readFileSync(join(iuRun.outDir, "cloud-init", `${host}.yaml`), "utf8");
      assert.match(ci, /jsp-acme-bootstrap/);
      const r = cloudInitSchema(ci, dir, `${host}.yaml`);
      assert.ok(r.ok, r.output);
    }
    const part = renderCheckerCloudPart(checkerFilesInput());
    const r = cloudInitSchema(renderCheckerCloudConfig("witness-1", part), dir, "checker.yaml");
    assert.ok(r.ok, r.output);
  });
});
