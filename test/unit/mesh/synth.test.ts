// `npm run synth -- paasA` end to end (after `iu`, whose outputs the cluster stack reads):
// the releases are planned and out/paasA/k8s/ holds schema-valid manifests and no secret.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import type { Plan } from "../../../tools/synth";
import { loadValidators, readManifests, validateObjects } from "../../harness/k8s-validate";
import { mockSecret } from "../../harness/mock-state";
import { readJson, runSynth } from "../../harness/synth";

const outRoot = mkdtempSync(join(tmpdir(), "jsp-mesh-synth-"));
after(() => rmSync(outRoot, { recursive: true, force: true }));

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe("synth paasA: mesh, observability, Flagger", () => {
  let k8sDir: string;
  let plan: Plan;

  before(() => {
    const iu = runSynth("iu", outRoot);
    assert.equal(iu.status, 0, iu.stderr);
    const run = runSynth("paasA", outRoot);
    assert.equal(run.status, 0, run.stderr);
    k8sDir = join(run.outDir, "k8s");
    plan = readJson<Plan>(join(run.outDir, "plan.json"));
  });

  it("plans the Istio base/istiod/gateway releases, observability and Flagger", () => {
    const releases = plan.resources
      .filter((r) => r.type === "kubernetes:helm.sh/v3:Release")
      .map((r) => r.inputs.name);
    for (const n of [
      "istio-base",
      "istiod",
      "istio-ingressgateway",
      "kube-prometheus-stack",
      "grafana",
      "kiali",
      "flagger",
      "flagger-loadtester",
    ]) {
      assert.ok(releases.includes(n), `release ${n} planned`);
    }
    const istiod = plan.resources.find((r) => r.inputs.name === "istiod")!;
    assert.ok(istiod.dependsOn.includes("mesh-istio-base"), "istiod dependsOn base in plan.json");
  });

  it("writes one manifest file per component and the values of every release", () => {
    assert.deepEqual(
      readdirSync(k8sDir)
        .filter(
          (f) => f.endsWith(".yaml") && !f.startsWith("blue-green-") && !f.startsWith("deploy-identity"),
        )
        .sort(),
      ["flagger.yaml", "mesh.yaml", "observability.yaml"],
    );
    assert.equal(readdirSync(join(k8sDir, "helm")).length, 8);
    const istiod = parse(readFileSync(join(k8sDir, "helm", "istiod.values.yaml"), "utf8")) as {
      meshConfig: { outboundTrafficPolicy: { mode: string } };
    };
    assert.equal(istiod.meshConfig.outboundTrafficPolicy.mode, "REGISTRY_ONLY");
  });

  it("holds a STRICT PeerAuthentication in istio-system, allow-nothing, ServiceEntries and a Canary", () => {
    const objs = ["mesh", "observability", "flagger"].flatMap((f) =>
      readManifests(join(k8sDir, `${f}.yaml`)),
    ) as Array<
      Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any
    >;
    const pa = objs.filter((o) => o.kind === "PeerAuthentication");
    assert.equal(pa.length, 1);
    assert.equal(pa[0].metadata.namespace, "istio-system");
    assert.equal(pa[0].spec.mtls.mode, "STRICT");
    assert.ok(
      objs.some(
        (o) =>
          o.kind === "AuthorizationPolicy" &&
          o.metadata.name === "allow-nothing" &&
          Object.keys(o.spec).length === 0,
      ),
    );
    assert.ok(objs.filter((o) => o.kind === "ServiceEntry").length >= 1);
    assert.ok(objs.filter((o) => o.kind === "Canary").length >= 1);
  });

  it("every manifest in out/paasA/k8s/ is schema-valid", async (t) => {
    const v = await loadValidators();
    let checked = 0;
    for (const f of ["mesh", "observability", "flagger"]) {
      const res = validateObjects(v, readManifests(join(k8sDir, `${f}.yaml`)));
      assert.deepEqual(res.invalid, [], `${f}.yaml`);
      checked += res.checked;
    }
    assert.ok(checked >= 19);
    t.diagnostic(`out/paasA/k8s: ${checked} objects checked, 0 invalid`);
  });

  it("writes no secret, no admin/admin, no anonymous Kiali, no dashboard NodePort", () => {
    const files = filesUnder(join(outRoot, "paasA"));
    const all = files.map((f) => readFileSync(f, "utf8")).join("\n");
    assert.ok(
      !all.includes(mockSecret("observability-grafana-admin-password", 32)),
      "generated password not written",
    );
    assert.ok(!/admin\/admin|adminPassword|strategy: anonymous|"strategy": "anonymous"/.test(all));
    for (const f of files.filter((p) => p.includes(`${join("k8s", "helm")}`))) {
      if (f.endsWith("istio-ingressgateway.values.yaml")) continue;
      assert.ok(!/NodePort|LoadBalancer/.test(readFileSync(f, "utf8")), `${f} exposes nothing`);
    }
    const outputs = readJson<{ secretOutputNames: string[] }>(join(outRoot, "paasA", "outputs.json"));
    assert.ok(outputs.secretOutputNames.includes("grafanaAdminPassword"));
  });
});
