// The `edge` key of the site schema: each bad input gives its one line naming key and rule.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, parseStackConfig } from "../../../components/config";
import { raw, siteValues } from "../../harness/configs";

const EDGE = {
  vip: "10.20.3.250",
  slots: {
    paasA: "organization/jetstream-paas-cluster/paasA",
    paasB: "organization/jetstream-paas-cluster/paasB",
  },
  live: "paasA",
  prelive: "paasB",
  peerStack: "organization/jetstream-paas/tacc",
};

function refusal(edge: unknown): string[] {
  try {
    parseStackConfig("site", raw(siteValues({ "jetstream-paas:edge": edge })));
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return [...err.lines];
  }
  assert.fail("config was accepted");
}

describe("site config: edge", () => {
  it("accepts a valid edge and fills the defaults", () => {
    const { config } = parseStackConfig("site", raw(siteValues({ "jetstream-paas:edge": EDGE })));
    assert.equal(config.edge?.hosts, 2);
    assert.equal(config.edge?.flavor, "m3.small");
    assert.equal(config.edge?.interface, "ens3");
    assert.equal(config.edge?.virtualRouterId, 51);
    assert.deepEqual(config.edge?.ports, {
      preliveHttp: 8080,
      preliveHttps: 8443,
      peerHttp: 8081,
      peerHttps: 8444,
      stats: 8404,
    });
    assert.equal(config.edge?.healthCheck.rise, 3);
    assert.deepEqual(config.edge?.peerSourceCidrs, ["0.0.0.0/0"]);
  });

  it("is optional: a site without an edge parses", () => {
    const { config } = parseStackConfig("site", raw(siteValues()));
    assert.equal(config.edge, undefined);
  });

  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    [
      "VIP outside the subnet",
      { vip: "10.99.0.5" },
      /^jetstream-paas:edge\.vip = "10\.99\.0\.5": must be inside network\.cidr 10\.20\.0\.0\/22$/,
    ],
    [
      "VIP on the gateway",
      { vip: "10.20.0.1" },
      /^jetstream-paas:edge\.vip = "10\.20\.0\.1": must not be the network, gateway/,
    ],
    ["VIP not an address", { vip: "edge" }, /^jetstream-paas:edge\.vip = "edge": must be an IPv4 address/],
    ["three hosts", { hosts: 3 }, /^jetstream-paas:edge\.hosts = 3: must be 1 or 2$/],
    [
      "live slot not in slots",
      { slots: { paasB: EDGE.slots.paasB }, prelive: undefined, live: "paasA" },
      /^jetstream-paas:edge\.live = "paasA": must be a key of edge\.slots$/,
    ],
    [
      "prelive equals live",
      { prelive: "paasA" },
      /^jetstream-paas:edge\.prelive = "paasA": must differ from edge\.live$/,
    ],
    ["unknown slot", { live: "paasC" }, /^jetstream-paas:edge\.live = "paasC": must be one of paasA, paasB$/],
    [
      "slot stack not qualified",
      { slots: { paasA: "paasA" }, prelive: undefined },
      /^jetstream-paas:edge\.slots\.paasA = "paasA": must be a fully qualified stack name/,
    ],
    [
      "port clash",
      { ports: { stats: 443 } },
      /^jetstream-paas:edge\.ports = .*: every edge port must differ from the others and from 80\/443$/,
    ],
    [
      "rise of 1 flaps",
      { healthCheck: { rise: 1 } },
      /^jetstream-paas:edge\.healthCheck\.rise = 1: must be >= 2/,
    ],
    ["unknown key", { stats: { password: "admin" } }, /^jetstream-paas:edge\.stats: unknown key/],
    [
      "VRID out of range",
      { virtualRouterId: 300 },
      /^jetstream-paas:edge\.virtualRouterId = 300: must be 1-255$/,
    ],
  ];
  for (const [what, patch, rule] of cases) {
    it(`refuses ${what}`, () => {
      const lines = refusal({ ...EDGE, ...patch });
      assert.equal(lines.length, 1, lines.join("\n"));
      assert.match(lines[0], rule);
    });
  }
});
