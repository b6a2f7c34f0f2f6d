// TLS pieces of the edge's haproxy.cfg (rendered by haproxy.ts when its input has `tls`):
// Mozilla's "intermediate" profile in `global`, the TLS binds, the stateless ACME HTTP-01
// answer, the HTTP -> HTTPS redirect, HSTS, and the TLS options of the hop to the other site's
// edge. Pure: lines in, lines out. Valid for HAProxy 2.6 (checked by `haproxy -c` in tests).

/**
 * Mozilla Server Side TLS, "intermediate" (guidelines 6.0, mozilla/ssl-config-generator
 * src/static/guidelines/6.0.json): TLS 1.2 and 1.3, ECDHE key exchange with AEAD ciphers only
 * (6.0 dropped the DHE suites, so no DH parameter file), the client's cipher order, no session
 * tickets, HSTS for two years. 6.0 lists the hybrid group X25519MLKEM768 first; OpenSSL 3.0
 * (Debian 12, Ubuntu 24.04) does not know it, so the curve list starts at X25519.
 */
export const MOZILLA_INTERMEDIATE = {
  guidelines: "6.0",
  ciphers: [
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305",
  ],
  ciphersuites: ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"],
  curves: ["X25519", "prime256v1", "secp384r1"],
  minVersion: "TLSv1.2",
  hstsMaxAgeSeconds: 63072000,
} as const;

/** Path of the ACME HTTP-01 challenge (RFC 8555 section 8.3). */
export const ACME_CHALLENGE_PATH = "/.well-known/acme-challenge/";
/**
 * The edge's own readiness on its public HTTP port: 200 while its live slot has a usable node,
 * 503 when the edge is up but its slot is not (it then sends traffic to the other site itself),
 * no answer when the edge is lost. The DNS checker probes it from the third place.
 */
export const EDGE_READY_PATH = "/.well-known/jsp-edge-ready";

export interface EdgeTlsSettings {
  /** PEM with the certificate chain and its key, served on every TLS bind (the runtime API's name for it too) */
  certFile: string;
  /**
   * environment variable holding the ACME account key's JWK thumbprint (RFC 7638), set on the
   * host from the account key; every edge answers `<token>.<thumbprint>` to any challenge
   */
  thumbprintEnv: string;
  /** Strict-Transport-Security on HTTPS responses; absent: no header */
  hsts?: { maxAgeSeconds: number; includeSubDomains: boolean; preload: boolean };
  /** the hop to the other site's edge: TLS, verified against this CA bundle and name */
  peer: { caFile: string; verifyName: string };
}

const HOST_RE = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/;

export function validateTls(t: EdgeTlsSettings, fail: (key: string, rule: string) => never): void {
  for (const [k, p] of [
    ["tls.certFile", t.certFile],
    ["tls.peer.caFile", t.peer.caFile],
  ] as const) {
    if (!p.startsWith("/") || /\s/.test(p)) fail(k, `"${p}" must be an absolute path without spaces`);
  }
  if (!/^[A-Z_][A-Z0-9_]*$/.test(t.thumbprintEnv))
    fail("tls.thumbprintEnv", "must be an environment variable name");
  if (!HOST_RE.test(t.peer.verifyName))
    fail("tls.peer.verifyName", `"${t.peer.verifyName}" must be a host name`);
  if (t.hsts && (!Number.isInteger(t.hsts.maxAgeSeconds) || t.hsts.maxAgeSeconds < 0)) {
    fail("tls.hsts.maxAgeSeconds", "must be a whole number of seconds");
  }
}

/** `global` lines: the profile for every TLS bind and for the TLS hop to the other site. */
export function tlsGlobalLines(): string[] {
  const m = MOZILLA_INTERMEDIATE;
  return [
    `    # Mozilla "intermediate" (Server Side TLS guidelines ${m.guidelines}): TLS 1.2+, ECDHE + AEAD only.`,
    `    ssl-default-bind-curves ${m.curves.join(":")}`,
    `    ssl-default-bind-ciphers ${m.ciphers.join(":")}`,
    `    ssl-default-bind-ciphersuites ${m.ciphersuites.join(":")}`,
    `    ssl-default-bind-options prefer-client-ciphers ssl-min-ver ${m.minVersion} no-tls-tickets`,
    `    ssl-default-server-ciphers ${m.ciphers.join(":")}`,
    `    ssl-default-server-ciphersuites ${m.ciphersuites.join(":")}`,
    `    ssl-default-server-options ssl-min-ver ${m.minVersion} no-tls-tickets`,
  ];
}

/** A TLS bind serving the edge's certificate (HTTP/2 and HTTP/1.1). */
export function tlsBind(address: string, t: EdgeTlsSettings): string {
  return `    bind ${address} ssl crt ${t.certFile} alpn h2,http/1.1`;
}

/**
 * The stateless HTTP-01 answer: the key authorization is `<token>.<account thumbprint>`
 * (RFC 8555 section 8.1), so any edge of either site answers any challenge of the shared
 * account without knowing the token in advance. Only the holder of the account key can order
 * certificates; answering for it proves nothing to anyone else.
 */
export function acmeChallengeLines(t: EdgeTlsSettings): string[] {
  return [
    "    # ACME HTTP-01, answered here for the account both sites share (no backend, no token store):",
    "    # <token>.<thumbprint>; the thumbprint comes from the host's environment file.",
    `    acl acme_challenge path_beg ${ACME_CHALLENGE_PATH}`,
    `    http-request return status 200 content-type text/plain lf-string "%[path,field(4,/)].\${${t.thumbprintEnv}}" if acme_challenge`,
  ];
}

/** Everything else on port 80 goes to HTTPS, path and query kept. */
export function redirectLines(): string[] {
  return ["    http-request redirect scheme https code 301 unless acme_challenge"];
}

export function hstsLines(t: EdgeTlsSettings): string[] {
  if (!t.hsts) return [];
  const value = [
    `max-age=${t.hsts.maxAgeSeconds}`,
    ...(t.hsts.includeSubDomains ? ["includeSubDomains"] : []),
    ...(t.hsts.preload ? ["preload"] : []),
  ].join("; ");
  return [`    http-response set-header Strict-Transport-Security "${value}"`];
}

/** Options of a server line on the TLS hop to the other site's edge (its peer HTTPS port). */
export function peerTlsOptions(t: EdgeTlsSettings): string {
  return `ssl verify required ca-file ${t.peer.caFile} verifyhost ${t.peer.verifyName} sni str(${t.peer.verifyName})`;
}
