// HTTPS on the edge against a real ACME server: Pebble (Let's Encrypt's test CA) in a network
// namespace, the real lego running the rendered ACME scripts, the real HAProxy running the
// haproxy.cfg the iu/tacc stacks render with TLS on. Issue, install without a reload, serve
// (a client trusting only Pebble's root verifies chain and name), redirect, challenge path,
// Mozilla intermediate on the wire (TLS 1.0/1.1 refused), renewal under load, a challenge of
// one site answered by the other site's edge, the verified TLS hop between the edges, and the
// reload fallback of the deploy step. About 30 s.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { MOZILLA_INTERMEDIATE } from "../../components/edge/render/haproxy-tls";
import { legoAccountKeyPath } from "../../components/edge/render/acme";
import { runtimeApi, serverStates } from "../../tools/drill/edge-sim";
import { cleanupAll, waitFor } from "../../tools/drill/netns";
import {
  certificateNames,
  jwkThumbprint,
  labCurl,
  runTlsLoad,
  sClient,
  selfSignedPem,
  servedCertificate,
  stackConfig,
  startTlsLab,
  TLS_LAB_ADDRESSES as A,
  TlsLab,
  TlsRequest,
} from "../../tools/drill/tls-lab";
import { requireTools, runTool } from "../harness/tools";

const dir = mkdtempSync(join(tmpdir(), "jsp-tls-test-"));
after(() => {
  cleanupAll();
  rmSync(dir, { recursive: true, force: true });
});

// Two names per site keep the run short (lego validates them one after the other, ~6 s each):
// the base name both sites share, and each site's own name. The drill issues every name.
const iuNames = certificateNames(stackConfig("iu"));
const taccNames = certificateNames(stackConfig("tacc"));
const BASE = iuNames[0];
const IU_OWN = iuNames[iuNames.length - 1];
const TACC_OWN = taccNames[taccNames.length - 1];

describe("edge TLS with a real ACME server (Pebble, lego, HAProxy)", { timeout: 150_000 }, () => {
  let lab: TlsLab;
  before(async () => {
    requireTools([
      "haproxy",
      "ip",
      "curl",
      "openssl",
      "socat",
      "python3",
      "pebble",
      "pebble-challtestsrv",
      "lego",
    ]);
    lab = await startTlsLab({
      dir,
      sites: ["iu", "tacc"],
      authzReuse: 0,
      names: { iu: [BASE, IU_OWN], tacc: [BASE, TACC_OWN] },
      log: () => undefined,
    });
  });

  it("starts on a self-signed placeholder, which a client trusting the CA refuses", () => {
    const h = sClient(lab, A.iu.edge, 443, BASE);
    assert.equal(h.ok, false);
    assert.match(h.output, /self[- ]signed certificate/);
  });

  it("issues for both sites at once, the CA validating the shared name at IU's edge", async () => {
    const [iu, tacc] = await Promise.all([
      lab.edges.iu!.script("jsp-acme-renew"),
      lab.edges.tacc!.script("jsp-acme-renew"),
    ]);
    assert.match(iu, /serving certificate [0-9A-F]{40} for /);
    assert.match(tacc, /serving certificate [0-9A-F]{40} for /);
    // every challenge for the shared name went to IU (the CA's DNS answers IU's address):
    // TACC's certificate exists only because IU's edge answered TACC's challenge
    const pebbleLog = readFileSync(join(dir, "pebble.log"), "utf8");
    assert.ok(
      (pebbleLog.match(new RegExp(`validate w/ HTTP: http://${BASE.replace(/\./g, "\\.")}:80/`, "g")) ?? [])
        .length >= 6,
    );
    for (const [site, own] of [
      ["iu", IU_OWN],
      ["tacc", TACC_OWN],
    ] as const) {
      const h = sClient(lab, A[site].edge, 443, BASE);
      assert.equal(h.verify, "0 (ok)", h.output);
      assert.deepEqual(h.subjectAltNames.sort(), [BASE, own].sort());
    }
  });

  it("installed the certificate through the runtime API: no reload, the same master and worker", async () => {
    const served = await servedCertificate(lab.edges.iu!);
    const legoCrt = readFileSync(join(lab.edges.iu!.dir, "lego", "certificates", `${BASE}.crt`), "utf8");
    const fp = runTool("openssl", ["x509", "-noout", "-fingerprint", "-sha1"], { input: legoCrt });
    assert.equal(served.fingerprint, fp.output.split("=")[1].replace(/:/g, "").trim());
    const info = await runtimeApi(lab.edges.iu!.socket, "show info");
    assert.match(info, /^Uptime_sec: \d+/m);
    assert.doesNotMatch(
      readFileSync(join(lab.edges.iu!.dir, "haproxy.log"), "utf8"),
      /Reexecuting Master|reload/i,
    );
    // the key stayed on the host: lego generated it, the PEM HAProxy reads is 0600
    const mode = runTool("stat", ["-c", "%a", lab.edges.iu!.certFile]).output.trim();
    assert.equal(mode, "600");
  });

  it("serves TLS 1.3, and TLS 1.2 with Mozilla intermediate ciphers only; refuses TLS 1.0 and 1.1", () => {
    const v13 = sClient(lab, A.iu.edge, 443, BASE);
    assert.equal(v13.protocol, "TLSv1.3");
    assert.ok((MOZILLA_INTERMEDIATE.ciphersuites as readonly string[]).includes(v13.cipher!), v13.cipher);
    const v12 = sClient(lab, A.iu.edge, 443, BASE, ["-tls1_2"]);
    assert.equal(v12.protocol, "TLSv1.2");
    assert.equal(v12.verify, "0 (ok)");
    assert.ok((MOZILLA_INTERMEDIATE.ciphers as readonly string[]).includes(v12.cipher!), v12.cipher);
    // a TLS 1.2 cipher outside the profile (CBC, no forward secrecy) is refused
    const cbc = sClient(lab, A.iu.edge, 443, BASE, ["-tls1_2", "-cipher", "AES128-SHA:@SECLEVEL=0"]);
    assert.equal(cbc.ok, false);
    assert.match(cbc.output, /handshake failure|no shared cipher/);
    for (const old of ["-tls1", "-tls1_1"]) {
      // SECLEVEL=0 lets the client offer the old protocol; the refusal must come from the edge
      const h = sClient(lab, A.iu.edge, 443, BASE, [old, "-cipher", "DEFAULT:@SECLEVEL=0"]);
      assert.equal(h.ok, false, old);
      // alert 70 (protocol_version) is sent by the server: the client did offer the protocol
      assert.match(h.output, /tlsv1 alert protocol version.*SSL alert number 70/, old);
    }
  });

  it("answers HTTPS with HSTS, from the live slot's node", () => {
    const out = labCurl(lab, `https://${BASE}/hello`, A.iu.edge, ["-i"]);
    assert.match(out, /^HTTP\/2 200/m);
    assert.match(out, /^strict-transport-security: max-age=63072000$/im);
    assert.match(out, /^x-served-by: iu-node/im);
    const plain = labCurl(lab, `http://${BASE}/hello`, A.iu.edge, ["-i"]);
    assert.doesNotMatch(plain, /strict-transport-security/i, "HSTS only over HTTPS (RFC 6797)");
  });

  it("redirects HTTP to HTTPS with path and query, except the challenge path and the edge's readiness", () => {
    const r = labCurl(lab, `http://${BASE}/a/b?c=1`, A.iu.edge, ["-i"]);
    assert.match(r, /^HTTP\/1\.1 301/m);
    assert.match(r, new RegExp(`^location: https://${BASE.replace(/\./g, "\\.")}/a/b\\?c=1\\s*$`, "im"));
    const token = "lab-token_0123456789-abcdefghij";
    const answer = labCurl(lab, `http://${BASE}/.well-known/acme-challenge/${token}`, A.iu.edge);
    // the thumbprint the host computed (python, from the key file) equals Node's own
    const key = readFileSync(
      legoAccountKeyPath(join(lab.edges.iu!.dir, "lego"), `https://${A.pebble}:14000/dir`, "ops@example.org"),
      "utf8",
    );
    assert.equal(answer, `${token}.${jwkThumbprint(key)}`);
    assert.equal(answer, `${token}.${lab.thumbprint}`);
    const ready = labCurl(lab, `http://${A.iu.edge}/.well-known/jsp-edge-ready`, A.iu.edge, [
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
    ]);
    assert.equal(ready, "200");
  });

  it("sends the other site's traffic over a verified TLS hop (its certificate, Pebble's root)", async () => {
    // While TACC served its placeholder, IU's check failed the handshake (verify required);
    // with TACC's certificate issued it passes: the server leaves "down" (op state 0) and
    // ramps up under slowstart (1), then runs (2).
    const log = join(lab.edges.iu!.dir, "haproxy.log");
    const ok = await waitFor(
      async () => {
        const st = await serverStates(lab.edges.iu!.socket);
        const peer = st.find((s) => s.backend === "peer_http" && s.server === "tacc-edge");
        return (
          (peer?.opState ?? 0) >= 1 &&
          /Server peer_http\/tacc-edge is UP, reason: Layer7 check passed, code: 200/.test(
            readFileSync(log, "utf8"),
          )
        );
      },
      10_000,
      200,
    );
    assert.ok(ok, "IU's check of TACC over TLS (verifyhost, Pebble root) is up");
    assert.match(
      readFileSync(join(lab.edges.tacc!.dir, "haproxy.log"), "utf8"),
      /peer_https\/1: SSL handshake failure/,
      "the check was refused while TACC had no trusted certificate",
    );
    const cfg = readFileSync(join(lab.edges.iu!.dir, "haproxy.cfg"), "utf8");
    assert.match(
      cfg,
      new RegExp(
        `server tacc-edge ${A.tacc.edge}:8444 check check-sni ${BASE.replace(/\./g, "\\.")} ssl verify required`,
      ),
    );
  });

  it("renews under load: no failed request, new connections get the new certificate", async () => {
    const edge = lab.edges.iu!;
    const before = await servedCertificate(edge);
    edge.setAcme({ renewDaysBefore: 36500 }); // makes the certificate due now: the timer's path
    // load in bounded 4 s chunks until the renewal is done, then one more chunk: the swap falls
    // inside the load however long lego takes on a busy machine
    let done = false;
    let tDeployed = 0;
    const renewal = edge.script("jsp-acme-renew").then((o) => {
      tDeployed = Date.now();
      done = true;
      return o;
    });
    const rs: TlsRequest[] = [];
    const t0 = Date.now();
    for (let extra = 0; extra < 1 && Date.now() - t0 < 120_000;) {
      if (done) extra += 1;
      rs.push(...(await runTlsLoad(lab, A.iu.edge, BASE, 45, 4)));
    }
    const out = await renewal;
    const afterCert = await servedCertificate(edge);
    assert.match(out, /serving certificate/);
    assert.notEqual(afterCert.serial, before.serial);
    assert.equal(rs.filter((r) => !r.ok).length, 0, JSON.stringify(rs.filter((r) => !r.ok).slice(0, 3)));
    assert.ok(rs.length >= 300, `${rs.length} requests`);
    const norm = (s: string) => s.replace(/^0+/, "").toUpperCase();
    const serials = new Set(rs.map((r) => norm(r.serial)));
    assert.ok(
      serials.has(norm(before.serial!)) && serials.has(norm(afterCert.serial!)),
      [...serials].join(","),
    );
    const late = rs.filter((r) => r.t > tDeployed + 200);
    assert.ok(late.length > 0 && late.every((r) => norm(r.serial) === norm(afterCert.serial!)));
  });

  it("falls back to a hitless reload when the runtime API refuses the new certificate", async () => {
    const edge = lab.edges.iu!;
    const want = await servedCertificate(edge);
    // make HAProxy serve something else first (through the real runtime API)
    const pem = readFileSync(selfSignedPem(edge.dir, "other"), "utf8").trim();
    assert.match(await runtimeApi(edge.socket, `set ssl cert ${edge.certFile} <<\n${pem}\n`), /Transaction/);
    assert.match(await runtimeApi(edge.socket, `commit ssl cert ${edge.certFile}`), /Success/);
    assert.notEqual((await servedCertificate(edge)).fingerprint, want.fingerprint);
    edge.setAcme({ adminSocket: join(edge.dir, "no-such.sock") });
    const out = await edge.script("jsp-acme-deploy");
    edge.setAcme({ adminSocket: edge.socket });
    assert.match(out, /reloading HAProxy instead/);
    const back = await waitFor(
      async () => (await servedCertificate(edge)).fingerprint === want.fingerprint,
      8000,
      200,
    );
    assert.ok(back, "after the reload HAProxy serves the file on disk: lego's certificate");
    assert.equal(sClient(lab, A.iu.edge, 443, BASE).verify, "0 (ok)");
  });
});
