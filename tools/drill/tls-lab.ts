// A lab for the edge's TLS: Pebble (Let's Encrypt's test CA, with pebble-challtestsrv as the
// DNS it resolves names with) in a network namespace, one or two simulated edge hosts running
// the haproxy.cfg the iu/tacc stacks render (TLS on), the rendered ACME scripts with the real
// lego, ingress-node stand-ins, and a client namespace. Used by the Pebble test in `npm test`
// and by the `tls-renew` drill; only documentation address ranges, every process by pid.
import { execFileSync, spawn } from "node:child_process";
import { createHash, createPrivateKey } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseStackConfig, SiteConfig } from "../../components/config";
import {
  legoAccountKeyPath,
  renderAcmeBootstrap,
  renderAcmeDeploy,
  renderAcmeEnv,
  renderAcmeRenew,
} from "../../components/edge/render/acme";
import { edgeHaproxyInput } from "../../components/edge/render/edge-input";
import { renderHaproxyConfig, renderSlotsMap } from "../../components/edge/render/haproxy";
import { ACME_THUMBPRINT_ENV } from "../../components/edge/render/acme";
import { publicNames, siteFqdn, withoutDot } from "../../src/dns-names";
import { resolveStack } from "../lib/stack-files";
import { HaproxyProc, runtimeApi, startHaproxy, writeScripts } from "./edge-sim";
import { Lab, nsExec, sleep, startInNs, waitFor } from "./netns";

export const TLS_LAB_ADDRESSES = {
  pebble: "203.0.113.50",
  dns: "203.0.113.53",
  client: "203.0.113.10",
  iu: { edge: "192.0.2.100", node: "192.0.2.21" },
  tacc: { edge: "198.51.100.140", node: "198.51.100.21" },
} as const;
export type LabSite = "iu" | "tacc";

export const LAB_STATS_PASSWORD = "tls-lab-only-not-a-secret";
const EMAIL = "ops@example.org";

/** The site stack's config, parsed by the project's schema (the lab renders what it would). */
export function stackConfig(site: LabSite): SiteConfig {
  const files = resolveStack(site);
  return parseStackConfig("site", { values: files.config, secretKeys: new Set(files.secretKeys) }).config;
}

/** Names an edge's certificate covers, as the stack computes them (stacks/site/tls.ts). */
export function certificateNames(c: SiteConfig): string[] {
  if (!c.dns) throw new Error(`Pulumi.${c.site}.yaml has no jetstream-paas:dns section`);
  return [...publicNames(c.dns.zone, c.dns.baseName, c.dns.appNames), siteFqdn(c.dns.zone, c.site)].map(
    withoutDot,
  );
}

/** RFC 7638 thumbprint of an EC key, computed independently of the host's script. */
export function jwkThumbprint(pem: string): string {
  const jwk = createPrivateKey(pem).export({ format: "jwk" });
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return createHash("sha256").update(canonical).digest("base64url");
}

function openssl(args: string[], input?: string): string {
  return execFileSync("openssl", args, { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"] });
}

/**
 * A throwaway self-signed EC certificate: returns the PEM with certificate and key (what
 * HAProxy's `crt` reads); the certificate alone is next to it as `<name>.crt.pem`.
 */
export function selfSignedPem(dir: string, name: string): string {
  const key = join(dir, `${name}.key.pem`);
  const crt = join(dir, `${name}.crt.pem`);
  const pem = join(dir, `${name}.pem`);
  openssl([
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-days",
    "1",
    "-subj",
    `/CN=${name}`,
    "-keyout",
    key,
    "-out",
    crt,
  ]);
  writeFileSync(pem, readFileSync(crt, "utf8") + readFileSync(key, "utf8"), { mode: 0o600 });
  return pem;
}

/** A throwaway CA and a certificate for Pebble's own HTTPS listener (its ACME API). */
function pebbleListenerCert(dir: string): { ca: string; cert: string; key: string } {
  const p = (f: string) => join(dir, f);
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  openssl([
    "req",
    "-x509",
    ...ec,
    "-days",
    "1",
    "-subj",
    "/CN=jsp lab ACME API CA",
    "-keyout",
    p("api-ca.key"),
    "-out",
    p("api-ca.pem"),
  ]);
  openssl(["req", ...ec, "-subj", "/CN=pebble", "-keyout", p("api.key"), "-out", p("api.csr")]);
  writeFileSync(p("api.ext"), `subjectAltName=IP:${TLS_LAB_ADDRESSES.pebble}\n`);
  openssl([
    "x509",
    "-req",
    "-in",
    p("api.csr"),
    "-CA",
    p("api-ca.pem"),
    "-CAkey",
    p("api-ca.key"),
    "-CAcreateserial",
    "-days",
    "1",
    "-extfile",
    p("api.ext"),
    "-out",
    p("api.pem"),
  ]);
  return { ca: p("api-ca.pem"), cert: p("api.pem"), key: p("api.key") };
}

export interface LabEdge {
  site: LabSite;
  ns: string;
  dir: string;
  /** the ACME env file the rendered scripts read (JSP_ACME_ENV) */
  env: string;
  certFile: string;
  socket: string;
  names: string[];
  haproxy: HaproxyProc;
  /** runs one of the rendered ACME scripts on this edge host; resolves with its output */
  script(name: "jsp-acme-bootstrap" | "jsp-acme-renew" | "jsp-acme-deploy"): Promise<string>;
  /** re-renders the ACME env file (e.g. a renewal threshold that makes the certificate due) */
  setAcme(patch: { renewDaysBefore?: number; adminSocket?: string }): void;
}

export interface TlsLab {
  lab: Lab;
  dir: string;
  client: string;
  pebbleNs: string;
  /** Pebble's root: what a client trusting Let's Encrypt's test CA trusts */
  rootFile: string;
  thumbprint: string;
  edges: Partial<Record<LabSite, LabEdge>>;
  /** points every name (default A answer of the CA's DNS) at one site's edge */
  pointNamesAt(site: LabSite): Promise<void>;
}

export interface TlsLabOptions {
  dir: string;
  sites: LabSite[];
  /** PEBBLE_AUTHZREUSE: 0 makes every order validate again (renewal exercises the challenge path) */
  authzReuse: number;
  /** certificate names per site; default: what the stack computes */
  names?: Partial<Record<LabSite, string[]>>;
  log: (line: string) => void;
}

function curl(ns: string, args: string[]): string {
  return nsExec(ns, "curl", ["-sS", "-m", "5", ...args]);
}

async function startPebble(lab: Lab, dir: string, authzReuse: number, defaultIp: string) {
  const a = TLS_LAB_ADDRESSES;
  const ns = lab.host("pebble", [a.pebble, a.dns]).ns;
  const api = pebbleListenerCert(dir);
  const cfg = join(dir, "pebble.json");
  writeFileSync(
    cfg,
    JSON.stringify({
      pebble: {
        listenAddress: `${a.pebble}:14000`,
        managementListenAddress: `${a.pebble}:15000`,
        certificate: api.cert,
        privateKey: api.key,
        // the CA validates HTTP-01 on port 80 of whatever the names resolve to, as Let's Encrypt does
        httpPort: 80,
        tlsPort: 443,
        ocspResponderURL: "",
        externalAccountBindingRequired: false,
      },
    }),
  );
  startInNs(
    ns,
    "pebble-challtestsrv",
    "pebble-challtestsrv",
    [
      "-defaultIPv4",
      defaultIp,
      "-defaultIPv6",
      "",
      "-dns01",
      `${a.dns}:8053`,
      "-http01",
      "",
      "-https01",
      "",
      "-tlsalpn01",
      "",
      "-management",
      `${a.dns}:8055`,
    ],
    join(dir, "challtestsrv.log"),
  );
  startInNs(
    ns,
    "pebble",
    "env",
    // no artificial validation delay; Pebble's 5 % bad nonces stay on (lego must retry them)
    [
      "PEBBLE_VA_NOSLEEP=1",
      `PEBBLE_AUTHZREUSE=${authzReuse}`,
      "pebble",
      "-config",
      cfg,
      "-dnsserver",
      `${a.dns}:8053`,
    ],
    join(dir, "pebble.log"),
  );
  return { ns, apiCa: api.ca };
}

/** haproxy.cfg as the site stack renders it (TLS on), with lab addresses and paths. */
export function labEdgeConfig(
  site: LabSite,
  c: SiteConfig,
  d: { dir: string; root: string; verifyName: string },
): string {
  const a = TLS_LAB_ADDRESSES;
  const e = c.edge!;
  const other: LabSite = site === "iu" ? "tacc" : "iu";
  const paths = {
    adminSocket: join(d.dir, "admin.sock"),
    stateFile: join(d.dir, "server-state"),
    slotsMap: join(d.dir, "jsp-slots.map"),
  };
  writeFileSync(paths.slotsMap, renderSlotsMap({ liveSlot: e.live, preliveSlot: e.prelive }));
  return renderHaproxyConfig(
    edgeHaproxyInput({
      site,
      liveSlot: e.live,
      preliveSlot: e.prelive,
      slots: Object.keys(e.slots)
        .sort()
        .map((s) => ({ name: s, ingressNodes: s === e.live ? [a[site].node] : undefined })),
      peer: { site: other, address: a[other].edge },
      ports: e.ports,
      vip: a[site].edge,
      adminCidrs: c.adminCidrs,
      statsUser: e.statsUser,
      health: e.healthCheck,
      paths,
      extraGlobal: ["log stderr format raw local0 info"],
      tls: {
        certFile: join(d.dir, "certs", "jsp-public.pem"),
        thumbprintEnv: ACME_THUMBPRINT_ENV,
        hsts: c.tls?.hsts.enabled
          ? {
              maxAgeSeconds: c.tls.hsts.maxAgeSeconds,
              includeSubDomains: c.tls.hsts.includeSubDomains,
              preload: c.tls.hsts.preload,
            }
          : undefined,
        // the lab's CA bundle for the peer hop is Pebble's root (production: the system bundle)
        peer: { caFile: d.root, verifyName: d.verifyName },
      },
    }),
  );
}

function readEnvFile(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

function runScript(ns: string, file: string, env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      "ip",
      ["netns", "exec", ns, "env", ...Object.entries(env).map(([k, v]) => `${k}=${v}`), "bash", file],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.stderr.on("data", (b: Buffer) => (out += b.toString()));
    const killer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("exit", (code) => {
      clearTimeout(killer);
      if (code === 0) resolve(out);
      else reject(new Error(`${file} exited ${code}: ${out.slice(-1500)}`));
    });
  });
}

async function startEdge(
  lab: Lab,
  site: LabSite,
  o: {
    dir: string;
    root: string;
    accountKey: string;
    directory: string;
    apiCa: string;
    names: string[];
    scripts: { node: string };
  },
): Promise<LabEdge> {
  const a = TLS_LAB_ADDRESSES;
  const c = stackConfig(site);
  const dir = join(o.dir, site);
  mkdirSync(join(dir, "certs"), { recursive: true });
  const ns = lab.host(`${site}e`, [a[site].edge]).ns;
  const nodeNs = lab.host(`${site}n`, [a[site].node]).ns;
  startInNs(
    nodeNs,
    `${site}-node`,
    process.execPath,
    [o.scripts.node, `${site}-node`, a[site].node, "30080", "15021,30021"],
    join(dir, "node.log"),
  );
  const haproxyEnv = join(dir, "jsp-edge.env");
  writeFileSync(haproxyEnv, `JSP_STATS_PASSWORD=${LAB_STATS_PASSWORD}\n`, { mode: 0o600 });
  const state = join(dir, "lego");
  const certFile = join(dir, "certs", "jsp-public.pem");
  const socket = join(dir, "admin.sock");
  const env = join(dir, "acme.env");
  let acme = {
    names: o.names,
    directoryUrl: o.directory,
    email: EMAIL,
    keyType: c.tls!.acme.keyType,
    renewDaysBefore: c.tls!.acme.renewDaysBefore,
    paths: { state, webroot: join(state, "webroot"), certFile, adminSocket: socket, haproxyEnv },
    directoryCaFile: o.apiCa,
    reloadCommand: "true",
  };
  const writeEnv = () => writeFileSync(env, renderAcmeEnv(acme));
  writeEnv();
  // the shared account key, where lego looks for it (in production: the secret user data)
  const keyPath = legoAccountKeyPath(state, o.directory, EMAIL);
  mkdirSync(join(keyPath, ".."), { recursive: true });
  writeFileSync(keyPath, o.accountKey, { mode: 0o600 });
  const files = {
    bootstrap: join(dir, "jsp-acme-bootstrap"),
    renew: join(dir, "jsp-acme-renew"),
    deploy: join(dir, "jsp-acme-deploy"),
  };
  writeFileSync(files.bootstrap, renderAcmeBootstrap(), { mode: 0o755 });
  writeFileSync(files.renew, renderAcmeRenew(), { mode: 0o755 });
  writeFileSync(files.deploy, renderAcmeDeploy(), { mode: 0o755 });
  const scriptEnv = {
    JSP_ACME_ENV: env,
    JSP_ACME_DEPLOY: files.deploy,
    PATH: process.env.PATH ?? "/usr/bin:/bin",
  };
  const script = (name: "jsp-acme-bootstrap" | "jsp-acme-renew" | "jsp-acme-deploy") =>
    runScript(ns, files[name.replace("jsp-acme-", "") as keyof typeof files], scriptEnv);
  await script("jsp-acme-bootstrap");
  const cfgFile = join(dir, "haproxy.cfg");
  writeFileSync(cfgFile, labEdgeConfig(site, c, { dir, root: o.root, verifyName: o.names[0] }));
  const haproxy = await startHaproxy(
    ns,
    `haproxy-${site}`,
    cfgFile,
    socket,
    join(dir, "haproxy.log"),
    readEnvFile(haproxyEnv),
  );
  // the fallback the deploy script uses when the runtime API refuses: a hitless reload
  acme = { ...acme, reloadCommand: `kill -USR2 ${haproxy.proc.pid}` };
  writeEnv();
  return {
    site,
    ns,
    dir,
    env,
    certFile,
    socket,
    names: o.names,
    haproxy,
    script,
    setAcme: (patch) => {
      acme = {
        ...acme,
        renewDaysBefore: patch.renewDaysBefore ?? acme.renewDaysBefore,
        paths: { ...acme.paths, adminSocket: patch.adminSocket ?? acme.paths.adminSocket },
      };
      writeEnv();
    },
  };
}

export async function startTlsLab(o: TlsLabOptions): Promise<TlsLab> {
  const a = TLS_LAB_ADDRESSES;
  const lab = new Lab();
  const client = lab.host("cli", [a.client]).ns;
  const pebble = await startPebble(lab, o.dir, o.authzReuse, a.iu.edge);
  const directory = `https://${a.pebble}:14000/dir`;
  const up = await waitFor(
    () => curl(client, ["--cacert", pebble.apiCa, directory]).includes("newOrder"),
    10_000,
    100,
  );
  if (!up) throw new Error(`Pebble did not come up; see ${join(o.dir, "pebble.log")}`);
  const rootFile = join(o.dir, "pebble-root.pem");
  writeFileSync(rootFile, curl(client, ["--cacert", pebble.apiCa, `https://${a.pebble}:15000/roots/0`]));
  const accountKey = openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout"]);
  const scripts = writeScripts(o.dir);
  const edges: TlsLab["edges"] = {};
  for (const site of o.sites) {
    const names = o.names?.[site] ?? certificateNames(stackConfig(site));
    edges[site] = await startEdge(lab, site, {
      dir: o.dir,
      root: rootFile,
      accountKey,
      directory,
      apiCa: pebble.apiCa,
      names,
      scripts,
    });
    o.log(`  tls lab: ${site} edge up at ${a[site].edge} for ${names.join(", ")}`);
  }
  // a site's own operator name always resolves to that site (the CA's DNS says so)
  for (const site of o.sites) {
    const own = edges[site]!.names.find((n) => n.startsWith(`${site}.`));
    if (own) await challtest("add-a", { host: `${own}.`, addresses: [a[site].edge] }, client);
  }
  return {
    lab,
    dir: o.dir,
    client,
    pebbleNs: pebble.ns,
    rootFile,
    thumbprint: jwkThumbprint(accountKey),
    edges,
    pointNamesAt: (site) => challtest("set-default-ipv4", { ip: a[site].edge }, client),
  };
}

async function challtest(path: string, body: unknown, client: string): Promise<void> {
  curl(client, ["-X", "POST", "-d", JSON.stringify(body), `http://${TLS_LAB_ADDRESSES.dns}:8055/${path}`]);
  await sleep(50);
}

export interface TlsHandshake {
  ok: boolean;
  protocol?: string;
  cipher?: string;
  verify?: string;
  subjectAltNames: string[];
  serial?: string;
  output: string;
}

/**
 * `openssl s_client` from the client namespace, trusting only Pebble's root, with SNI. Extra
 * args pick a protocol (`-tls1`) or ciphers. Reports protocol, cipher, verification, the
 * certificate's names and serial.
 */
export function sClient(
  lab: TlsLab,
  address: string,
  port: number,
  servername: string,
  extra: string[] = [],
): TlsHandshake {
  let output = "";
  let ok = true;
  try {
    output = execFileSync(
      "ip",
      [
        "netns",
        "exec",
        lab.client,
        "openssl",
        "s_client",
        "-connect",
        `${address}:${port}`,
        "-servername",
        servername,
        "-CAfile",
        lab.rootFile,
        "-verify_return_error",
        "-verify_hostname",
        servername,
        ...extra,
      ],
      { input: "", encoding: "utf8", stdio: ["pipe", "pipe", "pipe"], timeout: 10_000 },
    );
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    output = `${e.stdout ?? ""}${e.stderr ?? ""}`;
    ok = false;
  }
  const cert = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(output)?.[0];
  let subjectAltNames: string[] = [];
  let serial: string | undefined;
  if (cert) {
    const text = openssl(["x509", "-noout", "-ext", "subjectAltName", "-serial"], cert);
    subjectAltNames = [...text.matchAll(/DNS:([^,\s]+)/g)].map((m) => m[1]);
    serial = /serial=([0-9A-F]+)/.exec(text)?.[1];
  }
  return {
    ok,
    // "New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384" (printed for every completed handshake)
    protocol: /^New, (\S+), Cipher is (\S+)/m.exec(output)?.[1],
    cipher: /^New, (\S+), Cipher is (\S+)/m.exec(output)?.[2],
    verify: /Verify return code: (.+)$/m.exec(output)?.[1],
    subjectAltNames,
    serial,
    output,
  };
}

/** The certificate HAProxy serves now, from its runtime API (`show ssl cert`). */
export async function servedCertificate(edge: LabEdge): Promise<{ serial?: string; fingerprint?: string }> {
  const text = await runtimeApi(edge.socket, `show ssl cert ${edge.certFile}`);
  return {
    serial: /^Serial: (\S+)/m.exec(text)?.[1],
    fingerprint: /^SHA1 FingerPrint: (\S+)/m.exec(text)?.[1],
  };
}

/**
 * HTTPS load from the client namespace: RATE requests/s for SECONDS, a new TLS connection
 * for each request (so every request shows which certificate it got), verified against
 * Pebble's root with SNI. Bounded in count and time. Prints one JSON array.
 */
export const TLS_LOAD_JS = `// tls lab load generator: bounded in count and time.
const https = require("node:https");
const fs = require("node:fs");
const [address, servername, rate, seconds, ca] = process.argv.slice(2);
const total = Math.floor(Number(rate) * Number(seconds));
const agent = new https.Agent({ keepAlive: false, maxCachedSessions: 0, ca: fs.readFileSync(ca), servername });
const results = [];
let sent = 0, done = 0;
const start = Date.now();
function one() {
  const t = Date.now();
  const req = https.request({ host: address, port: 443, path: "/", method: "GET", agent, headers: { host: servername }, timeout: 6000 }, (res) => {
    const serial = res.socket.getPeerCertificate().serialNumber || "";
    res.resume();
    res.on("end", () => { results.push({ t, ms: Date.now() - t, ok: res.statusCode === 200, status: res.statusCode, by: String(res.headers["x-served-by"] || ""), serial }); fin(); });
  });
  req.on("timeout", () => req.destroy(new Error("timeout")));
  req.on("error", (e) => { results.push({ t, ms: Date.now() - t, ok: false, status: 0, by: "", serial: "", err: e.code || e.message }); fin(); });
  req.end();
}
// exit only once the report is flushed: a pipe can take less than a write of this size at once
function report() { process.stdout.write(JSON.stringify(results), () => process.exit(0)); }
function fin() { done++; if (done === total) report(); }
const timer = setInterval(() => {
  const due = Math.min(total, Math.floor(((Date.now() - start) / 1000) * Number(rate)));
  while (sent < due) { sent++; one(); }
  if (sent >= total) clearInterval(timer);
}, 5);
setTimeout(report, (Number(seconds) + 10) * 1000);
`;

export interface TlsRequest {
  t: number;
  ms: number;
  ok: boolean;
  status: number;
  by: string;
  serial: string;
  err?: string;
}

export function runTlsLoad(
  lab: TlsLab,
  address: string,
  servername: string,
  rate: number,
  seconds: number,
): Promise<TlsRequest[]> {
  const script = join(lab.dir, "tls-load.cjs");
  writeFileSync(script, TLS_LOAD_JS);
  return new Promise((resolve, reject) => {
    const child = spawn(
      "ip",
      [
        "netns",
        "exec",
        lab.client,
        process.execPath,
        script,
        address,
        servername,
        String(rate),
        String(seconds),
        lab.rootFile,
      ],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    const killer = setTimeout(() => child.kill("SIGKILL"), (seconds + 15) * 1000);
    child.on("exit", (code, signal) => {
      clearTimeout(killer);
      try {
        resolve(JSON.parse(out) as TlsRequest[]);
      } catch {
        writeFileSync(join(lab.dir, "tls-load.out"), out);
        reject(
          new Error(
            `tls load generator gave no report (exit ${code ?? signal}, ${out.length} bytes): ${err.slice(0, 400)}`,
          ),
        );
      }
    });
  });
}

/** curl from the client namespace with the name resolved to `address` and Pebble's root trusted. */
export function labCurl(lab: TlsLab, url: string, address: string, extra: string[] = []): string {
  const u = new URL(url);
  const port = u.port || (u.protocol === "https:" ? "443" : "80");
  return curl(lab.client, [
    "--cacert",
    lab.rootFile,
    "--resolve",
    `${u.hostname}:${port}:${address}`,
    ...extra,
    url,
  ]);
}
