// `npm run synth` for the delivery parts: the iu stack renders JCasC and a pipeline for both
// sites (credentials appear once the cluster stacks export kubeconfigs), paasA plans a
// BlueGreenService with validated manifests.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { parse, parseAllDocuments } from "yaml";
import type { Plan } from "../../tools/synth";
import { readJson, runSynth } from "../harness/synth";

const outRoot = mkdtempSync(join(tmpdir(), "jsp-delivery-"));
after(() => rmSync(outRoot, { recursive: true, force: true }));

const KUBECONFIG_MARK = "kubeconfig-text-that-must-not-leak";

/** Pretends a cluster stack is up and exports a secret kubeconfig (what synth would write). */
function clusterUp(stack: string): void {
  mkdirSync(join(outRoot, stack), { recursive: true });
  writeFileSync(
    join(outRoot, stack, "outputs.json"),
    JSON.stringify({
      name: `organization/jetstream-paas-cluster/${stack}`,
      outputs: {
        kubeconfig: `apiVersion: v1\nkind: Config\n# admin ${KUBECONFIG_MARK} ${stack}\n`,
        deployKubeconfig: `apiVersion: v1\nkind: Config\n# deploy ${KUBECONFIG_MARK} ${stack}\n`,
      },
      secretOutputNames: ["kubeconfig", "deployKubeconfig"],
    }),
  );
}

describe("synth iu: Jenkins as code", () => {
  it("renders jenkins.yaml and a pipeline deploying iu then tacc, warning while no cluster is up", () => {
    const run = runSynth("iu", outRoot);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /planning jetstream:jenkins:JenkinsHost iu-jenkins/);
    assert.match(run.stderr, /no kubeconfig output for site tacc yet/);
    const casc = parse(readFileSync(join(run.outDir, "jenkins", "jenkins.yaml"), "utf8")) as {
      jenkins: { numExecutors: number };
    };
    assert.equal(casc.jenkins.numExecutors, 0);
    const jf = readFileSync(join(run.outDir, "jenkins", "pipelines", "deploy-web.Jenkinsfile"), "utf8");
    assert.ok(
      jf.indexOf("stage('Deploy iu')") > 0 &&
        jf.indexOf("stage('Deploy iu')") < jf.indexOf("stage('Deploy tacc')"),
    );
    const outputs = readJson<{ secretOutputNames: string[] }>(join(run.outDir, "outputs.json"));
    assert.ok(outputs.secretOutputNames.includes("jenkinsAdminPassword"));
  });

  it("turns both cluster stacks' kubeconfigs into credentials, and no secret reaches out/", () => {
    clusterUp("paasA");
    clusterUp("tacc-paasA");
    const run = runSynth("iu", outRoot);
    assert.equal(run.status, 0, run.stderr);
    assert.ok(!/no kubeconfig output/.test(run.stderr), run.stderr);
    const text = readFileSync(join(run.outDir, "jenkins", "jenkins.yaml"), "utf8");
    assert.match(text, /id: deploy-kubeconfig-iu/);
    assert.match(text, /id: deploy-kubeconfig-tacc/);
    for (const f of [
      "jenkins/jenkins.yaml",
      "cloud-init/iu-jenkins.yaml",
      "plan.json",
      "jenkins/install-jenkins.sh",
    ]) {
      assert.ok(
        !readFileSync(join(run.outDir, f), "utf8").includes(KUBECONFIG_MARK),
        `${f} leaks a kubeconfig`,
      );
    }
    const plan = readJson<Plan>(join(run.outDir, "plan.json"));
    const vm = plan.resources.find((r) => r.name === "iu-jenkins-vm");
    assert.equal(vm?.inputs.userData, "[secret]");
  });
});

describe("synth paasA: blue/green services", () => {
  it("plans a BlueGreenService through the cluster's provider and writes its manifests", () => {
    // runs after the iu synth above (tests in a file run in order): its outputs.json exists
    const run = runSynth("paasA", outRoot);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /planning jetstream:apps:BlueGreenService web/);
    const plan = readJson<Plan>(join(run.outDir, "plan.json"));
    const svc = plan.resources.find((r) => r.name === "web-svc");
    assert.equal(svc?.parentType, "jetstream:apps:BlueGreenService");
    const docs = parseAllDocuments(readFileSync(join(run.outDir, "k8s", "blue-green-web.yaml"), "utf8")).map(
      (d) =>
        d.toJS() as { kind: string; metadata: { name: string }; spec: { selector?: Record<string, string> } },
    );
    const main = docs.find((d) => d.kind === "Service" && d.metadata.name === "web");
    assert.equal(main?.spec.selector?.["jetstream-paas.io/colour"], "blue");
    // the example app is not meshed (its namespace is outside mesh.namespaces): no VirtualService
    assert.ok(!docs.some((d) => d.kind === "VirtualService"));
  });
});
