// Real tools on every edge config we render: `haproxy -c`, `keepalived -t`, `cloud-init schema`,
// including the artifacts `npm run synth -- iu` writes when the slot and peer stacks are up.
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { renderApplyScript, renderEdgeCloudInit } from "../../components/edge/render/edge-cloud-init";
import { renderHaproxyConfig } from "../../components/edge/render/haproxy";
import {
  renderHaproxyCheckScript,
  renderKeepalivedConfig,
  renderNotifyScript,
} from "../../components/edge/render/keepalived";
import { selfSignedPem } from "../../tools/drill/tls-lab";
import { runSynth } from "../harness/synth";
import { cloudInitSchema, requireTools, runTool } from "../harness/tools";
import { haproxyInput, keepalivedInput } from "../unit/edge/fixtures";

const dir = mkdtempSync(join(tmpdir(), "jsp-edge-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** haproxy -c with the file paths a test can own and the password variable set. */
function haproxyCheck(text: string, name: string) {
  const file = join(dir, name);
  writeFileSync(file, text);
  process.env.JSP_STATS_PASSWORD = "test-only-password";
  return runTool("haproxy", ["-c", "-f", file]);
}

function localPaths(name: string) {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, "jsp-slots.map"), "live paasA\nprelive paasB\n");
  return {
    adminSocket: join(d, "admin.sock"),
    stateFile: join(d, "state"),
    slotsMap: join(d, "jsp-slots.map"),
  };
}

// keepalived -t also checks that the interface exists: run it in a namespace of ours that has
// the edge VMs' NIC name (a veth named ens3), so the rendered config is tested unchanged.
const NS = `jsp${process.pid}kt`;
// Scripts keepalived runs must sit in paths no other user can write (enable_script_security):
// /run, not /tmp. The rendered paths are substituted by these, nothing else.
const scriptDir = mkdtempSync("/run/jsp-edge-test-");
chmodSync(scriptDir, 0o755);
after(() => rmSync(scriptDir, { recursive: true, force: true }));
const CHECK = join(scriptDir, "jsp-check-haproxy");
const NOTIFY = join(scriptDir, "jsp-keepalived-notify");
writeFileSync(CHECK, renderHaproxyCheckScript("http://127.0.0.1:8081/healthz/ready"), { mode: 0o755 });
writeFileSync(NOTIFY, renderNotifyScript(join(scriptDir, "vrrp.log")), { mode: 0o755 });

function keepalivedCheck(rendered: string, name: string) {
  const file = join(dir, name);
  const text = rendered
    .replace("/usr/local/sbin/jsp-check-haproxy", CHECK)
    .replace("/usr/local/sbin/jsp-keepalived-notify", NOTIFY);
  writeFileSync(file, text);
  return runTool("ip", ["netns", "exec", NS, "keepalived", "-t", "-f", file]);
}

describe("edge configs pass the real tools", () => {
  before(() => {
    requireTools(["haproxy", "keepalived", "cloud-init", "ip"]);
    const add = runTool("ip", ["netns", "add", NS]);
    assert.ok(add.ok, `ip netns add (needs root): ${add.output}`);
    assert.ok(runTool("ip", ["-n", NS, "link", "add", "ens3", "type", "veth", "peer", "name", "ens3p"]).ok);
  });
  after(() => runTool("ip", ["netns", "del", NS]));

  const variants: Array<[string, Parameters<typeof haproxyInput>[0]]> = [
    ["two slots and a peer", {}],
    [
      "no peer (standby site)",
      { peer: undefined, preliveSlot: undefined, slots: [{ name: "paasA", ingressNodes: ["10.30.0.21"] }] },
    ],
    [
      "a slot whose stack is not up",
      {
        slots: [
          { name: "paasA", ingressNodes: ["10.20.0.21"] },
          { name: "paasB", ingressNodes: undefined },
        ],
      },
    ],
    [
      "no slot up at all",
      {
        slots: [
          { name: "paasA", ingressNodes: undefined },
          { name: "paasB", ingressNodes: undefined },
        ],
      },
    ],
  ];
  for (const [what, patch] of variants) {
    it(`haproxy -c accepts the config with ${what}`, () => {
      const r = haproxyCheck(
        renderHaproxyConfig(haproxyInput(patch, localPaths(what.replace(/\W+/g, "-")))),
        `${what.replace(/\W+/g, "-")}.cfg`,
      );
      assert.ok(r.ok, r.output);
      assert.match(r.output, /Configuration file is valid/);
      assert.doesNotMatch(r.output, /\[ALERT\]/);
    });
  }

  it("haproxy -c is a real check: a use_backend to a missing backend fails", () => {
    const text = renderHaproxyConfig(haproxyInput({}, localPaths("bad"))).replace(
      "default_backend live_paasA_http",
      "default_backend nowhere",
    );
    const r = haproxyCheck(text, "bad.cfg");
    assert.equal(r.ok, false, r.output);
  });

  it("keepalived -t accepts both hosts' configs and refuses a broken one", () => {
    const auth = join(dir, "auth.conf");
    writeFileSync(auth, "auth_pass abcd1234\n", { mode: 0o600 });
    for (const [k, self, peer] of [
      [0, "10.20.0.11", "10.20.0.12"],
      [1, "10.20.0.12", "10.20.0.11"],
    ] as const) {
      const text = renderKeepalivedConfig(
        keepalivedInput({
          self: { name: `iu-edge-${k + 1}`, address: self },
          peers: [{ name: "other", address: peer }],
          priority: 110 - k * 10,
          authFile: auth,
        }),
      );
      const r = keepalivedCheck(text, `k${k}.conf`);
      assert.ok(r.ok, r.output);
    }
    const bad = renderKeepalivedConfig(keepalivedInput({ authFile: auth })).replace(
      "auth_type PASS",
      "auth_type NONSENSE",
    );
    assert.equal(keepalivedCheck(bad, "bad.conf").ok, false);
  });

  it("shellcheck passes the scripts the edge hosts run", () => {
    requireTools(["shellcheck"]);
    const scripts: Array<[string, string]> = [
      ["apply.sh", renderApplyScript()],
      ["check.sh", renderHaproxyCheckScript("http://127.0.0.1:8081/healthz/ready")],
      ["notify.sh", renderNotifyScript("/var/log/jsp-edge-vrrp.log")],
    ];
    for (const [name, text] of scripts) {
      const f = join(dir, name);
      writeFileSync(f, text);
      const r = runTool("shellcheck", [f]);
      assert.ok(r.ok, `${name}: ${r.output}`);
    }
  });

  it("cloud-init schema accepts the edge cloud-config", () => {
    const text = renderEdgeCloudInit({
      hostname: "iu-edge-1",
      haproxyCfg: renderHaproxyConfig(haproxyInput()),
      slotsMap: "live paasA\n",
      keepalivedCfg: renderKeepalivedConfig(keepalivedInput()),
      checkScript: "#!/bin/sh\nexit 0\n",
      notifyScript: "#!/bin/sh\nexit 0\n",
      haproxyEnv: "JSP_STATS_PASSWORD=x\n",
      keepalivedAuth: "auth_pass abcd1234\n",
      extraFiles: [{ path: "/etc/jsp-failover/config.yaml", content: "x: 1\n" }],
      extraRuncmd: [["true"]],
    });
    const r = cloudInitSchema(text, dir, "edge.yaml");
    assert.ok(r.ok, r.output);
  });

  it("synth -- iu renders haproxy.cfg with TACC backup servers and 15021 checks, and keepalived per host", () => {
    const outRoot = join(dir, "out");
    const stub = (stack: string, name: string, outputs: Record<string, unknown>) => {
      mkdirSync(join(outRoot, stack), { recursive: true });
      writeFileSync(
        join(outRoot, stack, "outputs.json"),
        JSON.stringify({ name, outputs, secretOutputNames: [] }),
      );
    };
    // cluster stacks as the cluster project exports them (paasB left out: stack not up)
    stub("paasA", "organization/jetstream-paas-cluster/paasA", {
      slot: "paasA",
      site: "iu",
      ingressNodes: ["10.20.0.40", "10.20.0.41", "10.20.0.42"],
      ingressNodePorts: { http: 30080, https: 30443, status: 30021 },
    });
    stub("tacc", "organization/jetstream-paas/tacc", { edgePublicAddress: "198.51.100.140" });
    const run = runSynth("iu", outRoot);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stderr, /slot paasB has no ingressNodes \(its stack is not up\)/);
    const cfg = readFileSync(join(run.outDir, "haproxy", "haproxy.cfg"), "utf8");
    assert.match(cfg, /server paasa-0-40 10\.20\.0\.40:30080 check port 30021/);
    // the iu stack terminates TLS (jetstream-paas:tls): the backup hop is verified TLS on 8444
    assert.match(
      cfg,
      /server tacc-edge 198\.51\.100\.140:8444 backup track peer_http\/tacc-edge ssl verify required/,
    );
    assert.match(cfg, /uri \/healthz\/ready/);
    assert.doesNotMatch(cfg, /test-only-password|\[secret\]/, "no password in haproxy.cfg at all");
    const paths = localPaths("synth");
    const local = cfg
      .replace("/run/haproxy/admin.sock", paths.adminSocket)
      .replace("/var/lib/haproxy/server-state", paths.stateFile)
      .replaceAll("/etc/haproxy/jsp-slots.map", paths.slotsMap)
      .replaceAll("/etc/haproxy/certs/jsp-public.pem", selfSignedPem(dir, "edge-test"));
    const r = haproxyCheck(local, "synth.cfg");
    assert.ok(r.ok, r.output);
    const auth = join(dir, "auth-synth.conf");
    writeFileSync(auth, "auth_pass abcd1234\n", { mode: 0o600 });
    for (const host of ["iu-edge-1", "iu-edge-2"]) {
      const k = readFileSync(join(run.outDir, "keepalived", `${host}.conf`), "utf8").replace(
        "/etc/keepalived/jsp-auth.conf",
        auth,
      );
      const kr = keepalivedCheck(k, `${host}.conf`);
      assert.ok(kr.ok, kr.output);
      const ci = readFileSync(join(run.outDir, "cloud-init", `${host}.yaml`), "utf8");
      assert.match(ci, /JSP_STATS_PASSWORD=\[secret\]/);
      assert.match(ci, /auth_pass \[secret\]/);
      assert.ok(cloudInitSchema(ci, dir, `${host}.yaml`).ok);
    }
  });
});
