// The `state` key of the site config: defaults, and each bad input -> its one-line message.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, parseStackConfig } from "../../../components/config";
import { raw, siteValues } from "../../harness/configs";

function refusal(state: unknown): string[] {
  try {
    parseStackConfig("site", raw(siteValues({ "jetstream-paas:state": state })));
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return [...err.lines];
  }
  assert.fail("config was accepted");
}

describe("state config", () => {
  it("is optional: no key, no database", () => {
    assert.equal(parseStackConfig("site", raw(siteValues())).config.state, undefined);
  });

  it("fills defaults a mature setup would have", () => {
    const { config } = parseStackConfig(
      "site",
      raw(siteValues({ "jetstream-paas:state": { primarySite: "iu" } })),
    );
    const s = config.state!;
    assert.equal(s.flavor, "m3.small");
    assert.equal(s.volumeSizeGb, 100);
    assert.equal(s.port, 5432);
    assert.equal(s.synchronousCommit, "on");
    assert.equal(s.database, "app");
    assert.deepEqual(s.backup.endpoints, { iu: "https://js2.jetstream-cloud.org:8001" });
    assert.equal(s.backup.onCalendar, "*-*-* 03:15:00 UTC");
    assert.equal(s.controller.windowSeconds, 30);
    assert.deepEqual(s.controller.haproxyBackends, ["peer_http"]);
  });

  const cases: Array<[string, unknown, RegExp]> = [
    [
      "unknown primary site",
      { primarySite: "asu" },
      /^jetstream-paas:state\.primarySite = "asu": must be one of the Jetstream2 sites: iu, tacc$/,
    ],
    [
      "missing primary site",
      {},
      /^jetstream-paas:state\.primarySite = \(missing\): must be one of the Jetstream2 sites/,
    ],
    [
      "async named wrongly",
      { primarySite: "iu", synchronousCommit: "async" },
      /^jetstream-paas:state\.synchronousCommit = "async": must be on, remote_write or local$/,
    ],
    [
      "tiny volume",
      { primarySite: "iu", volumeSizeGb: 10 },
      /^jetstream-paas:state\.volumeSizeGb = 10: must be at least 20 \(GB\)/,
    ],
    [
      "bad database name",
      { primarySite: "iu", database: "my-app" },
      /^jetstream-paas:state\.database = "my-app": must be a lowercase SQL identifier/,
    ],
    [
      "http endpoint",
      { primarySite: "iu", backup: { endpoints: { tacc: "http://s3.example.org" } } },
      /^jetstream-paas:state\.backup\.endpoints\.tacc = "http:\/\/s3\.example\.org": must be an https:\/\/ URL$/,
    ],
    [
      "endpoint for an unknown site",
      { primarySite: "iu", backup: { endpoints: { asu: "https://s3.example.org" } } },
      /^jetstream-paas:state\.backup\.endpoints/,
    ],
    [
      "window shorter than its samples",
      { primarySite: "iu", controller: { windowSeconds: 10, intervalSeconds: 2, minSamples: 10 } },
      /^jetstream-paas:state\.controller\.minSamples = 10: must fit in the window: intervalSeconds \* minSamples <= windowSeconds$/,
    ],
    [
      "a hair-trigger window",
      { primarySite: "iu", controller: { windowSeconds: 1 } },
      /^jetstream-paas:state\.controller\.windowSeconds = 1: must be at least 5 \(seconds\)$/,
    ],
    ["unknown key", { primarySite: "iu", replicas: 2 }, /^jetstream-paas:state\.replicas: unknown key/],
    [
      "bad peer stack",
      { primarySite: "iu", peerStack: "tacc" },
      /^jetstream-paas:state\.peerStack = "tacc": must be a fully qualified stack name/,
    ],
  ];
  for (const [what, state, expected] of cases) {
    it(`refuses ${what}`, () => {
      const lines = refusal(state);
      assert.ok(
        lines.some((l) => expected.test(l)),
        `no line matched ${expected}:\n${lines.join("\n")}`,
      );
      for (const l of lines) assert.ok(!l.includes("\n"));
    });
  }
});
