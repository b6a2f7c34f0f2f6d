// The failover controller's decision: only sustained, consistent evidence triggers; a flapping
// backend, a single failed probe, a stalled loop or a missing replica do not; nothing fails back.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decide, Policy, prune, Sample, siteDown } from "../../../components/state/controller/decide";
import { parseServersState, primarySiteView } from "../../../components/state/controller/haproxy";
import { parseControllerConfig } from "../../../components/state/controller/config";

const POLICY: Policy = { windowSeconds: 30, minSamples: 10, maxTransitions: 4, flapLookbackSeconds: 300 };
const T0 = 1_700_000_000_000;

const healthy = (at: number): Sample => ({
  at,
  backends: { up: 2, total: 2 },
  primaryDb: "skipped",
  replica: { reachable: true, inRecovery: true, streaming: true },
});
const down = (at: number): Sample => ({
  at,
  backends: { up: 0, total: 2 },
  primaryDb: "skipped",
  replica: { reachable: true, inRecovery: true, streaming: false },
});

/** samples every 2 s from `from` to `to` seconds (inclusive), built by `f` */
function series(from: number, to: number, f: (at: number, s: number) => Sample): Sample[] {
  const out: Sample[] = [];
  for (let s = from; s <= to; s += 2) out.push(f(T0 + s * 1000, s));
  return out;
}

describe("siteDown: every source must agree", () => {
  it("needs HAProxy to see no server up AND the database to be unreachable", () => {
    assert.equal(siteDown(down(T0)), true);
    assert.equal(siteDown({ ...down(T0), backends: { up: 1, total: 2 } }), false, "one backend up");
    assert.equal(
      siteDown({ ...down(T0), replica: { reachable: true, inRecovery: true, streaming: true } }),
      false,
      "replica still streaming",
    );
    assert.equal(siteDown({ ...down(T0), primaryDb: "ok" }), false, "primary answers");
    assert.equal(siteDown({ ...down(T0), backends: undefined }), false, "HAProxy unreadable is no evidence");
    assert.equal(
      siteDown({ ...down(T0), backends: { up: 0, total: 0 } }),
      false,
      "no servers (all in maintenance) is no evidence",
    );
  });
});

describe("decide", () => {
  it("fails over when the site was down in every sample over the whole window", () => {
    const h = [...series(0, 58, healthy), ...series(60, 100, down)];
    const d = decide(h, "watching", POLICY, T0 + 100_000);
    assert.equal(d.action, "failover", d.reason);
    assert.ok(d.evidence && d.evidence.samples >= 10);
  });

  it("does not fail over before the window is covered", () => {
    const h = [...series(0, 58, healthy), ...series(60, 80, down)];
    const d = decide(h, "watching", POLICY, T0 + 80_000);
    assert.equal(d.action, "none");
    assert.match(d.reason, /healthy sample|of the 30 s window/);
  });

  it("a single failed probe does not trigger", () => {
    const h = series(0, 100, (at, s) => (s === 100 ? down(at) : healthy(at)));
    const d = decide(h, "watching", POLICY, T0 + 100_000);
    assert.equal(d.action, "none");
    // and a failed DB probe alone, with HAProxy healthy, is not even a down sample
    const probeOnly = series(0, 100, (at) => ({
      ...healthy(at),
      primaryDb: "down",
      replica: { reachable: true, inRecovery: true, streaming: false },
    }));
    assert.equal(decide(probeOnly, "watching", POLICY, T0 + 100_000).action, "none");
  });

  it("a flapping backend never triggers, at any tick", () => {
    // down 6 s, up 2 s, for five minutes
    const h = series(0, 300, (at, s) => (s % 8 < 6 ? down(at) : healthy(at)));
    for (let i = 1; i <= h.length; i++) {
      const d = decide(h.slice(0, i), "watching", POLICY, h[i - 1].at);
      assert.equal(d.action, "none", `t=${(h[i - 1].at - T0) / 1000}: ${d.reason}`);
    }
  });

  it("after flapping, even a long down spell waits for an operator (flap guard)", () => {
    const h = [...series(0, 38, (at, s) => (s % 8 < 6 ? down(at) : healthy(at))), ...series(40, 100, down)];
    const d = decide(h, "watching", POLICY, T0 + 100_000);
    assert.equal(d.action, "none");
    assert.match(d.reason, /flapping: \d+ up\/down transitions/);
    // once the flaps age out of the lookback, sustained evidence counts again
    const later = [...h, ...series(102, 400, down)];
    assert.equal(decide(later, "watching", POLICY, T0 + 400_000).action, "failover");
  });

  it("a short flap inside the window resets the evidence", () => {
    const h = series(0, 100, (at, s) => (s === 90 ? healthy(at) : down(at)));
    const d = decide(h, "watching", POLICY, T0 + 100_000);
    assert.equal(d.action, "none");
    assert.match(d.reason, /1 healthy sample/);
  });

  it("a stalled loop (too few samples in the window) does not trigger", () => {
    const h = [healthy(T0), down(T0 + 60_000), down(T0 + 75_000), down(T0 + 90_000)];
    const d = decide(h, "watching", POLICY, T0 + 90_000);
    assert.equal(d.action, "none");
    assert.match(d.reason, /samples in the window/);
  });

  it("does not promote when the local replica is unreachable or not in recovery", () => {
    const unreachable = series(0, 100, (at) => ({ ...down(at), replica: { reachable: false } }));
    assert.match(decide(unreachable, "watching", POLICY, T0 + 100_000).reason, /replica unreachable/);
    const promoted = series(0, 100, (at) => ({
      ...down(at),
      replica: { reachable: true, inRecovery: false, streaming: false },
    }));
    assert.match(decide(promoted, "watching", POLICY, T0 + 100_000).reason, /nothing to promote/);
  });

  it("never fails back: once failed over, a healthy old site changes nothing", () => {
    const h = series(0, 300, healthy);
    for (const now of [100, 200, 300]) {
      const d = decide(h, "failed-over", POLICY, T0 + now * 1000);
      assert.equal(d.action, "none");
      assert.match(d.reason, /operator action/);
    }
  });

  it("finishes a failover that a restart interrupted", () => {
    assert.equal(decide([healthy(T0)], "failing-over", POLICY, T0).action, "resume-failover");
  });

  it("prune keeps what the flap guard looks at", () => {
    const h = series(0, 600, healthy);
    const kept = prune(h, POLICY, T0 + 600_000);
    assert.ok(kept[0].at >= T0 + 299_000 && kept[0].at <= T0 + 300_000);
  });
});

describe("HAProxy runtime API view", () => {
  const text = [
    "1",
    "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port",
    "3 be_live 1 iu-ingress-1 10.20.0.21 0 0 1 1 12 8 2 0 6 0 0 0 - 30080 - 0 0 - - 0",
    "3 be_live 2 iu-ingress-2 10.20.0.22 2 0 1 1 12 6 3 4 6 0 0 0 - 30080 - 0 0 - - 0",
    "3 be_live 3 iu-ingress-3 10.20.0.23 0 1 1 1 12 8 2 0 6 0 0 0 - 30080 - 0 0 - - 0",
    "3 be_live 4 tacc-ingress-1 198.51.100.140 2 0 1 1 12 6 3 4 6 0 0 0 - 30080 - 0 0 - - 0",
    "4 be_prelive 1 iu-ingress-9 10.20.0.29 0 0 1 1 12 8 2 0 6 0 0 0 - 30080 - 0 0 - - 0",
    "",
  ].join("\n");

  it("counts the primary site's servers in the watched backends, leaving out maintenance", () => {
    const servers = parseServersState(text);
    assert.equal(servers.length, 5);
    assert.deepEqual(primarySiteView(servers, ["be_live"], /^iu-/), { up: 1, total: 2 });
    assert.deepEqual(primarySiteView(servers, ["be_live"], /^tacc-/), { up: 1, total: 1 });
  });

  it("refuses text that is not the runtime API's answer", () => {
    assert.throws(() => parseServersState("Unknown command\n"), /no header line/);
  });
});

describe("controller config", () => {
  const ok = {
    localSite: "tacc",
    replica: { site: "tacc", host: "10.30.0.11", user: "jsp_failover", passfile: "/p", sslrootcert: "/ca" },
    primary: { site: "iu", host: "198.51.100.11", user: "jsp_failover", passfile: "/p", sslrootcert: "/ca" },
    haproxy: { socket: "/run/haproxy/admin.sock", backends: ["be_live"], primaryServerPattern: "^iu-" },
    pointer: { kind: "file", path: "/run/p.json" },
    stateDir: "/var/lib/x",
  };
  it("fills defaults", () => {
    const c = parseControllerConfig(JSON.stringify(ok));
    assert.equal(c.policy.windowSeconds, 30);
    assert.equal(c.replica.port, 5432);
    assert.equal(c.replica.sslmode, "verify-full");
  });
  const bad: Array<[string, unknown, RegExp]> = [
    ["same site", { ...ok, replica: { ...ok.replica, site: "iu" } }, /replica.site must differ/],
    ["no backends", { ...ok, haproxy: { ...ok.haproxy, backends: [] } }, /haproxy.backends/],
    ["bad regex", { ...ok, haproxy: { ...ok.haproxy, primaryServerPattern: "(" } }, /primaryServerPattern/],
    [
      "weak sslmode",
      { ...ok, primary: { ...ok.primary, sslmode: "require" } },
      /primary.sslmode must be verify-full or verify-ca/,
    ],
    ["interval too long", { ...ok, intervalSeconds: 10 }, /intervalSeconds/],
    ["bad pointer", { ...ok, pointer: { kind: "dns" } }, /pointer.kind/],
  ];
  for (const [what, cfg, re] of bad) {
    it(`refuses ${what}`, () => assert.throws(() => parseControllerConfig(JSON.stringify(cfg)), re));
  }
});
