// The pure manifest builders: config in, objects and Helm values out. No mock engine.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  buildCanary,
  CHARTS,
  ISTIO_VERSION,
  istioSupportError,
  loadCommand,
  planFlagger,
  planIstio,
  planObservability,
  principal,
  SERVICE_ACCOUNTS,
} from "../../../components/mesh";
import type { K8sObject } from "../../../components/mesh";
import { parsedMesh } from "../../harness/mesh-fixtures";

const find = (objs: K8sObject[], kind: string, ns: string | undefined, name: string) => {
  const o = objs.find((x) => x.kind === kind && x.metadata.namespace === ns && x.metadata.name === name);
  assert.ok(o, `${kind} ${ns}/${name} rendered`);
  return o;
};
type Rule = {
  from?: Array<{ source: Record<string, string[]> }>;
  to?: Array<{ operation: { ports: string[] } }>;
};
const spec = (o: K8sObject) => o.spec as Record<string, unknown>;

describe("planIstio", () => {
  const config = parsedMesh();
  const plan = planIstio(config);

  it("pins base, istiod and gateway to one supported Istio release from the official repo", () => {
    assert.equal(ISTIO_VERSION, "1.30.4");
    for (const r of [plan.base, plan.istiod, plan.gateway]) {
      assert.equal(r.version, "1.30.4");
      assert.equal(r.repo, "https://istio-release.storage.googleapis.com/charts");
    }
    assert.deepEqual([plan.base.chart, plan.istiod.chart, plan.gateway.chart], ["base", "istiod", "gateway"]);
    assert.deepEqual(
      [plan.base.name, plan.istiod.name, plan.gateway.name],
      ["istio-base", "istiod", "istio-ingressgateway"],
    );
    assert.equal(plan.gateway.namespace, "istio-ingress");
  });

  it("supports the clusters' Kubernetes 1.35.4 and refuses versions outside 1.32-1.36", () => {
    assert.equal(istioSupportError("1.35.4"), undefined);
    assert.equal(istioSupportError("v1.32"), undefined);
    assert.match(istioSupportError("1.37.0") ?? "", /outside what Istio 1\.30\.4 supports \(1\.32-1\.36\)/);
    assert.match(istioSupportError("latest") ?? "", /not a version like 1\.35\.4/);
  });

  it("sets REGISTRY_ONLY egress and Prometheus metric merging in istiod's meshConfig", () => {
    const mc = plan.istiod.values.meshConfig as Record<string, unknown>;
    assert.deepEqual(mc.outboundTrafficPolicy, { mode: "REGISTRY_ONLY" });
    assert.equal(mc.enablePrometheusMerge, true);
  });

  it("exposes the gateway on the fixed NodePorts: http, https and the status port 15021", () => {
    const svc = plan.gateway.values.service as { type: string; ports: Array<Record<string, unknown>> };
    assert.equal(svc.type, "NodePort");
    const byName = Object.fromEntries(svc.ports.map((p) => [p.name, p]));
    assert.deepEqual(byName["status-port"], {
      name: "status-port",
      port: 15021,
      targetPort: 15021,
      protocol: "TCP",
      nodePort: 30021,
    });
    assert.equal(byName.http2.nodePort, 30080);
    assert.equal(byName.https.nodePort, 30443);
    const custom = planIstio(
      parsedMesh((m) => (m.ingressNodePorts = { http: 31080, https: 31443, status: 31021 })),
    );
    const ports = (custom.gateway.values.service as { ports: Array<{ nodePort: number }> }).ports.map(
      (p) => p.nodePort,
    );
    assert.deepEqual(ports.sort(), [31021, 31080, 31443]);
  });

  it("keeps a PDB on the gateway only when it runs more than one replica", () => {
    assert.deepEqual(plan.gateway.values.podDisruptionBudget, { minAvailable: 1 });
    const one = planIstio(parsedMesh((m) => (m.gateway = { replicas: 1 })));
    assert.equal(one.gateway.values.podDisruptionBudget, undefined);
    assert.equal(one.gateway.values.replicaCount, 1);
  });

  it("makes mTLS STRICT mesh-wide with PeerAuthentication default in istio-system", () => {
    const pa = find(plan.objects, "PeerAuthentication", "istio-system", "default");
    assert.deepEqual(pa.spec, { mtls: { mode: "STRICT" } });
    assert.equal(plan.objects.filter((o) => o.kind === "PeerAuthentication").length, 1, "no weaker override");
  });

  it("labels app namespaces for injection and not the platform ones", () => {
    const ns = find(plan.objects, "Namespace", undefined, "weather");
    assert.equal(ns.metadata.labels?.["istio-injection"], "enabled");
    assert.equal(
      find(plan.objects, "Namespace", undefined, "istio-system").metadata.labels?.["istio-injection"],
      undefined,
    );
  });

  it("puts an allow-nothing policy (empty spec) in every app namespace", () => {
    const multi = planIstio(parsedMesh((m) => (m.namespaces = [{ name: "weather" }, { name: "billing" }])));
    for (const ns of ["weather", "billing"]) {
      assert.deepEqual(find(multi.objects, "AuthorizationPolicy", ns, "allow-nothing").spec, {});
    }
  });

  it("allows exactly the gateway, Prometheus and the load tester by mTLS identity, on the app ports", () => {
    const rules = (name: string) =>
      spec(find(plan.objects, "AuthorizationPolicy", "weather", name)).rules as Rule[];
    const gw = rules("allow-ingress-gateway");
    assert.deepEqual(gw[0].from![0].source.principals, [
      "cluster.local/ns/istio-ingress/sa/istio-ingressgateway",
    ]);
    assert.deepEqual(gw[0].to![0].operation.ports, ["8080"]);
    assert.deepEqual(rules("allow-prometheus-scrape")[0].from![0].source.principals, [
      principal(SERVICE_ACCOUNTS.prometheus),
    ]);
    assert.deepEqual(rules("allow-prometheus-scrape")[0].to![0].operation.ports, ["9090"]);
    assert.deepEqual(rules("allow-flagger-loadtester")[0].from![0].source.principals, [
      "cluster.local/ns/flagger-system/sa/flagger-loadtester",
    ]);
    for (const p of plan.objects.filter(
      (o) => o.kind === "AuthorizationPolicy" && o.metadata.name !== "allow-nothing",
    )) {
      assert.equal(spec(p).action, "ALLOW", `${p.metadata.name} is an ALLOW`);
      for (const r of spec(p).rules as Rule[]) {
        assert.ok(r.from && r.from.length > 0, `${p.metadata.name} names its source`);
        const src = JSON.stringify(r.from);
        assert.ok(!src.includes('"*"'), `${p.metadata.name} allows no wildcard source`);
      }
    }
  });

  it("allows nothing more when an app namespace turns same-namespace calls off and publishes nothing", () => {
    const closed = planIstio(
      parsedMesh((m) => {
        m.namespaces = [{ name: "weather", allowSameNamespace: false }];
        m.apps = [{ name: "batch", namespace: "weather", port: 8080 }];
      }),
    );
    const policies = closed.objects.filter((o) => o.kind === "AuthorizationPolicy");
    assert.deepEqual(
      policies.map((p) => p.metadata.name),
      ["allow-nothing"],
    );
  });

  it("renders one ServiceEntry per egress entry, external, DNS-resolved, exported to its namespace only", () => {
    const se = find(plan.objects, "ServiceEntry", "weather", "noaa");
    assert.deepEqual(se.spec, {
      hosts: ["api.weather.gov"],
      location: "MESH_EXTERNAL",
      resolution: "DNS",
      exportTo: ["."],
      ports: [{ number: 443, name: "tls-443", protocol: "TLS" }],
    });
  });

  it("publishes only configured hosts on the public Gateway (never *) and routes non-canary apps", () => {
    const gw = find(plan.objects, "Gateway", "istio-ingress", "public-gateway");
    const servers = spec(gw).servers as Array<{ hosts: string[]; port: { number: number } }>;
    assert.deepEqual(
      servers.map((s) => s.port.number),
      [80],
    );
    assert.deepEqual(servers[0].hosts, ["weather/weather.example.org"]);
    // the canary app's VirtualService belongs to Flagger
    assert.equal(plan.objects.filter((o) => o.kind === "VirtualService").length, 0);
    const plain = planIstio(parsedMesh((m) => delete (m.apps as Array<Record<string, unknown>>)[0].canary));
    const vs = find(plain.objects, "VirtualService", "weather", "frontend");
    assert.deepEqual(spec(vs).gateways, ["istio-ingress/public-gateway"]);
    assert.deepEqual(spec(vs).hosts, ["weather.example.org"]);
  });

  it("adds an HTTPS server only when a TLS credential is configured", () => {
    const tls = planIstio(parsedMesh((m) => (m.gateway = { tlsCredentialName: "weather-tls" })));
    const servers = spec(find(tls.objects, "Gateway", "istio-ingress", "public-gateway")).servers as Array<
      Record<string, unknown>
    >;
    assert.deepEqual(servers[1].tls, {
      mode: "SIMPLE",
      credentialName: "weather-tls",
      minProtocolVersion: "TLSV1_2",
    });
  });

  it("renders no Gateway and no app policy for a minimal config", () => {
    const min = planIstio(parsedMesh((m) => ((m.namespaces = []), (m.apps = []), (m.egress = []))));
    assert.deepEqual(
      min.objects.map((o) => `${o.kind}/${o.metadata.name}`),
      ["Namespace/istio-ingress", "Namespace/istio-system", "PeerAuthentication/default"],
    );
  });

  it("is deterministic", () => {
    assert.deepEqual(planIstio(parsedMesh()), planIstio(parsedMesh()));
  });
});

describe("planObservability", () => {
  const plan = planObservability(parsedMesh().observability);

  it("pins kube-prometheus-stack, the grafana-community Grafana chart and kiali-server", () => {
    assert.deepEqual(
      [plan.prometheus, plan.grafana, plan.kiali].map((r) => `${r.repo} ${r.chart} ${r.version}`),
      [
        "https://prometheus-community.github.io/helm-charts kube-prometheus-stack 88.5.3",
        "https://grafana-community.github.io/helm-charts grafana 12.11.1",
        "https://kiali.org/helm-charts kiali-server 2.29.0",
      ],
    );
  });

  it("keeps every dashboard ClusterIP", () => {
    const p = plan.prometheus.values.prometheus as { service: { type: string } };
    assert.equal(p.service.type, "ClusterIP");
    assert.equal((plan.grafana.values.service as { type: string }).type, "ClusterIP");
    assert.equal((plan.kiali.values.deployment as { service_type: string }).service_type, "ClusterIP");
    const text = JSON.stringify([plan.prometheus.values, plan.grafana.values, plan.kiali.values]);
    assert.ok(!/NodePort|LoadBalancer/.test(text), "no NodePort or LoadBalancer in observability values");
  });

  it("gives Grafana its login from the generated Secret, never a password in values, no anonymous access", () => {
    const g = plan.grafana.values;
    assert.deepEqual(g.admin, {
      existingSecret: "grafana-admin",
      userKey: "admin-user",
      passwordKey: "admin-password",
    });
    assert.equal(g.adminPassword, undefined);
    assert.deepEqual((g["grafana.ini"] as Record<string, unknown>)["auth.anonymous"], { enabled: false });
    assert.equal(
      (plan.prometheus.values.grafana as { enabled: boolean }).enabled,
      false,
      "no bundled Grafana",
    );
  });

  it("loads the Istio dashboards into Grafana", () => {
    const d = (plan.grafana.values.dashboards as { istio: Record<string, { gnetId: number }> }).istio;
    assert.deepEqual(Object.keys(d).sort(), [
      "istio-control-plane",
      "istio-mesh",
      "istio-performance",
      "istio-service",
      "istio-workload",
    ]);
  });

  it("runs Kiali with token login and view-only by default, OpenID when configured", () => {
    assert.deepEqual(plan.kiali.values.auth, { strategy: "token" });
    assert.equal((plan.kiali.values.deployment as { view_only_mode: boolean }).view_only_mode, true);
    const oidc = planObservability(
      parsedMesh(
        (m) =>
          (m.observability = {
            kiali: { strategy: "openid", openid: { issuerUri: "https://id.example.org", clientId: "kiali" } },
          }),
      ).observability,
    );
    assert.deepEqual(oidc.kiali.values.auth, {
      strategy: "openid",
      openid: { issuer_uri: "https://id.example.org", client_id: "kiali" },
    });
  });

  it("scrapes istiod and the merged sidecar metrics, and app ports through mTLS with the sidecar's cert", () => {
    const spec = (plan.prometheus.values.prometheus as { prometheusSpec: Record<string, unknown> })
      .prometheusSpec;
    const jobs = (spec.additionalScrapeConfigs as Array<{ job_name: string; scheme?: string }>).map(
      (j) => j.job_name,
    );
    assert.deepEqual(jobs, ["istiod", "kubernetes-pods-merged", "kubernetes-pods-istio-mtls"]);
    const ann = (spec.podMetadata as { annotations: Record<string, string> }).annotations;
    assert.equal(
      ann["traffic.sidecar.istio.io/includeInboundPorts"],
      "",
      "the Prometheus sidecar intercepts nothing",
    );
    assert.match(ann["proxy.istio.io/config"], /OUTPUT_CERTS/);
    assert.equal(
      (plan.prometheus.values.prometheus as { serviceAccount: { name: string } }).serviceAccount.name,
      "prometheus",
    );
  });
});

describe("planFlagger and the Canary builder", () => {
  const config = parsedMesh();
  const plan = planFlagger(config);

  it("pins Flagger 1.44.0 and loadtester 0.38.0 from flagger.app, mesh provider istio", () => {
    assert.equal(plan.flagger.version, CHARTS.flagger.version);
    assert.equal(plan.flagger.version, "1.44.0");
    assert.equal(plan.loadtester.version, "0.38.0");
    assert.equal(plan.flagger.repo, "https://flagger.app");
    assert.equal(plan.flagger.values.meshProvider, "istio");
    assert.equal(
      plan.flagger.values.metricsServer,
      "http://kube-prometheus-stack-prometheus.monitoring:9090",
    );
  });

  it("runs Flagger and the load tester inside the mesh behind allow-nothing", () => {
    assert.equal(
      find(plan.objects, "Namespace", undefined, "flagger-system").metadata.labels?.["istio-injection"],
      "enabled",
    );
    assert.deepEqual(find(plan.objects, "AuthorizationPolicy", "flagger-system", "allow-nothing").spec, {});
    const allow = spec(
      find(plan.objects, "AuthorizationPolicy", "flagger-system", "allow-flagger-to-loadtester"),
    );
    assert.deepEqual((allow.rules as Rule[])[0].from![0].source.principals, [
      "cluster.local/ns/flagger-system/sa/flagger",
    ]);
    assert.equal(plan.loadtester.values.serviceAccountName, "flagger-loadtester");
  });

  it("builds the Canary: Deployment target, gateway hosts, weights, thresholds and the load-test webhook", () => {
    assert.equal(plan.canaries.length, 1);
    const c = plan.canaries[0];
    assert.deepEqual(c.metadata, { name: "frontend", namespace: "weather" });
    const s = c.spec as Record<string, Record<string, unknown>>;
    assert.equal(s.provider as unknown, "istio");
    assert.deepEqual(s.targetRef, { apiVersion: "apps/v1", kind: "Deployment", name: "frontend" });
    assert.deepEqual(s.service.gateways, ["istio-ingress/public-gateway", "mesh"]);
    assert.deepEqual(s.service.hosts, ["weather.example.org"]);
    assert.equal(s.analysis.maxWeight, 50);
    assert.equal(s.analysis.stepWeight, 10);
    assert.equal(s.analysis.threshold, 5);
    assert.deepEqual(s.analysis.metrics, [
      { name: "request-success-rate", interval: "1m", thresholdRange: { min: 99 } },
      { name: "request-duration", interval: "1m", thresholdRange: { max: 500 } },
    ]);
    const hook = (s.analysis.webhooks as Array<Record<string, unknown>>)[0];
    assert.equal(hook.url, "http://flagger-loadtester.flagger-system/");
    // blocking: the load tester answers 500 when jsp-loadtest is over a threshold (a failed check)
    assert.deepEqual(hook.metadata, {
      type: "bash",
      cmd: "sh /opt/jetstream-paas/jsp-loadtest --name weather/frontend-canary --url http://frontend-canary.weather:8080/ --duration 30s --qps 10 --concurrency 2 --p95-ms 500 --max-error-rate 1",
    });
    assert.equal(hook.timeout, "60s");
  });

  it("drops the webhook when the load test is off, and refuses an app without a canary", () => {
    const off = parsedMesh(
      (m) => ((m.apps as Array<Record<string, unknown>>)[0].canary = { loadTest: { enabled: false } }),
    );
    const c = buildCanary(off.apps[0]);
    assert.equal((c.spec as { analysis: Record<string, unknown> }).analysis.webhooks, undefined);
    assert.throws(() => buildCanary(config.apps[1]), /mesh\.apps weather\/forecast: no canary configured/);
    assert.equal(
      loadCommand(config.apps[0], config.apps[0].canary!),
      "sh /opt/jetstream-paas/jsp-loadtest --name weather/frontend-canary --url http://frontend-canary.weather:8080/ --duration 30s --qps 10 --concurrency 2 --p95-ms 500 --max-error-rate 1",
    );
  });
});
