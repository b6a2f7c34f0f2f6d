// The DNS checker's decision on synthetic histories: only a whole window of "primary silent,
// standby healthy" moves the names, never one failed probe, never a flapping primary, never
// when the checker cannot see the standby either, and never back.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decide, EdgeState, Policy, Sample, transitions } from "../../../components/dns/checker/decide";
import { parseCheckerConfig } from "../../../components/dns/checker/config";

const POLICY: Policy = { windowSeconds: 30, minSamples: 5, maxTransitions: 4, flapLookbackSeconds: 300 };
const T0 = 1_800_000_000_000;

/** Samples every `every` s from T0: `pattern(t)` gives [from, to] at second t. */
function history(seconds: number, pattern: (t: number) => [EdgeState, EdgeState], every = 5): Sample[] {
  const out: Sample[] = [];
  for (let t = 0; t <= seconds; t += every) {
    const [from, to] = pattern(t);
    out.push({ at: T0 + t * 1000, from, to });
  }
  return out;
}

const at = (h: Sample[]) => h[h.length - 1].at;

describe("dns checker decision", () => {
  it("moves the names after the primary edge was silent, and the standby healthy, for the whole window", () => {
    const lostAt = 100;
    const h = history(140, (t) => [t >= lostAt ? "down" : "up", "up"]);
    // the first moment every sample of the last 30 s is silent: 30 s after the first silent probe
    let first: number | undefined;
    for (let k = 1; k <= h.length; k++) {
      if (decide(h.slice(0, k), "from", POLICY, h[k - 1].at).action === "flip") {
        first = (h[k - 1].at - T0) / 1000;
        break;
      }
    }
    assert.equal(first, 130);
    const d = decide(h, "from", POLICY, at(h));
    assert.equal(d.action, "flip");
    assert.match(d.reason, /silent and standby healthy in all 7 samples over 30\.0 s/);
  });

  it("never on one failed probe", () => {
    const h = history(200, (t) => [t === 100 ? "down" : "up", "up"]);
    for (let k = 1; k <= h.length; k++)
      assert.equal(decide(h.slice(0, k), "from", POLICY, h[k - 1].at).action, "none");
  });

  it("never while the primary flaps (it answers inside every window), and not after it settles down from flapping", () => {
    const flap = history(300, (t) => [Math.floor(t / 15) % 2 === 0 ? "down" : "up", "up"]);
    for (let k = 1; k <= flap.length; k++)
      assert.equal(decide(flap.slice(0, k), "from", POLICY, flap[k - 1].at).action, "none");
    const thenDown = [
      ...flap,
      ...history(60, () => ["down", "up"]).map((s) => ({ ...s, at: s.at + 305_000 })),
    ];
    const d = decide(thenDown, "from", POLICY, at(thenDown));
    assert.equal(d.action, "none");
    assert.match(
      d.reason,
      /^flapping: the primary edge changed \d+ times in 300 s \(max 4\); an operator decides$/,
    );
    assert.ok(transitions(flap) > 4);
  });

  it("never when the checker itself is cut off: it must see the standby healthy", () => {
    const h = history(120, (t) => (t >= 30 ? ["down", "down"] : ["up", "up"]));
    const d = decide(h, "from", POLICY, at(h));
    assert.equal(d.action, "none");
    assert.match(
      d.reason,
      /standby edge was not healthy from here in \d+ sample\(s\): this checker may be the one cut off/,
    );
    // one bad standby sample inside the window is enough to hold
    const once = history(120, (t) => [t >= 30 ? "down" : "up", t === 110 ? "down" : "up"]);
    assert.equal(decide(once, "from", POLICY, at(once)).action, "none");
  });

  it("never when the primary edge answers, even with errors (it forwards to the standby itself)", () => {
    const h = history(120, () => ["degraded", "up"]);
    const d = decide(h, "from", POLICY, at(h));
    assert.equal(d.action, "none");
    assert.match(d.reason, /primary edge answers/);
  });

  it("never back: names at the standby stay there whatever the primary does", () => {
    const h = history(120, () => ["up", "down"]);
    assert.match(decide(h, "to", POLICY, at(h)).reason, /moving them back is an operator's call/);
    assert.equal(
      decide(
        history(120, () => ["down", "up"]),
        "to",
        POLICY,
        T0 + 120_000,
      ).action,
      "none",
    );
  });

  it("holds when the records cannot be read or point elsewhere; finishes a partial move", () => {
    const h = history(120, (t) => [t >= 50 ? "down" : "up", "up"]);
    assert.equal(decide(h, "unknown", POLICY, at(h)).action, "none");
    assert.equal(decide(h, "other", POLICY, at(h)).action, "none");
    const mixed = decide(h, "mixed", POLICY, at(h));
    assert.equal(mixed.action, "flip");
    assert.match(mixed.reason, /finishing a partial move/);
  });

  it("needs enough samples: a stalled checker does not decide on two points", () => {
    const h: Sample[] = [
      { at: T0, from: "up", to: "up" },
      { at: T0 + 40_000, from: "down", to: "up" },
      { at: T0 + 70_000, from: "down", to: "up" },
    ];
    assert.match(decide(h, "from", POLICY, T0 + 70_000).reason, /only 2 of 5 samples in the window/);
  });
});

describe("dns checker config file", () => {
  const good = {
    zone: "z.example.org.",
    names: ["z.example.org.", "w.z.example.org."],
    from: { site: "iu", address: "192.0.2.100" },
    to: { site: "tacc", address: "198.51.100.140" },
    probe: { port: 80, path: "/.well-known/jsp-edge-ready", timeoutMs: 2000 },
    intervalSeconds: 5,
    policy: POLICY,
    action: {
      kind: "designate",
      authUrl: "http://127.0.0.1:5000/v3",
      region: "IU",
      credentialFile: "/tmp/c.json",
    },
    stateDir: "/tmp/s",
  };
  it("reads a rendered config", () => {
    assert.equal(parseCheckerConfig(JSON.stringify(good)).to.site, "tacc");
  });
  const bad: Array<[string, unknown, RegExp]> = [
    ["relative names", { ...good, names: ["www"] }, /names must be a non-empty list of absolute names/],
    ["the same site twice", { ...good, to: good.from }, /to must be another site than from/],
    [
      "one-sample evidence",
      { ...good, policy: { ...POLICY, minSamples: 1 } },
      /policy minSamples must be an integer >= 3/,
    ],
    [
      "a probe longer than the interval",
      { ...good, probe: { ...good.probe, timeoutMs: 6000 } },
      /probe\.timeoutMs must be shorter/,
    ],
    [
      "an unknown action",
      { ...good, action: { kind: "route53" } },
      /action\.kind must be designate or command/,
    ],
  ];
  for (const [what, cfg, msg] of bad) {
    it(`refuses ${what}`, () => assert.throws(() => parseCheckerConfig(JSON.stringify(cfg)), msg));
  }
});
