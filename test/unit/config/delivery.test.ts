// Schema of the delivery sections: site `jenkins`, cluster `blueGreen`. Each bad input gives
// its one line naming key, value and rule.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, parseStackConfig } from "../../../components/config";
import { clusterValues, raw, siteValues } from "../../harness/configs";

const DIGEST_A = `registry.example.org/web@sha256:${"a".repeat(64)}`;
const DIGEST_B = `registry.example.org/web@sha256:${"b".repeat(64)}`;

function refusal(kind: "site" | "cluster", values: Record<string, string>): string[] {
  try {
    parseStackConfig(kind, raw(values));
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return [...err.lines];
  }
  assert.fail("config was accepted");
}

const app = (over: Record<string, unknown> = {}) => ({
  name: "web",
  active: "blue",
  blue: { image: DIGEST_A },
  green: { image: DIGEST_B },
  ...over,
});
const pipeline = (over: Record<string, unknown> = {}) => ({
  app: "web",
  gitUrl: "https://git.example.org/web.git",
  imageRepository: "registry.example.org/web",
  ...over,
});

describe("site config: jenkins", () => {
  it("defaults: pinned LTS, deploy IU then TACC, no pipelines", () => {
    const { config } = parseStackConfig("site", raw(siteValues()));
    assert.equal(config.jenkins.enabled, undefined, "resolved per site by the stack: IU on");
    assert.equal(config.jenkins.version, "2.568.2");
    assert.equal(config.jenkins.flavor, "m3.small");
    assert.deepEqual(
      config.jenkins.deployTargets.map((t) => t.site),
      ["iu", "tacc"],
    );
    assert.equal(config.jenkins.pluginManager.version, "2.14.0");
  });

  it("accepts a pipeline and fills its defaults", () => {
    const { config } = parseStackConfig(
      "site",
      raw(siteValues({ "jetstream-paas:jenkins": { pipelines: [pipeline()] } })),
    );
    assert.equal(config.jenkins.pipelines[0].branch, "main");
    assert.equal(config.jenkins.pipelines[0].agentLabel, "build");
  });

  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    [
      "a weekly version",
      { version: "2.580" },
      /^jetstream-paas:jenkins\.version = "2\.580": must be an LTS version a\.b\.c/,
    ],
    ["an unknown key", { anonymousRead: true }, /^jetstream-paas:jenkins\.anonymousRead: unknown key/],
    [
      "a site deployed twice",
      {
        deployTargets: [
          { site: "iu", stack: "organization/jetstream-paas-cluster/paasA" },
          { site: "iu", stack: "organization/jetstream-paas-cluster/paasB" },
        ],
      },
      /^jetstream-paas:jenkins\.deployTargets\[1\]\.site = "iu": is listed twice; each site is deployed once per release/,
    ],
    [
      "a bare stack name",
      { deployTargets: [{ site: "iu", stack: "paasA" }] },
      /^jetstream-paas:jenkins\.deployTargets\[0\]\.stack = "paasA": must be a fully qualified stack name/,
    ],
    [
      "an image repository with a tag",
      { pipelines: [pipeline({ imageRepository: "registry.example.org/web:latest" })] },
      /^jetstream-paas:jenkins\.pipelines\[0\]\.imageRepository = .*: must be registry\/repository without a tag or digest/,
    ],
    [
      "a git URL that breaks out of a string",
      { pipelines: [pipeline({ gitUrl: "https://x/';sh 'id" })] },
      /^jetstream-paas:jenkins\.pipelines\[0\]\.gitUrl = .*: must be an https:\/\/, ssh:\/\/ or git@ URL without quotes/,
    ],
    [
      "two pipelines for one app",
      { pipelines: [pipeline(), pipeline()] },
      /^jetstream-paas:jenkins\.pipelines\[1\]\.app = "web": has two pipelines; one pipeline per app$/,
    ],
    [
      "a pipeline label no agent has",
      { pipelines: [pipeline({ agentLabel: "gpu" })], agents: [{ name: "b1", host: "10.20.0.50" }] },
      /^jetstream-paas:jenkins\.pipelines\[0\]\.agentLabel = "gpu": no agent has this label; the pipeline would wait forever$/,
    ],
    [
      "too many executors",
      { agents: [{ name: "b1", host: "10.20.0.50", executors: 64 }] },
      /^jetstream-paas:jenkins\.agents\[0\]\.executors = 64: must be 1-16$/,
    ],
    [
      "a bad plugin manager checksum",
      { pluginManager: { version: "2.14.0", sha256: "abc" } },
      /^jetstream-paas:jenkins\.pluginManager\.sha256 = "abc": must be 64 lowercase hex digits$/,
    ],
  ];
  for (const [what, jenkins, expected] of cases) {
    it(`refuses ${what}`, () => {
      const lines = refusal("site", siteValues({ "jetstream-paas:jenkins": jenkins }));
      assert.ok(
        lines.some((l) => expected.test(l)),
        `no line matched ${expected}:\n${lines.join("\n")}`,
      );
    });
  }
});

describe("cluster config: blueGreen", () => {
  it("accepts an app and fills defaults", () => {
    const { config } = parseStackConfig(
      "cluster",
      raw(clusterValues({ "jetstream-paas-cluster:blueGreen": [app()] })),
    );
    const a = config.blueGreen[0];
    assert.deepEqual(
      [a.namespace, a.replicas, a.containerPort, a.servicePort, a.readinessPath, a.meshed],
      ["default", 2, 8080, 80, "/healthz", false],
    );
  });

  it("defaults to no apps", () => {
    assert.deepEqual(parseStackConfig("cluster", raw(clusterValues())).config.blueGreen, []);
  });

  const cases: Array<[string, unknown[], RegExp]> = [
    [
      "an image by tag",
      [app({ green: { image: "registry.example.org/web:1.2" } })],
      /^jetstream-paas-cluster:blueGreen\[0\]\.green\.image = "registry\.example\.org\/web:1\.2": must be pinned by digest/,
    ],
    [
      "an unknown colour",
      [app({ active: "red" })],
      /^jetstream-paas-cluster:blueGreen\[0\]\.active = "red": must be blue or green$/,
    ],
    [
      "a name that is not a DNS-1035 label",
      [app({ name: "1web" })],
      /^jetstream-paas-cluster:blueGreen\[0\]\.name = "1web": must be a DNS-1035 label of at most 50 characters/,
    ],
    [
      "zero replicas",
      [app({ replicas: 0 })],
      /^jetstream-paas-cluster:blueGreen\[0\]\.replicas = 0: must be 1-50$/,
    ],
    [
      "a relative readiness path",
      [app({ readinessPath: "healthz" })],
      /^jetstream-paas-cluster:blueGreen\[0\]\.readinessPath = "healthz": must be an absolute URL path$/,
    ],
    [
      "the same app twice",
      [app(), app({ namespace: "other" })],
      /^jetstream-paas-cluster:blueGreen\[1\]\.name = "web": is declared twice/,
    ],
    [
      "a missing colour",
      [app({ green: undefined })],
      /^jetstream-paas-cluster:blueGreen\[0\]\.green: required key is missing/,
    ],
  ];
  for (const [what, apps, expected] of cases) {
    it(`refuses ${what}`, () => {
      const lines = refusal("cluster", clusterValues({ "jetstream-paas-cluster:blueGreen": apps }));
      assert.ok(
        lines.some((l) => expected.test(l)),
        `no line matched ${expected}:\n${lines.join("\n")}`,
      );
      for (const l of lines) assert.ok(!l.includes("\n"));
    });
  }
});

describe("cluster config: blueGreen inside the mesh", () => {
  it("refuses a meshed app outside mesh.namespaces", () => {
    const lines = refusal(
      "cluster",
      clusterValues({ "jetstream-paas-cluster:blueGreen": [app({ namespace: "default", meshed: true })] }),
    );
    assert.match(
      lines.join("\n"),
      /^jetstream-paas-cluster:blueGreen\[0\]\.namespace = "default": must be one of mesh\.namespaces \(none\) when meshed is true$/m,
    );
  });

  it("accepts a meshed app in a mesh namespace", () => {
    const { config } = parseStackConfig(
      "cluster",
      raw(
        clusterValues({
          "jetstream-paas-cluster:mesh": { namespaces: [{ name: "shop" }] },
          "jetstream-paas-cluster:blueGreen": [app({ namespace: "shop", meshed: true })],
        }),
      ),
    );
    assert.equal(config.blueGreen[0].namespace, "shop");
  });
});
