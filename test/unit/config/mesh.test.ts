// GIVEN a valid cluster config with a mesh section, WHEN one mesh key is broken, THEN the
// schema refuses it with one line naming the key, the value and the rule.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, DEFAULT_NODE_PORTS, parseStackConfig } from "../../../components/config";
import { DEFAULT_INGRESS_NODE_PORTS } from "../../../components/network";
import { clusterValues, raw } from "../../harness/configs";
import { exampleMesh } from "../../harness/mesh-fixtures";

const KEY = "jetstream-paas-cluster:mesh";

function withMesh(patch: (m: Record<string, unknown>) => void): Record<string, string> {
  const m = exampleMesh();
  patch(m);
  return clusterValues({ [KEY]: m });
}

function refusal(values: Record<string, string>): string[] {
  try {
    parseStackConfig("cluster", raw(values));
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return [...err.lines];
  }
  assert.fail("config was accepted");
}

type Apps = Array<Record<string, unknown>>;

describe("mesh config schema", () => {
  it("gives a minimal config (no mesh key) a locked-down mesh with default NodePorts", () => {
    const { config } = parseStackConfig("cluster", raw(clusterValues()));
    assert.deepEqual(config.mesh.ingressNodePorts, { http: 30080, https: 30443, status: 30021 });
    assert.deepEqual(config.mesh.namespaces, []);
    assert.equal(config.mesh.gateway.replicas, 2);
    assert.equal(config.mesh.observability.kiali.strategy, "token");
    assert.equal(config.mesh.observability.kiali.viewOnly, true);
    assert.notEqual(config.mesh.observability.grafana.adminUser, "admin");
  });

  it("keeps the default NodePorts equal to the ones the site security groups open", () => {
    assert.deepEqual(
      [DEFAULT_NODE_PORTS.http, DEFAULT_NODE_PORTS.https, DEFAULT_NODE_PORTS.status],
      DEFAULT_INGRESS_NODE_PORTS,
    );
  });

  it("fills canary defaults (1m, step 10, max 50, 99 %, 500 ms, load test on)", () => {
    const { config } = parseStackConfig("cluster", raw(clusterValues({ [KEY]: exampleMesh() })));
    const c = config.mesh.apps[0].canary!;
    assert.equal(c.interval, "1m");
    assert.equal(c.stepWeight, 10);
    assert.equal(c.maxWeight, 50);
    assert.equal(c.minSuccessRate, 99);
    assert.equal(c.maxRequestDurationMs, 500);
    assert.deepEqual(c.loadTest, {
      enabled: true,
      path: "/",
      duration: "30s",
      qps: 10,
      concurrency: 2,
      p95Ms: 500,
      maxErrorRatePercent: 1,
    });
  });

  const cases: Array<[string, (m: Record<string, unknown>) => void, RegExp]> = [
    [
      "unknown namespace in a ServiceEntry",
      (m) => ((m.egress as Apps)[0].namespace = "billing"),
      /^jetstream-paas-cluster:mesh\.egress\[0\]\.namespace = "billing": a ServiceEntry's namespace must be one of mesh\.namespaces \(weather\)$/,
    ],
    [
      "canary maxWeight over 100",
      (m) => ((m.apps as Apps)[0].canary = { maxWeight: 101 }),
      /^jetstream-paas-cluster:mesh\.apps\[0\]\.canary\.maxWeight = 101: must be at most 100 \(percent of traffic\)$/,
    ],
    [
      "canary stepWeight above maxWeight",
      (m) => ((m.apps as Apps)[0].canary = { stepWeight: 60, maxWeight: 50 }),
      /^jetstream-paas-cluster:mesh\.apps\[0\]\.canary\.stepWeight = 60: must not exceed maxWeight \(50\)$/,
    ],
    [
      "canary success rate over 100",
      (m) => ((m.apps as Apps)[0].canary = { minSuccessRate: 120 }),
      /canary\.minSuccessRate = 120: must be 0-100 \(percent\)$/,
    ],
    [
      "canary interval not a duration",
      (m) => ((m.apps as Apps)[0].canary = { interval: "one minute" }),
      /canary\.interval = "one minute": must be a duration such as 30s, 1m, 2h or 15d$/,
    ],
    [
      "unknown canary key",
      (m) => ((m.apps as Apps)[0].canary = { maxWieght: 50 }),
      /^jetstream-paas-cluster:mesh\.apps\[0\]\.canary\.maxWieght: unknown key/,
    ],
    [
      "app in an undeclared namespace",
      (m) => ((m.apps as Apps)[1].namespace = "other"),
      /^jetstream-paas-cluster:mesh\.apps\[1\]\.namespace = "other": an app's namespace must be one of mesh\.namespaces/,
    ],
    [
      "an app namespace taking a platform namespace",
      (m) => (m.namespaces = [{ name: "weather" }, { name: "istio-system" }]),
      /^jetstream-paas-cluster:mesh\.namespaces\[1\]\.name = "istio-system": must not be a platform namespace/,
    ],
    [
      "allowFrom an undeclared namespace",
      (m) => (m.namespaces = [{ name: "weather", allowFrom: ["billing"] }]),
      /mesh\.namespaces\[0\]\.allowFrom\[0\] = "billing": allowFrom entries must be one of mesh\.namespaces/,
    ],
    [
      "the same host on two apps",
      (m) => ((m.apps as Apps)[1].hosts = ["weather.example.org"]),
      /mesh\.apps\[1\]\.hosts\[0\] = "weather\.example\.org": is already routed to weather\/frontend; a host goes to one app$/,
    ],
    [
      "a wildcard egress host",
      (m) => ((m.egress as Apps)[0].hosts = ["*.weather.gov"]),
      /mesh\.egress\[0\]\.hosts\[0\] = "\*\.weather\.gov": must be a lowercase fully qualified host name/,
    ],
    [
      "an egress host with a scheme",
      (m) => ((m.egress as Apps)[0].hosts = ["https://api.weather.gov"]),
      /mesh\.egress\[0\]\.hosts\[0\] = "https:\/\/api\.weather\.gov": must be a lowercase fully qualified host name/,
    ],
    [
      "an egress entry with no port",
      (m) => ((m.egress as Apps)[0].ports = []),
      /mesh\.egress\[0\]\.ports = \[\]: must list at least one port$/,
    ],
    [
      "an unknown egress protocol",
      (m) => ((m.egress as Apps)[0].ports = [{ number: 443, protocol: "QUIC" }]),
      /mesh\.egress\[0\]\.ports\[0\]\.protocol = "QUIC": must be one of HTTP, HTTPS, HTTP2, GRPC, TLS, TCP$/,
    ],
    [
      "a NodePort outside the node-port range",
      (m) => (m.ingressNodePorts = { http: 80 }),
      /mesh\.ingressNodePorts\.http = 80: must be a NodePort in 30000-32767/,
    ],
    [
      "two gateway ports on one NodePort",
      (m) => (m.ingressNodePorts = { http: 30080, https: 30080 }),
      /mesh\.ingressNodePorts\.https = 30080: must differ from http/,
    ],
    [
      "anonymous Kiali",
      (m) => (m.observability = { kiali: { strategy: "anonymous" } }),
      /mesh\.observability\.kiali\.strategy = "anonymous": must be token or openid \(anonymous is refused/,
    ],
    [
      "OpenID Kiali without an issuer",
      (m) => (m.observability = { kiali: { strategy: "openid" } }),
      /mesh\.observability\.kiali\.openid.*must be given when strategy is openid/,
    ],
    [
      "OpenID issuer over plain http",
      (m) =>
        (m.observability = {
          kiali: { strategy: "openid", openid: { issuerUri: "http://id.example.org", clientId: "kiali" } },
        }),
      /kiali\.openid\.issuerUri = "http:\/\/id\.example\.org": must be an https:\/\/ issuer URL$/,
    ],
    [
      "Grafana admin user admin",
      (m) => (m.observability = { grafana: { adminUser: "admin" } }),
      /mesh\.observability\.grafana\.adminUser = "admin": must not be admin/,
    ],
    [
      "a Grafana password given in config",
      (m) => (m.observability = { grafana: { adminPassword: "admin" } }),
      /mesh\.observability\.grafana\.adminPassword: unknown key/,
    ],
    [
      "metrics on the served port",
      (m) => ((m.apps as Apps)[0].metricsPort = 8080),
      /mesh\.apps\[0\]\.metricsPort = 8080: must differ from port/,
    ],
  ];

  for (const [what, patch, expected] of cases) {
    it(`refuses ${what}`, () => {
      const lines = refusal(withMesh(patch));
      assert.equal(lines.length, 1, lines.join("\n"));
      assert.match(lines[0], expected);
    });
  }
});
