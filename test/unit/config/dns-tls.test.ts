// The `dns` and `tls` keys of the site schema: defaults, and one line naming key and rule for
// every refusal.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, parseStackConfig } from "../../../components/config";
import { raw, siteValues } from "../../harness/configs";

const ZONE = "myalloc.projects.jetstream-cloud.org.";
const EDGE = {
  vip: "10.20.3.250",
  slots: { paasA: "organization/jetstream-paas-cluster/paasA" },
  live: "paasA",
  peerStack: "organization/jetstream-paas/tacc",
};
const TLS = { acme: { email: "ops@example.org" } };

function parse(extra: Record<string, unknown>) {
  return parseStackConfig("site", raw(siteValues(extra))).config;
}

function refusal(extra: Record<string, unknown>): string[] {
  try {
    parse(extra);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return [...err.lines];
  }
  assert.fail("config was accepted");
}

describe("site config: dns", () => {
  it("fills the defaults: apex as base name, 60 s TTL, records at IU, the checker's window", () => {
    const c = parse({ "jetstream-paas:dns": { zone: ZONE } });
    assert.deepEqual(
      { ...c.dns, checker: undefined },
      {
        zone: ZONE,
        zoneMode: "existing",
        provider: "designate",
        recordsSite: "iu",
        baseName: "@",
        appNames: [],
        live: "iu",
        ttl: 60,
        siteTtl: 300,
        checker: undefined,
      },
    );
    assert.deepEqual(c.dns?.checker, {
      intervalSeconds: 5,
      windowSeconds: 30,
      minSamples: 5,
      probeTimeoutMs: 2000,
      maxTransitions: 4,
      flapLookbackSeconds: 300,
    });
  });

  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    [
      "a zone without its dot",
      { zone: "myalloc.projects.jetstream-cloud.org" },
      /^jetstream-paas:dns\.zone = "myalloc\.projects\.jetstream-cloud\.org": must be a DNS zone in lowercase with its trailing dot/,
    ],
    [
      "an upper-case zone",
      { zone: "MyAlloc.example.org." },
      /^jetstream-paas:dns\.zone = .*: must be a DNS zone/,
    ],
    [
      "a name outside the zone",
      { zone: ZONE, appNames: ["www.example.org."] },
      /^jetstream-paas:dns\.appNames\[0\] = "www\.example\.org\.": must be inside the zone myalloc/,
    ],
    [
      "the same host twice",
      { zone: ZONE, appNames: ["weather", `weather.${ZONE}`] },
      /^jetstream-paas:dns\.appNames\[1\] = .*: names the same host as appNames\.0/,
    ],
    [
      "a site operator name as an app",
      { zone: ZONE, appNames: ["tacc"] },
      /^jetstream-paas:dns\.appNames\[0\] = "tacc": is a per-site operator name/,
    ],
    [
      "a bad label",
      { zone: ZONE, appNames: ["we_ather"] },
      /^jetstream-paas:dns\.appNames\[0\] = "we_ather": must be @ \(the zone apex\)/,
    ],
    ["a TTL of 1 s", { zone: ZONE, ttl: 1 }, /^jetstream-paas:dns\.ttl = 1: must be 10-86400 \(seconds\)$/],
    [
      "an unknown provider",
      { zone: ZONE, provider: "route53" },
      /^jetstream-paas:dns\.provider = "route53": must be designate or external$/,
    ],
    [
      "a created zone without its contact",
      { zone: ZONE, zoneMode: "create" },
      /^jetstream-paas:dns\.zoneEmail = \(missing\): is required when zoneMode is create/,
    ],
    [
      "a window too short for its samples",
      { zone: ZONE, checker: { intervalSeconds: 10, windowSeconds: 30 } },
      /^jetstream-paas:dns\.checker\.minSamples = 5: must fit in the window/,
    ],
    [
      "one probe as evidence",
      { zone: ZONE, checker: { minSamples: 1 } },
      /^jetstream-paas:dns\.checker\.minSamples = 1: must be at least 3 \(one failed probe is never evidence\)$/,
    ],
    [
      "a probe timeout past its interval",
      { zone: ZONE, checker: { probeTimeoutMs: 6000 } },
      /^jetstream-paas:dns\.checker\.probeTimeoutMs = 6000: must be shorter than intervalSeconds/,
    ],
    [
      "an unknown checker key",
      { zone: ZONE, checker: { flipBack: true } },
      /^jetstream-paas:dns\.checker\.flipBack: unknown key/,
    ],
  ];
  for (const [what, dns, line] of cases) {
    it(`refuses ${what} in one line`, () => {
      const lines = refusal({ "jetstream-paas:dns": dns });
      assert.equal(lines.length, 1, lines.join("\n"));
      assert.match(lines[0], line);
    });
  }
});

describe("site config: tls", () => {
  it("defaults to Let's Encrypt, an account of its own, ECDSA keys, 30 days, two-year HSTS", () => {
    const c = parse({
      "jetstream-paas:dns": { zone: ZONE },
      "jetstream-paas:edge": EDGE,
      "jetstream-paas:tls": TLS,
    });
    assert.deepEqual(c.tls, {
      acme: {
        directoryUrl: "https://acme-v02.api.letsencrypt.org/directory",
        email: "ops@example.org",
        account: "create",
        keyType: "ec256",
        renewDaysBefore: 30,
      },
      hsts: { enabled: true, maxAgeSeconds: 63072000, includeSubDomains: false, preload: false },
    });
  });

  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    [
      "TLS without an edge",
      { "jetstream-paas:dns": { zone: ZONE }, "jetstream-paas:tls": TLS },
      /^jetstream-paas:tls = "\(set\)": needs edge/,
    ],
    [
      "TLS without dns",
      { "jetstream-paas:edge": EDGE, "jetstream-paas:tls": TLS },
      /^jetstream-paas:tls = "\(set\)": needs dns/,
    ],
    [
      "a plain-http directory",
      {
        "jetstream-paas:dns": { zone: ZONE },
        "jetstream-paas:edge": EDGE,
        "jetstream-paas:tls": {
          acme: { email: "ops@example.org", directoryUrl: "http://ca.example.org/dir" },
        },
      },
      /^jetstream-paas:tls\.acme\.directoryUrl = "http:\/\/ca\.example\.org\/dir": must be an https:\/\/ URL/,
    ],
    [
      "no account e-mail",
      {
        "jetstream-paas:dns": { zone: ZONE },
        "jetstream-paas:edge": EDGE,
        "jetstream-paas:tls": { acme: {} },
      },
      /^jetstream-paas:tls\.acme\.email: required key is missing/,
    ],
    [
      "a peer account without a peer stack",
      {
        "jetstream-paas:dns": { zone: ZONE },
        "jetstream-paas:edge": { ...EDGE, peerStack: undefined },
        "jetstream-paas:tls": { acme: { email: "ops@example.org", account: "peer" } },
      },
      /^jetstream-paas:tls\.acme\.account = "peer": needs edge\.peerStack/,
    ],
    [
      "preload without includeSubDomains",
      {
        "jetstream-paas:dns": { zone: ZONE },
        "jetstream-paas:edge": EDGE,
        "jetstream-paas:tls": { ...TLS, hsts: { preload: true } },
      },
      /^jetstream-paas:tls\.hsts\.preload = true: needs includeSubDomains/,
    ],
    [
      "a private key in config",
      {
        "jetstream-paas:dns": { zone: ZONE },
        "jetstream-paas:edge": EDGE,
        "jetstream-paas:tls": { ...TLS, privateKey: "-----BEGIN EC PRIVATE KEY-----" },
      },
      /^jetstream-paas:tls\.privateKey: unknown key/,
    ],
  ];
  for (const [what, extra, line] of cases) {
    it(`refuses ${what} in one line`, () => {
      const lines = refusal(extra);
      assert.equal(lines.length, 1, lines.join("\n"));
      assert.match(lines[0], line);
    });
  }
});
