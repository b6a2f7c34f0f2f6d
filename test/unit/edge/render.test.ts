// Edge renderers without mocks: haproxy.cfg, keepalived.conf, cloud-init, as text.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { renderEdgeCloudInit } from "../../../components/edge/render/edge-cloud-init";
import { renderHaproxyConfig, renderSlotsMap } from "../../../components/edge/render/haproxy";
import { renderKeepalivedAuth, renderKeepalivedConfig } from "../../../components/edge/render/keepalived";
import { haproxyInput, keepalivedInput, section } from "./fixtures";

describe("haproxy.cfg renderer", () => {
  const cfg = renderHaproxyConfig(haproxyInput());

  it("puts the live slot's nodes active and the other site's edge as backup", () => {
    const live = section(cfg, "backend live_paasA_http");
    const servers = live.filter((l) => l.startsWith("server "));
    assert.deepEqual(
      servers.map((l) => l.split(" ").slice(0, 3).join(" ")),
      [
        "server paasa-0-21 10.20.0.21:30080",
        "server paasa-0-22 10.20.0.22:30080",
        "server tacc-edge 198.51.100.140:8081",
      ],
      "sorted, nodes on the http NodePort, the peer on its peer port",
    );
    assert.match(servers[2], / backup /);
    assert.doesNotMatch(servers[0], /backup/);
    assert.match(
      section(cfg, "backend live_paasA_https").join("\n"),
      /server tacc-edge 198\.51\.100\.140:8444 backup/,
    );
  });

  it("checks the Istio readiness endpoint (15021 via the status NodePort) fast, with rise and slowstart", () => {
    const live = section(cfg, "backend live_paasA_http");
    assert.ok(live.includes("option httpchk"));
    assert.ok(live.some((l) => /^http-check send meth GET uri \/healthz\/ready /.test(l)));
    assert.ok(live.includes("http-check expect status 200"));
    for (const l of live.filter((x) => x.startsWith("server paasa"))) {
      assert.match(l, / check port 30021 observe layer4 error-limit 3 on-error mark-down$/);
    }
    assert.match(
      cfg,
      /default-server inter 1000ms fastinter 500ms downinter 2000ms fall 2 rise 3 slowstart 10s/,
    );
    assert.match(cfg, /timeout check 1000ms/);
    assert.match(cfg, /15021\/healthz\/ready/);
  });

  it("retries after a sent request only for idempotent methods", () => {
    for (const b of ["live_paasA_http", "live_paasB_http", "slot_paasA_http", "peer_http"]) {
      const s = section(cfg, `backend ${b}`);
      assert.ok(s.includes("retry-on conn-failure empty-response response-timeout 502 503 504"), b);
      assert.ok(s.includes("acl idempotent method GET HEAD OPTIONS"), b);
      assert.ok(s.includes("http-request disable-l7-retry unless idempotent"), b);
    }
    assert.doesNotMatch(cfg, /method [A-Z ]*POST/);
  });

  it("keeps stats private: VIP bind, admin CIDRs, userlist with the password from the environment", () => {
    const stats = section(cfg, "frontend stats");
    assert.ok(stats.includes("bind 10.20.3.250:8404"));
    assert.ok(stats.includes("acl admin_net src 203.0.113.0/26"));
    assert.ok(stats.includes("http-request deny deny_status 403 unless admin_net"));
    assert.ok(stats.includes("http-request auth realm jsp-edge unless authorized"));
    assert.ok(stats.includes("stats hide-version"));
    assert.ok(
      section(cfg, "userlist stats_users").includes(
        'user jsp-admin insecure-password "${JSP_STATS_PASSWORD}"',
      ),
    );
    assert.doesNotMatch(cfg, /stats auth|ubuntu|admin:admin/);
    assert.match(cfg, /stats socket \/run\/haproxy\/admin\.sock mode 660 level admin expose-fd listeners/);
  });

  it("routes pre-live to the slot under test only from admin networks, never to the backup", () => {
    const pre = section(cfg, "frontend prelive_http");
    assert.ok(pre.includes("bind 10.20.3.250:8080"));
    assert.ok(pre.includes("http-request deny deny_status 403 unless admin_net"));
    assert.ok(pre.includes("use_backend slot_%[str(prelive),map(/etc/haproxy/jsp-slots.map,paasB)]_http"));
    assert.ok(
      section(cfg, "frontend prelive_https").includes("tcp-request connection reject unless admin_net"),
    );
    assert.ok(!section(cfg, "backend slot_paasB_http").some((l) => l.includes("backup")));
  });

  it("latches a failover (no automatic fail-back) and never from a stopping process", () => {
    const live = section(cfg, "frontend live_http");
    assert.ok(live.includes("http-request track-sc0 int(1) table failover_latch"));
    assert.ok(live.includes("http-request sc-set-gpt0(0) 1 if live_is_paasA paasA_down !reloading"));
    assert.ok(live.includes("acl reloading stopping"));
    assert.ok(live.includes("use_backend peer_http if failed_over"));
    assert.match(cfg, /stick-table type integer size 1 store gpt0 peers jsp_edge/);
  });

  it("is master-worker with server states kept across reloads", () => {
    assert.match(cfg, /^ {4}master-worker$/m);
    assert.match(cfg, /server-state-file \/var\/lib\/haproxy\/server-state/);
    assert.match(cfg, /load-server-state-from-file global/);
    assert.match(cfg, /option idle-close-on-response/);
  });

  it("leaves a slot without nodes empty, and has no backup without a peer", () => {
    const c = renderHaproxyConfig(
      haproxyInput({
        peer: undefined,
        slots: [
          { name: "paasA", ingressNodes: ["10.20.0.21"] },
          { name: "paasB", ingressNodes: undefined },
        ],
      }),
    );
    assert.ok(section(c, "backend live_paasB_http").some((l) => l.includes("has no ingress nodes")));
    assert.ok(!section(c, "backend live_paasB_http").some((l) => l.startsWith("server ")));
    assert.doesNotMatch(c, / backup|sc-set-gpt0|track-sc0|use_backend peer_/);
  });

  it("is deterministic and ends with one newline", () => {
    const a = renderHaproxyConfig(haproxyInput());
    const b = renderHaproxyConfig(
      haproxyInput({
        slots: [...haproxyInput().slots]
          .reverse()
          .map((s) => ({ name: s.name, ingressNodes: s.servers.map((x) => x.address).reverse() })),
      }),
    );
    assert.equal(a, b);
    assert.ok(a.endsWith("\n") && !a.endsWith("\n\n"));
  });

  it("refuses bad input naming the key", () => {
    assert.throws(
      () => renderHaproxyConfig(haproxyInput({ liveSlot: "paasC" })),
      /haproxy: liveSlot: "paasC" is not one of paasA, paasB/,
    );
    assert.throws(
      () => renderHaproxyConfig(haproxyInput({ adminCidrs: ["0.0.0.0/0"] })),
      /haproxy: adminCidrs: "0.0.0.0\/0" opens the private frontends to the world/,
    );
    assert.throws(
      () => renderHaproxyConfig(haproxyInput({ ports: { stats: 443 } })),
      /haproxy: ports: every frontend needs its own port/,
    );
    assert.throws(
      () => renderHaproxyConfig(haproxyInput({ vip: "10.20.3" })),
      /haproxy: privateBindAddress: "10\.20\.3" must be an IPv4 address/,
    );
    assert.throws(
      () => renderHaproxyConfig(haproxyInput({ preliveSlot: "paasA" })),
      /haproxy: preliveSlot: must differ from liveSlot/,
    );
  });

  it("renders the slots map", () => {
    assert.equal(renderSlotsMap({ liveSlot: "paasA", preliveSlot: "paasB" }), "live paasA\nprelive paasB\n");
    assert.equal(renderSlotsMap({ liveSlot: "paasB" }), "live paasB\n");
  });
});

describe("keepalived.conf renderer", () => {
  const conf = renderKeepalivedConfig(keepalivedInput());

  it("is unicast, BACKUP with nopreempt, tracks HAProxy, authenticates and notifies", () => {
    assert.match(conf, /state BACKUP\n {4}nopreempt\n/);
    assert.match(conf, /unicast_src_ip 10\.20\.0\.11\n {4}unicast_peer \{\n {8}10\.20\.0\.12\n {4}\}/);
    assert.match(conf, /auth_type PASS\n {8}include \/etc\/keepalived\/jsp-auth\.conf/);
    assert.match(conf, /track_script \{\n {8}chk_haproxy\n {4}\}/);
    assert.match(conf, /notify "\/usr\/local\/sbin\/jsp-keepalived-notify"/);
    assert.match(conf, /10\.20\.3\.250\/22 dev ens3/);
    assert.match(conf, /enable_script_security/);
    assert.doesNotMatch(conf, /auth_pass/);
  });

  it("refuses bad input naming the key", () => {
    assert.throws(
      () => renderKeepalivedConfig(keepalivedInput({ vip: "10.20.0.11" })),
      /keepalived: vip: must not be a host's own address/,
    );
    assert.throws(
      () => renderKeepalivedConfig(keepalivedInput({ virtualRouterId: 0 })),
      /keepalived: virtualRouterId: must be 1-255/,
    );
    assert.throws(
      () => renderKeepalivedAuth("short"),
      /keepalived: authPassword: must be 8 letters or digits/,
    );
  });
});

describe("edge cloud-init renderer", () => {
  const base = {
    hostname: "iu-edge-1",
    haproxyCfg: "global\n",
    slotsMap: "live paasA\n",
    keepalivedCfg: "global_defs {\n}\n",
    checkScript: "#!/bin/sh\n",
    notifyScript: "#!/bin/sh\n",
    haproxyEnv: "JSP_STATS_PASSWORD=x\n",
    keepalivedAuth: "auth_pass abcdefgh\n",
  };

  it("installs, stages, validates through jsp-edge-apply, keeps secrets 0600", () => {
    const doc = parse(renderEdgeCloudInit(base)) as {
      packages: string[];
      write_files: Array<{ path: string; permissions: string; content: string }>;
      runcmd: unknown[];
    };
    assert.deepEqual(doc.packages, ["curl", "haproxy", "keepalived", "socat"]);
    const file = (p: string) => doc.write_files.find((f) => f.path === p)!;
    assert.equal(file("/etc/haproxy/jsp-edge.env").permissions, "0600");
    assert.equal(file("/etc/keepalived/jsp-auth.conf").permissions, "0600");
    const apply = file("/usr/local/sbin/jsp-edge-apply").content;
    assert.ok(
      apply.indexOf("haproxy -c") < apply.indexOf("systemctl reload haproxy"),
      "validate before reload",
    );
    assert.ok(
      apply.indexOf("show servers state") < apply.indexOf("systemctl reload haproxy"),
      "save states before reload",
    );
    assert.deepEqual(doc.runcmd.at(-1), ["/usr/local/sbin/jsp-edge-apply"]);
  });

  it("ships extra files and commands (e.g. the failover controller) after its own", () => {
    const doc = parse(
      renderEdgeCloudInit({
        ...base,
        extraFiles: [{ path: "/usr/local/sbin/jsp-failover", content: "#!/bin/sh\n", permissions: "0755" }],
        extraRuncmd: [["systemctl", "enable", "--now", "jsp-failover"]],
      }),
    ) as { write_files: Array<{ path: string }>; runcmd: unknown[] };
    assert.equal(doc.write_files.at(-1)?.path, "/usr/local/sbin/jsp-failover");
    assert.deepEqual(doc.runcmd.at(-1), ["systemctl", "enable", "--now", "jsp-failover"]);
    assert.throws(
      () =>
        renderEdgeCloudInit({ ...base, extraFiles: [{ path: "/etc/haproxy/jsp-edge.env", content: "" }] }),
      /extraFiles\[0\]\.path \/etc\/haproxy\/jsp-edge\.env is a file of the edge/,
    );
  });
});
