// IstioMesh, Observability and Flagger under the mock engine, wired as the cluster stack
// wires them (stacks/paas/platform.ts): child inputs as policy, ordering, provider, secrets.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type * as k8sTypes from "@pulumi/kubernetes";
import type * as pulumiTypes from "@pulumi/pulumi";
import { parseStackConfig } from "../../../components/config";
import { clusterValues, raw } from "../../harness/configs";
import { exampleMesh } from "../../harness/mesh-fixtures";
import { installMocks, MockEngine, PlannedResource, settle } from "../../harness/mocks";
import { isSecret, promiseOf } from "../../harness/outputs";

const RELEASE = "kubernetes:helm.sh/v3:Release";

describe("deployPlatform: IstioMesh, Observability, Flagger", () => {
  let engine: MockEngine;
  let out: Awaited<ReturnType<typeof import("../../../stacks/paas/platform").deployPlatform>>;
  let providerUrn: string;
  let meshModule: typeof import("../../../components/mesh");
  let pulumi: typeof pulumiTypes;

  const release = (name: string): PlannedResource => {
    const r = engine.ofType(RELEASE).filter((x) => x.inputs.name === name);
    assert.equal(r.length, 1, `one release ${name}`);
    return r[0];
  };

  before(async () => {
    engine = await installMocks({ project: "jetstream-paas-cluster", stack: "paasA" });
    pulumi = await import("@pulumi/pulumi");
    const k8s: typeof k8sTypes = await import("@pulumi/kubernetes");
    meshModule = await import("../../../components/mesh");
    const { deployPlatform } = await import("../../../stacks/paas/platform");
    const { config } = parseStackConfig(
      "cluster",
      raw(clusterValues({ "jetstream-paas-cluster:mesh": exampleMesh() })),
    );
    const provider = new k8s.Provider("paasA-k8s", {
      kubeconfig: pulumi.secret("stand-in"),
      clusterIdentifier: "jetstream-paas-iu-paasa",
    });
    out = deployPlatform(config, provider);
    await promiseOf(out.grafanaAdminPassword);
    await settle();
    providerUrn = engine.resources.find((r) => r.type === "pulumi:providers:kubernetes")!.urn;
  });

  it("registers the three components with their tokens", () => {
    assert.equal(engine.byName("mesh").type, "jetstream:mesh:IstioMesh");
    assert.equal(engine.byName("observability").type, "jetstream:mesh:Observability");
    assert.equal(engine.byName("flagger").type, "jetstream:mesh:Flagger");
  });

  it("plans eight pinned Helm releases with explicit names and rollback on failure", () => {
    const got = engine
      .ofType(RELEASE)
      .map((r) => {
        const repo = (r.inputs.repositoryOpts as { repo: string }).repo;
        return `${String(r.inputs.namespace)}/${String(r.inputs.name)} ${String(r.inputs.chart)}@${String(r.inputs.version)} ${repo}`;
      })
      .sort();
    assert.deepEqual(got, [
      "flagger-system/flagger flagger@1.44.0 https://flagger.app",
      "flagger-system/flagger-loadtester loadtester@0.38.0 https://flagger.app",
      "istio-ingress/istio-ingressgateway gateway@1.30.4 https://istio-release.storage.googleapis.com/charts",
      "istio-system/istio-base base@1.30.4 https://istio-release.storage.googleapis.com/charts",
      "istio-system/istiod istiod@1.30.4 https://istio-release.storage.googleapis.com/charts",
      "istio-system/kiali kiali-server@2.29.0 https://kiali.org/helm-charts",
      "monitoring/grafana grafana@12.11.1 https://grafana-community.github.io/helm-charts",
      "monitoring/kube-prometheus-stack kube-prometheus-stack@88.5.3 https://prometheus-community.github.io/helm-charts",
    ]);
    for (const r of engine.ofType(RELEASE)) {
      assert.equal(r.inputs.atomic, true, `${r.name} rolls back`);
      assert.equal(r.inputs.createNamespace, false, `${r.name} uses the namespace we create`);
      assert.notEqual(r.inputs.skipCrds, true, `${r.name} installs its chart's CRDs`);
    }
  });

  it("orders base -> istiod -> gateway with dependsOn", () => {
    const base = release("istio-base");
    const istiod = release("istiod");
    const gateway = release("istio-ingressgateway");
    assert.ok(istiod.dependencies.includes(base.urn), "istiod waits for base");
    assert.ok(gateway.dependencies.includes(istiod.urn), "gateway waits for istiod");
    assert.ok(!base.dependencies.includes(istiod.urn));
  });

  it("creates Istio objects after istiod, the Canary after Flagger, Flagger after Prometheus", () => {
    const istiod = release("istiod");
    for (const r of engine.resources.filter((x) => /istio\.io\/v1:/.test(x.type))) {
      assert.ok(r.dependencies.includes(istiod.urn), `${r.name} waits for istiod`);
    }
    const canary = engine.ofType("kubernetes:flagger.app/v1beta1:Canary");
    assert.equal(canary.length, 1);
    assert.ok(canary[0].dependencies.includes(release("flagger").urn));
    assert.ok(release("flagger").dependencies.includes(release("kube-prometheus-stack").urn));
    assert.ok(
      release("kube-prometheus-stack").dependencies.includes(istiod.urn),
      "Prometheus sidecar needs the injector",
    );
  });

  it("sends every Kubernetes resource through the cluster's provider", () => {
    const k8sRes = engine.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
    assert.ok(k8sRes.length >= 25, `${k8sRes.length} kubernetes resources`);
    for (const r of k8sRes)
      assert.ok(r.provider?.startsWith(providerUrn), `${r.name} uses the cluster provider`);
  });

  it("plans a STRICT PeerAuthentication, allow-nothing policies, the ServiceEntry and the Canary", () => {
    const pa = engine.ofType("kubernetes:security.istio.io/v1:PeerAuthentication");
    assert.equal(pa.length, 1);
    assert.deepEqual(pa[0].inputs.spec, { mtls: { mode: "STRICT" } });
    assert.equal((pa[0].inputs.metadata as { namespace: string }).namespace, "istio-system");
    const deny = engine
      .ofType("kubernetes:security.istio.io/v1:AuthorizationPolicy")
      .filter((r) => (r.inputs.metadata as { name: string }).name === "allow-nothing");
    assert.deepEqual(deny.map((r) => (r.inputs.metadata as { namespace: string }).namespace).sort(), [
      "flagger-system",
      "weather",
    ]);
    for (const d of deny) assert.deepEqual(d.inputs.spec, {});
    assert.equal(engine.ofType("kubernetes:networking.istio.io/v1:ServiceEntry").length, 1);
  });

  it("generates the Grafana admin password with @pulumi/random and keeps it secret", async () => {
    const pw = engine.ofType("random:index/randomPassword:RandomPassword");
    assert.equal(pw.length, 1);
    assert.ok(Number(pw[0].inputs.length) >= 32);
    assert.ok(await isSecret(out.grafanaAdminPassword), "grafanaAdminPassword is secret");
    const value = await promiseOf(out.grafanaAdminPassword);
    assert.ok(value.length >= 32 && value !== "admin");
    const secret = engine.ofType("kubernetes:core/v1:Secret")[0];
    assert.equal(secret.inputs.stringData, "[secret]", "the Secret's data is recorded as secret");
    assert.ok(
      !JSON.stringify(engine.resources.map((r) => r.inputs)).includes(value),
      "password in no plain input",
    );
  });

  it("has no default password, no anonymous Kiali and no exposed dashboard anywhere in the plan", () => {
    const text = JSON.stringify(engine.resources.map((r) => r.inputs));
    assert.ok(!/"adminPassword"|admin\/admin|"password":"admin"/.test(text));
    assert.ok(!/anonymous"?:\s*\{?"?enabled"?:true/.test(text));
    const kiali = release("kiali").inputs.values as {
      auth: { strategy: string };
      deployment: Record<string, unknown>;
    };
    assert.equal(kiali.auth.strategy, "token");
    assert.equal(kiali.deployment.view_only_mode, true);
    for (const r of engine.ofType(RELEASE)) {
      const v = JSON.stringify(r.inputs.values);
      if (r.inputs.name === "istio-ingressgateway") continue;
      assert.ok(
        !/NodePort|LoadBalancer/.test(v),
        `${String(r.inputs.name)} exposes no NodePort/LoadBalancer`,
      );
    }
  });

  it("is importable from the package root with its types", async () => {
    const root = await import("../../../index");
    for (const n of ["IstioMesh", "Observability", "Flagger", "planIstio", "buildCanary", "meshSchema"]) {
      assert.equal(
        typeof (root as Record<string, unknown>)[n],
        n === "meshSchema" ? "object" : "function",
        n,
      );
    }
  });

  it("returns the outputs the stack exports", async () => {
    assert.deepEqual(out.ingressNodePorts, { http: 30080, https: 30443, status: 30021 });
    assert.equal(out.ingressReadinessPath, "/healthz/ready");
    assert.equal(out.istioVersion, "1.30.4");
    assert.deepEqual(await promiseOf(out.canaries), ["weather/frontend"]);
  });

  it("refuses bad args with a ResourceError naming the key", () => {
    assert.throws(
      () =>
        new meshModule.IstioMesh("bad", {
          mesh: {
            egress: [
              {
                name: "x",
                namespace: "nowhere",
                hosts: ["a.example.org"],
                ports: [{ number: 443, protocol: "TLS" }],
              },
            ],
          },
        }),
      (err: Error) =>
        err instanceof pulumi.ResourceError &&
        /mesh\.egress\.0\.namespace: a ServiceEntry's namespace must be one of mesh\.namespaces/.test(
          err.message,
        ),
    );
    assert.throws(
      () =>
        new meshModule.Observability("bad-obs", {
          observability: { kiali: { strategy: "anonymous" as "token" } },
        }),
      /observability\.kiali\.strategy: must be token or openid/,
    );
  });
});
