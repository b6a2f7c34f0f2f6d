// The edge's TLS without mocks: what haproxy.cfg says with `tls` on (binds, profile, ACME,
// redirect, HSTS, the verified peer hop) and what the ACME scripts are given. The real tools
// judge the same text in test/tools/ (haproxy -c, shellcheck, Pebble + lego).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { legoAccountKeyPath, renderAcmeCloudPart, renderAcmeEnv } from "../../../components/edge/render/acme";
import { renderEdgeCloudInit } from "../../../components/edge/render/edge-cloud-init";
import { renderHaproxyConfig } from "../../../components/edge/render/haproxy";
import { MOZILLA_INTERMEDIATE } from "../../../components/edge/render/haproxy-tls";
import { haproxyInput, section } from "./fixtures";

const TLS = {
  certFile: "/etc/haproxy/certs/jsp-public.pem",
  thumbprintEnv: "JSP_ACME_THUMBPRINT",
  hsts: { maxAgeSeconds: 63072000, includeSubDomains: false, preload: false },
  peer: { caFile: "/etc/ssl/certs/ca-certificates.crt", verifyName: "myalloc.projects.jetstream-cloud.org" },
};
const ACME = {
  names: ["myalloc.projects.jetstream-cloud.org", "iu.myalloc.projects.jetstream-cloud.org"],
  directoryUrl: "https://acme-v02.api.letsencrypt.org/directory",
  email: "ops@example.org",
  keyType: "ec256" as const,
  renewDaysBefore: 30,
  paths: {
    state: "/var/lib/jsp-acme",
    webroot: "/var/lib/jsp-acme/webroot",
    certFile: "/etc/haproxy/certs/jsp-public.pem",
    adminSocket: "/run/haproxy/admin.sock",
    haproxyEnv: "/etc/haproxy/jsp-edge.env",
  },
};

describe("haproxy.cfg with TLS on the edge", () => {
  const cfg = renderHaproxyConfig(haproxyInput({ tls: TLS }));

  it("sets Mozilla's intermediate profile for every bind and for the peer hop", () => {
    assert.ok(cfg.includes(`    ssl-default-bind-ciphers ${MOZILLA_INTERMEDIATE.ciphers.join(":")}\n`));
    assert.ok(
      cfg.includes(`    ssl-default-bind-ciphersuites ${MOZILLA_INTERMEDIATE.ciphersuites.join(":")}\n`),
    );
    assert.match(
      cfg,
      /^ {4}ssl-default-bind-options prefer-client-ciphers ssl-min-ver TLSv1\.2 no-tls-tickets$/m,
    );
    assert.match(cfg, /^ {4}ssl-default-server-options ssl-min-ver TLSv1\.2 no-tls-tickets$/m);
    assert.match(cfg, /^ {4}ssl-default-bind-curves X25519:prime256v1:secp384r1$/m);
    assert.doesNotMatch(cfg, /(?<!EC)DHE-|CBC|-SHA(:|$)|ssl-dh-param-file/m);
  });

  it("port 80: readiness, the ACME answer, a redirect of the rest; no backend", () => {
    const http = section(cfg, "frontend live_http");
    assert.deepEqual(http.slice(0, 2), ["bind :80", "monitor-uri /.well-known/jsp-edge-ready"]);
    assert.ok(http.includes("acl acme_challenge path_beg /.well-known/acme-challenge/"));
    assert.ok(
      http.includes(
        'http-request return status 200 content-type text/plain lf-string "%[path,field(4,/)].${JSP_ACME_THUMBPRINT}" if acme_challenge',
      ),
    );
    assert.equal(http[http.length - 1], "http-request redirect scheme https code 301 unless acme_challenge");
    assert.ok(!http.some((l) => /^(use|default)_backend /.test(l)));
  });

  it("443, pre-live 8443 and peer 8444 terminate TLS with the certificate and route HTTP to the slots", () => {
    const https = section(cfg, "frontend live_https");
    assert.equal(https[0], "bind :443 ssl crt /etc/haproxy/certs/jsp-public.pem alpn h2,http/1.1");
    assert.ok(https.includes("http-request set-header X-Forwarded-Proto https"));
    assert.ok(https.includes('http-response set-header Strict-Transport-Security "max-age=63072000"'));
    assert.ok(https.includes("use_backend peer_http if failed_over"), "the failover latch still applies");
    assert.ok(!https.includes("mode tcp"));
    const prelive = section(cfg, "frontend prelive_https");
    assert.equal(
      prelive[0],
      "bind 10.20.3.250:8443 ssl crt /etc/haproxy/certs/jsp-public.pem alpn h2,http/1.1",
    );
    assert.ok(prelive.includes("tcp-request connection reject unless admin_net"));
    assert.ok(prelive.includes("default_backend slot_paasB_http"));
    const peer = section(cfg, "frontend peer_https");
    assert.ok(peer.includes("monitor-uri /healthz/ready"));
    assert.ok(peer.includes("default_backend slot_paasA_http"));
  });

  it("reaches the other site's edge over verified TLS, for traffic and for its check", () => {
    const verify =
      "ssl verify required ca-file /etc/ssl/certs/ca-certificates.crt verifyhost myalloc.projects.jetstream-cloud.org sni str(myalloc.projects.jetstream-cloud.org)";
    assert.ok(
      section(cfg, "backend live_paasA_http").includes(
        `server tacc-edge 198.51.100.140:8444 backup track peer_http/tacc-edge ${verify}`,
      ),
    );
    assert.ok(
      section(cfg, "backend peer_http").includes(
        `server tacc-edge 198.51.100.140:8444 check check-sni myalloc.projects.jetstream-cloud.org ${verify}`,
      ),
    );
  });

  it("adds includeSubDomains and preload only when asked, and no header when HSTS is off", () => {
    const full = renderHaproxyConfig(
      haproxyInput({
        tls: { ...TLS, hsts: { maxAgeSeconds: 31536000, includeSubDomains: true, preload: true } },
      }),
    );
    assert.match(full, /Strict-Transport-Security "max-age=31536000; includeSubDomains; preload"/);
    const none = renderHaproxyConfig(haproxyInput({ tls: { ...TLS, hsts: undefined } }));
    assert.doesNotMatch(none, /Strict-Transport-Security/);
  });

  it("without tls, 443 still passes through to the gateway, and port 80 answers the readiness URI", () => {
    const plain = renderHaproxyConfig(haproxyInput());
    assert.ok(section(plain, "frontend live_https").includes("mode tcp"));
    assert.ok(section(plain, "frontend live_http").includes("monitor-uri /.well-known/jsp-edge-ready"));
    assert.doesNotMatch(plain, /ssl crt|acme/);
  });

  it("names the bad key", () => {
    assert.throws(
      () =>
        renderHaproxyConfig(
          haproxyInput({ tls: { ...TLS, peer: { ...TLS.peer, verifyName: "not a host" } } }),
        ),
      /^Error: haproxy: tls\.peer\.verifyName: "not a host" must be a host name$/,
    );
  });
});

describe("ACME on the edge hosts", () => {
  it("puts the account key where lego looks for it", () => {
    assert.equal(
      legoAccountKeyPath(
        "/var/lib/jsp-acme",
        "https://acme-v02.api.letsencrypt.org/directory",
        "ops@example.org",
      ),
      "/var/lib/jsp-acme/accounts/acme-v02.api.letsencrypt.org/ops@example.org/keys/ops@example.org.key",
    );
    assert.equal(
      legoAccountKeyPath("/s", "https://203.0.113.50:14000/dir", "a@b.org"),
      "/s/accounts/203.0.113.50_14000/a@b.org/keys/a@b.org.key",
    );
  });

  it("writes one env file the scripts read, quoted for bash", () => {
    const env = renderAcmeEnv(ACME);
    assert.match(
      env,
      /^ACME_DOMAINS='myalloc\.projects\.jetstream-cloud\.org iu\.myalloc\.projects\.jetstream-cloud\.org'$/m,
    );
    assert.match(env, /^ACME_RENEW_DAYS=30$/m);
    assert.doesNotMatch(env, /LEGO_CA_CERTIFICATES/, "production trusts the system's CAs");
    assert.throws(
      () => renderAcmeEnv({ ...ACME, names: ["bad name"] }),
      /acme: names\[0\]: "bad name" must be a host name/,
    );
    assert.throws(
      () => renderAcmeEnv({ ...ACME, directoryUrl: "http://x/dir" }),
      /acme: directoryUrl: must be an https:\/\/ URL/,
    );
  });

  it("ships the account key 0600 only when there is one, and orders the steps around HAProxy's start", () => {
    const part = renderAcmeCloudPart(ACME, "KEY");
    const key = part.files.find((f) => f.path.endsWith("/keys/ops@example.org.key"))!;
    assert.equal(key.permissions, "0600");
    assert.equal(renderAcmeCloudPart(ACME, undefined).files.length, part.files.length - 1);
    const ci = renderEdgeCloudInit({
      hostname: "iu-edge-1",
      haproxyCfg: "global\n",
      slotsMap: "live paasA\n",
      keepalivedCfg: "vrrp_instance x {}\n",
      checkScript: "#!/bin/sh\n",
      notifyScript: "#!/bin/sh\n",
      haproxyEnv: "JSP_STATS_PASSWORD=x\n",
      keepalivedAuth: "auth_pass x\n",
      tls: part,
    });
    const runcmd = ci.slice(ci.indexOf("runcmd:"));
    const at = (s: string) => runcmd.indexOf(s);
    assert.ok(
      at("jsp-acme-bootstrap") < at("jsp-edge-apply") && at("jsp-edge-apply") < at("jsp-acme-renew.timer"),
    );
    assert.match(ci, /- lego\n/);
  });
});
