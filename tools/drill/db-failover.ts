// Drill `db-failover`: two real PostgreSQL 15 servers configured from the rendered
// postgresql.conf/pg_hba.conf (only addresses, ports and paths substituted), TLS on with a CA
// per site as in the stacks, synchronous streaming replication, a writer committing rows at a
// steady rate through the app pointer, then the primary site is lost without warning
// (kill -9 of the primary's postmaster and of the site's ingress). The real controller
// (bundled exactly as shipped to the edge hosts) watches a real HAProxy and promotes the
// replica. Every acknowledged row is then looked up on the new primary. Side by side: the
// seed's method (pg_dump of the primary once failure is detected, restored at the other site).
// Everything runs on 127.0.0.1; every process is started and stopped here, by pid.
import { chownSync, chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import type { ChildProcess } from "node:child_process";
import { bundleController } from "../../components/state/_bundle";
import { renderBootstrapSql } from "../../components/state/render/bootstrap-sql";
import { renderPgHba } from "../../components/state/render/pg-hba";
import { renderPostgresqlConf } from "../../components/state/render/postgresql-conf";
import {
  PG_IDENT,
  pgHbaInput,
  postgresConfInput,
  PgPaths,
  ROLES,
  StateProfileInput,
  tlsPaths,
} from "../../components/state/render/profile";
import { Procs, run, sleep, waitFor } from "./_proc";
import type { DrillContext, DrillScenario, ScenarioReport } from "./types";

const PG_BIN = "/usr/lib/postgresql/15/bin";
const PSQL = "/usr/bin/psql";
const APP = { database: "app", user: "app" };

export interface DbDrillOptions {
  /** rows acknowledged before the primary is killed */
  rowsBeforeCrash: number;
  /** rows acknowledged in total (the rest go to the promoted replica) */
  rowsTotal: number;
  /** one INSERT every this many ms (each waits for its commit) */
  writeIntervalMs: number;
  /** controller evidence window for the drill (production default: 30 s) */
  windowSeconds: number;
  intervalSeconds: number;
  minSamples: number;
  /** how long to watch for a fail-back after the old site returns */
  watchAfterReturnSeconds: number;
}

export const DEFAULT_DB_DRILL: DbDrillOptions = {
  rowsBeforeCrash: 800,
  rowsTotal: 1200,
  writeIntervalMs: 8,
  windowSeconds: 3,
  intervalSeconds: 0.25,
  minSamples: 6,
  watchAfterReturnSeconds: 8,
};

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      const port = typeof a === "object" && a ? a.port : 0;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

interface Who {
  uid: number;
  gid: number;
}

function postgresUser(): Who {
  if (process.getuid?.() !== 0) {
    throw new Error(
      "the db-failover drill runs as root: PostgreSQL refuses root, so the servers run as the postgres user",
    );
  }
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith("postgres:"));
  if (!line) throw new Error("no postgres OS user (install postgresql-15: scripts/ensure-tools.sh postgres)");
  const f = line.split(":");
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

async function must(what: string, p: Promise<{ ok: boolean; out: string; err: string }>): Promise<string> {
  const r = await p;
  if (!r.ok) throw new Error(`${what} failed: ${r.err.trim() || r.out.trim()}`);
  return r.out;
}

/** A site's CA and the certificates issued from it, as the stacks do with @pulumi/tls. */
async function makeCa(dir: string, site: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await must(
    `${site} CA`,
    run("openssl", [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      join(dir, "ca.key"),
      "-out",
      join(dir, "ca.crt"),
      "-days",
      "2",
      "-subj",
      `/O=jetstream-paas/CN=${site} database CA`,
    ]),
  );
}

async function issue(caDir: string, out: string, cn: string, san?: string): Promise<void> {
  await must(
    `key ${cn}`,
    run("openssl", [
      "req",
      "-new",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      `${out}.key`,
      "-out",
      `${out}.csr`,
      "-subj",
      `/O=jetstream-paas/CN=${cn}`,
    ]),
  );
  const ext = `${out}.ext`;
  writeFileSync(
    ext,
    san ? `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n` : "extendedKeyUsage=clientAuth\n",
  );
  await must(
    `cert ${cn}`,
    run("openssl", [
      "x509",
      "-req",
      "-in",
      `${out}.csr`,
      "-CA",
      join(caDir, "ca.crt"),
      "-CAkey",
      join(caDir, "ca.key"),
      "-CAcreateserial",
      "-out",
      `${out}.crt`,
      "-days",
      "2",
      "-extfile",
      ext,
    ]),
  );
}

interface Server {
  site: string;
  port: number;
  paths: PgPaths;
  proc?: ChildProcess;
}

function chownTree(path: string, who: Who): void {
  // small trees only (configs, keys); data dirs are created by initdb/pg_basebackup as postgres
  chownSync(path, who.uid, who.gid);
}

export async function runDbFailover(
  ctx: DrillContext,
  opts: DbDrillOptions = DEFAULT_DB_DRILL,
): Promise<ScenarioReport> {
  const who = postgresUser();
  const procs = new Procs();
  const t0 = Date.now();
  const log = (s: string) => ctx.log(`  [${((Date.now() - t0) / 1000).toFixed(1)}s] ${s}`);
  const base = ctx.workDir;
  chmodSync(base, 0o711);
  const writer = { stop: false };
  try {
    // ---- certificates: a CA per site; server certs for 127.0.0.1 (the drill's "public" address)
    const iu: Server = { site: "iu", port: await freePort(), paths: sitePaths(base, "iu") };
    const tacc: Server = { site: "tacc", port: await freePort(), paths: sitePaths(base, "tacc") };
    for (const s of [iu, tacc]) {
      mkdirSync(join(base, s.site), { recursive: true });
      chownTree(join(base, s.site), who);
      for (const d of [
        s.paths.confDirectory,
        s.paths.socketDirectory,
        s.paths.home,
        tlsPaths(s.paths.confDirectory).dir,
      ]) {
        mkdirSync(d, { recursive: true });
      }
      await makeCa(join(base, `${s.site}-ca`), s.site);
    }
    for (const [s, peer] of [
      [iu, tacc],
      [tacc, iu],
    ] as const) {
      const tls = tlsPaths(s.paths.confDirectory);
      const caDir = join(base, `${s.site}-ca`);
      await issue(caDir, join(tls.dir, "server"), `${s.site}-db`, "IP:127.0.0.1");
      await issue(caDir, join(tls.dir, "replication"), ROLES.replication);
      const own = readFileSync(join(caDir, "ca.crt"), "utf8");
      const peerCa = readFileSync(join(base, `${peer.site}-ca`, "ca.crt"), "utf8");
      writeFileSync(tls.clientCa, own + peerCa);
      writeFileSync(tls.peerCa, peerCa);
      for (const f of [
        "server.key",
        "replication.key",
        "server.crt",
        "replication.crt",
        "ca-bundle.crt",
        "peer-ca.crt",
      ]) {
        const p = join(tls.dir, f);
        chmodSync(p, f.endsWith(".key") ? 0o600 : 0o644);
        chownTree(p, who);
      }
    }
    const appCa = join(base, "app-ca.crt");
    writeFileSync(
      appCa,
      readFileSync(join(base, "iu-ca", "ca.crt"), "utf8") +
        readFileSync(join(base, "tacc-ca", "ca.crt"), "utf8"),
    );

    // ---- secrets (the stacks take them from @pulumi/random)
    const pw = { repl: randomPw(), ctl: randomPw(), app: randomPw() };
    for (const s of [iu, tacc]) {
      const pass = join(s.paths.home, ".pgpass");
      writeFileSync(pass, `*:*:*:${ROLES.replication}:${pw.repl}\n`, { mode: 0o600 });
      chownTree(pass, who);
      for (const d of [
        s.paths.home,
        s.paths.confDirectory,
        s.paths.socketDirectory,
        tlsPaths(s.paths.confDirectory).dir,
      ])
        chownTree(d, who);
    }
    const ctlPass = join(base, "controller.pgpass");
    writeFileSync(ctlPass, `*:*:*:${ROLES.controller}:${pw.ctl}\n`, { mode: 0o600 });
    const appPass = join(base, "app.pgpass");
    writeFileSync(appPass, `*:*:*:${APP.user}:${pw.app}\n`, { mode: 0o600 });

    // ---- rendered configs, as the stacks render them, addresses/ports/paths substituted
    const profile = (s: Server, role: "primary" | "replica", peer: Server): StateProfileInput => ({
      role,
      site: s.site,
      peerSite: peer.site,
      port: s.port,
      listenAddresses: ["127.0.0.1"],
      primaryAddress: role === "replica" ? "127.0.0.1" : undefined,
      peerAddress: "127.0.0.1",
      controllerCidrs: ["127.0.0.1/32"],
      app: { ...APP, cidrs: ["127.0.0.1/32"] },
      synchronousCommit: "on",
      sharedBuffersMb: 128,
      maxConnections: 100,
      walKeepSizeMb: 1024,
      maxSlotWalKeepSizeMb: 10240,
      paths: s.paths,
    });
    const writeConf = (s: Server, p: StateProfileInput, peer: Server) => {
      const confIn = postgresConfInput(p);
      // port of the peer differs on one host; on the sites both use 5432
      if (confIn.replication.primary) confIn.replication.primary.port = peer.port;
      const conf = join(s.paths.confDirectory, "postgresql.conf");
      writeFileSync(conf, renderPostgresqlConf(confIn));
      writeFileSync(join(s.paths.confDirectory, "pg_hba.conf"), renderPgHba(pgHbaInput(p)));
      writeFileSync(join(s.paths.confDirectory, "pg_ident.conf"), PG_IDENT);
      chownTree(join(s.paths.confDirectory, "pg_ident.conf"), who);
      chownTree(conf, who);
      chownTree(join(s.paths.confDirectory, "pg_hba.conf"), who);
    };
    writeConf(iu, profile(iu, "primary", tacc), tacc);
    writeConf(tacc, profile(tacc, "replica", iu), iu);

    // ---- primary: initdb, start, bootstrap.sql (roles, slot, app database)
    log("initdb primary (iu)");
    await must(
      "initdb",
      run(
        join(PG_BIN, "initdb"),
        [
          "-D",
          iu.paths.dataDirectory,
          "-U",
          ROLES.superuser,
          "--auth-local=peer",
          "--auth-host=reject",
          "--data-checksums",
          "-E",
          "UTF8",
          "--locale=C.UTF-8",
        ],
        { ...who, timeoutMs: 60_000 },
      ),
    );
    const startPg = (s: Server) => {
      const proc = procs.start(
        `postgres-${s.site}`,
        join(PG_BIN, "postgres"),
        ["-c", `config_file=${join(s.paths.confDirectory, "postgresql.conf")}`],
        { ...who, stdio: ["ignore", "ignore", "pipe"] },
      );
      let tail = "";
      proc.stderr?.on("data", (d: Buffer) => (tail = (tail + d.toString()).slice(-4000)));
      s.proc = proc;
      return () => tail;
    };
    const iuLog = startPg(iu);
    const superPsql = (s: Server, sql: string, extra: string[] = []) =>
      run(
        PSQL,
        [
          "-X",
          "-A",
          "-t",
          "-q",
          "-v",
          "ON_ERROR_STOP=1",
          "-h",
          s.paths.socketDirectory,
          "-p",
          String(s.port),
          "-U",
          ROLES.superuser,
          ...extra,
          "-c",
          sql,
        ],
        { ...who, timeoutMs: 10_000 },
      );
    if (!(await waitFor(async () => (await superPsql(iu, "SELECT 1")).ok, 20_000)))
      throw new Error(`primary did not start: ${iuLog()}`);
    const bootstrap = join(base, "bootstrap.sql");
    writeFileSync(
      bootstrap,
      renderBootstrapSql({
        replicationUser: ROLES.replication,
        controllerUser: ROLES.controller,
        app: APP,
        slotName: postgresConfInput(profile(tacc, "replica", iu)).replication.slotName,
      }),
    );
    chmodSync(bootstrap, 0o644);
    await must(
      "bootstrap.sql",
      run(
        PSQL,
        [
          "-X",
          "-q",
          "-v",
          "ON_ERROR_STOP=1",
          "-h",
          iu.paths.socketDirectory,
          "-p",
          String(iu.port),
          "-U",
          ROLES.superuser,
          "-v",
          `repl_password=${pw.repl}`,
          "-v",
          `controller_password=${pw.ctl}`,
          "-v",
          `app_password=${pw.app}`,
          "-f",
          bootstrap,
        ],
        { ...who },
      ),
    );
    const appConn = (port: number, db = APP.database) =>
      `host=127.0.0.1 port=${port} user=${APP.user} dbname=${db} passfile=${appPass} sslmode=verify-full sslrootcert=${appCa} connect_timeout=2`;
    const appPsql = (port: number, sql: string, db = APP.database) =>
      run(PSQL, [appConn(port, db), "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], {
        timeoutMs: 15_000,
      });
    await must(
      "create table",
      appPsql(
        iu.port,
        "SET synchronous_commit = local; CREATE TABLE drill_rows (id bigint PRIMARY KEY, payload text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())",
      ),
    );

    // ---- replica: base backup over TLS with the replication client certificate
    log(
      "pg_basebackup replica (tacc) over TLS, slot " +
        postgresConfInput(profile(tacc, "replica", iu)).replication.slotName,
    );
    const ttls = tlsPaths(tacc.paths.confDirectory);
    const replConn = `host=127.0.0.1 port=${iu.port} user=${ROLES.replication} passfile=${join(tacc.paths.home, ".pgpass")} sslmode=verify-full sslrootcert=${ttls.peerCa} sslcert=${ttls.clientCert} sslkey=${ttls.clientKey}`;
    await must(
      "pg_basebackup",
      run(
        join(PG_BIN, "pg_basebackup"),
        [
          "-d",
          replConn,
          "-D",
          tacc.paths.dataDirectory,
          "-X",
          "stream",
          "-S",
          postgresConfInput(profile(tacc, "replica", iu)).replication.slotName,
          "-c",
          "fast",
        ],
        { ...who, timeoutMs: 120_000 },
      ),
    );
    writeFileSync(join(tacc.paths.dataDirectory, "standby.signal"), "");
    chownTree(join(tacc.paths.dataDirectory, "standby.signal"), who);
    const taccLog = startPg(tacc);
    const streaming = await waitFor(
      async () => {
        const r = await superPsql(
          iu,
          "SELECT application_name || ':' || state || ':' || sync_state FROM pg_stat_replication",
        );
        return r.ok && r.out.includes(":streaming:sync");
      },
      30_000,
      200,
    );
    if (!streaming) throw new Error(`replica is not a streaming sync standby: ${taccLog()}`);
    const replRow = (
      await superPsql(
        iu,
        "SELECT application_name || ' ' || state || ' ' || sync_state || ' ' || ssl FROM pg_stat_replication JOIN pg_stat_ssl USING (pid)",
      )
    ).out.trim();
    log(`replication: ${replRow}`);

    // ---- the sites' ingress and the edge HAProxy the controller reads
    const ingress = async (name: string) => {
      const port = await freePort();
      const proc = procs.start(name, process.execPath, [
        "-e",
        `require("http").createServer((q,s)=>s.end("ok")).listen(${port},"127.0.0.1")`,
      ]);
      return { port, proc };
    };
    let iuIngress = await ingress("iu-ingress");
    const taccIngress = await ingress("tacc-ingress");
    const sock = join(base, "haproxy.sock");
    const feport = await freePort();
    const hcfg = join(base, "haproxy.cfg");
    writeFileSync(
      hcfg,
      [
        "global",
        `  stats socket ${sock} mode 600 level admin`,
        "defaults",
        "  mode http",
        "  timeout connect 1s",
        "  timeout client 5s",
        "  timeout server 5s",
        "frontend fe_live",
        `  bind 127.0.0.1:${feport}`,
        "  default_backend be_live",
        "backend be_live",
        "  option httpchk GET /healthz/ready",
        `  server iu-ingress-1 127.0.0.1:${iuIngress.port} check inter 200ms fall 2 rise 2`,
        `  server tacc-ingress-1 127.0.0.1:${taccIngress.port} check inter 200ms fall 2 rise 2 backup`,
        "",
      ].join("\n"),
    );
    const haproxy = procs.start("haproxy", "haproxy", ["-db", "-f", hcfg]);
    if (!(await waitFor(() => existsSync(sock), 5000)))
      throw new Error("haproxy did not open its admin socket");

    // ---- the controller, bundled as shipped
    const ctlDir = join(base, "controller");
    mkdirSync(ctlDir, { recursive: true });
    const bundle = join(ctlDir, "controller.js");
    writeFileSync(bundle, bundleController());
    const pointer = join(base, "db-pointer.json");
    writeFileSync(
      pointer,
      `${JSON.stringify({ host: "127.0.0.1", port: iu.port, site: "iu", since: new Date().toISOString() })}\n`,
    );
    const ctlCfg = {
      localSite: "tacc",
      replica: {
        site: "tacc",
        host: "127.0.0.1",
        port: tacc.port,
        user: ROLES.controller,
        passfile: ctlPass,
        dbname: "postgres",
        sslrootcert: join(base, "tacc-ca", "ca.crt"),
        sslmode: "verify-full",
      },
      primary: {
        site: "iu",
        host: "127.0.0.1",
        port: iu.port,
        user: ROLES.controller,
        passfile: ctlPass,
        dbname: "postgres",
        sslrootcert: join(base, "iu-ca", "ca.crt"),
        sslmode: "verify-full",
      },
      probePrimary: true,
      haproxy: { socket: sock, backends: ["be_live"], primaryServerPattern: "^iu-" },
      pointer: { kind: "file", path: pointer },
      policy: {
        windowSeconds: opts.windowSeconds,
        minSamples: opts.minSamples,
        maxTransitions: 4,
        flapLookbackSeconds: 60,
      },
      intervalSeconds: opts.intervalSeconds,
      stateDir: join(ctlDir, "state"),
      psqlPath: PSQL,
    };
    const ctlCfgPath = join(ctlDir, "controller.json");
    writeFileSync(ctlCfgPath, JSON.stringify(ctlCfg, null, 2));
    const controller = procs.start("controller", process.execPath, [bundle, "run", "--config", ctlCfgPath]);
    let ctlOut = "";
    controller.stdout?.on("data", (d: Buffer) => (ctlOut += d.toString()));
    controller.stderr?.on("data", (d: Buffer) => (ctlOut += d.toString()));
    const events = () => {
      const p = join(ctlCfg.stateDir, "events.jsonl");
      return existsSync(p)
        ? readFileSync(p, "utf8")
            .split("\n")
            .filter(Boolean)
            .map((l) => JSON.parse(l) as { at: string; event: string; [k: string]: unknown })
        : [];
    };
    if (
      !(await waitFor(
        () => events().some((e) => e.event === "decision" && String(e.reason).includes("healthy")),
        15_000,
      ))
    ) {
      throw new Error(`controller did not see a healthy primary site: ${ctlOut.slice(-2000)}`);
    }
    log("controller watching: primary site healthy");

    // ---- commit latency, synchronous vs local, measured with pgbench (3 s each, one client)
    await must("bench table", appPsql(iu.port, "CREATE TABLE drill_bench (id bigserial PRIMARY KEY, v int)"));
    const benchScript = join(base, "bench.sql");
    writeFileSync(benchScript, "INSERT INTO drill_bench (v) VALUES (1);\n");
    const bench = async (level: string) => {
      const r = await run(
        join(PG_BIN, "pgbench"),
        ["-n", "-c", "1", "-T", "3", "-f", benchScript, appConn(iu.port)],
        {
          env: { ...process.env, PGOPTIONS: `-c synchronous_commit=${level}` },
          timeoutMs: 20_000,
        },
      );
      const m = /latency average = ([\d.]+) ms/.exec(r.out);
      return m ? Number(m[1]) : null;
    };
    const latencyByLevel = {
      on: await bench("on"),
      remote_write: await bench("remote_write"),
      local: await bench("local"),
    };
    log(`commit latency (pgbench, loopback): ${JSON.stringify(latencyByLevel)} ms`);

    // ---- the writer: one INSERT at a time, each acknowledged only after its commit
    const acked: number[] = [];
    const ackAt = new Map<number, number>();
    /** ids acknowledged by the promoted replica (written through the repointed connection) */
    const ackedByNew = new Set<number>();
    const inDoubt: number[] = [];
    let nextId = 1;
    const latencies: number[] = [];
    let lastTarget = { port: iu.port, site: "iu" };
    const currentTarget = () => {
      try {
        lastTarget = JSON.parse(readFileSync(pointer, "utf8")) as { port: number; site: string };
      } catch {
        /* being replaced, or the drill is tearing down: keep the last value */
      }
      return lastTarget;
    };
    const writeLoop = async (until: () => boolean) => {
      while (!until() && !writer.stop) {
        const target = currentTarget();
        const session = procs.start(
          "writer-psql",
          PSQL,
          [appConn(target.port), "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1"],
          { stdio: ["pipe", "pipe", "pipe"] },
        );
        let buf = "";
        let waiting: { id: number; resolve: (ok: boolean) => void; sent: number } | undefined;
        session.stdout?.on("data", (d: Buffer) => {
          buf += d.toString();
          let i: number;
          while ((i = buf.indexOf("\n")) >= 0) {
            const line = buf.slice(0, i).trim();
            buf = buf.slice(i + 1);
            if (waiting && line === String(waiting.id)) {
              const w = waiting;
              waiting = undefined;
              latencies.push(Date.now() - w.sent);
              w.resolve(true);
            }
          }
        });
        session.on("exit", () => {
          if (waiting) {
            const w = waiting;
            waiting = undefined;
            w.resolve(false);
          }
        });
        while (!until() && !writer.stop && procs.alive(session)) {
          const id = nextId++;
          const ok = await new Promise<boolean>((resolve) => {
            waiting = { id, resolve, sent: Date.now() };
            session.stdin?.write(
              `INSERT INTO drill_rows (id, payload) VALUES (${id}, 'row ${id} via ${target.site}') RETURNING id;\n`,
              (err) => {
                if (err && waiting?.id === id) {
                  waiting = undefined;
                  resolve(false);
                }
              },
            );
          });
          if (ok) {
            acked.push(id);
            ackAt.set(id, Date.now());
            if (target.site === "tacc") ackedByNew.add(id);
          } else {
            inDoubt.push(id);
            break;
          }
          await sleep(opts.writeIntervalMs);
        }
        session.stdin?.end();
        await procs.stop(session, "SIGTERM", 2000);
        if (until() || writer.stop) break;
        // the connection broke: wait for the pointer to name another server, as apps do
        await waitFor(() => writer.stop || currentTarget().port !== target.port, 60_000, 100);
      }
    };

    log(
      `writing ${opts.rowsBeforeCrash} rows to the primary (one commit every ${opts.writeIntervalMs} ms + commit time)`,
    );
    const seedDump = join(base, "seed-last-good.sql");
    let seedDumpRows = 0;
    const half = Math.floor(opts.rowsBeforeCrash / 2);
    const firstHalf = writeLoop(() => acked.length >= half);
    await firstHalf;
    // the seed's best case: a dump it happened to take earlier (nightly / last loop)
    await must(
      "seed pg_dump (before failure)",
      run(join(PG_BIN, "pg_dump"), ["-d", appConn(iu.port), "-t", "drill_rows", "-f", seedDump], {
        timeoutMs: 30_000,
      }),
    );
    seedDumpRows = (readFileSync(seedDump, "utf8").match(/^\d+\t/gm) ?? []).length;
    await writeLoop(() => acked.length >= opts.rowsBeforeCrash);
    const meanCommitMs = latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length);
    const p99 = [...latencies].sort((a, b) => a - b)[Math.floor(latencies.length * 0.99)] ?? 0;

    // ---- lose the primary site, without warning, while the writer keeps writing
    const afterCrash = writeLoop(() => acked.length >= opts.rowsTotal);
    await sleep(200);
    const ackedBeforeCrash = acked.length;
    const crashAt = Date.now();
    iu.proc?.kill("SIGKILL");
    iuIngress.proc.kill("SIGKILL");
    log(
      `kill -9 primary postmaster (pid ${iu.proc?.pid}) and iu ingress; ${ackedBeforeCrash} rows acknowledged`,
    );
    // the seed's method: dump the primary once the failure is noticed
    const seedAttempt = await run(join(PG_BIN, "pg_dump"), ["-d", appConn(iu.port), "-t", "drill_rows"], {
      timeoutMs: 10_000,
    });
    // independent measurement of when the replica takes writes
    let promotedAt = 0;
    const promoted = await waitFor(
      async () => {
        const r = await superPsql(tacc, "SELECT pg_is_in_recovery()");
        if (r.ok && r.out.trim() === "f") {
          promotedAt = Date.now();
          return true;
        }
        return false;
      },
      60_000,
      100,
    );
    if (!promoted) throw new Error(`replica was not promoted within 60 s: ${ctlOut.slice(-3000)}`);
    const promoteSeconds = (promotedAt - crashAt) / 1000;
    log(`replica promoted ${promoteSeconds.toFixed(2)} s after the kill`);
    const writesDone = await Promise.race([afterCrash.then(() => true), sleep(60_000).then(() => false)]);
    writer.stop = true;
    await afterCrash;
    if (!writesDone) throw new Error("writer did not finish on the new primary within 60 s");
    // first commit acknowledged by the new primary (the dying old one may still acknowledge a
    // commit or two in the milliseconds after the kill: its backend outlives the postmaster
    // briefly, and those commits were on the standby already, as the row check shows)
    const firstAckAfter = acked.filter((id) => ackedByNew.has(id)).map((id) => ackAt.get(id)!)[0];
    const ackedByOldAfterKill = acked.filter(
      (id) => !ackedByNew.has(id) && (ackAt.get(id) ?? 0) > crashAt,
    ).length;

    // ---- check every acknowledged row on the new primary
    const present = new Set(
      (await must("read rows", appPsql(tacc.port, "SELECT id FROM drill_rows ORDER BY id")))
        .split("\n")
        .filter(Boolean)
        .map(Number),
    );
    const lost = acked.filter((id) => !present.has(id));
    const inDoubtPresent = inDoubt.filter((id) => present.has(id)).length;

    // ---- the seed's way, side by side: restore what it has at the other site
    await must("seed restore db", superPsql(tacc, "CREATE DATABASE seed_restore OWNER app"));
    chmodSync(seedDump, 0o644);
    const superIn = (db: string, args: string[]) =>
      run(
        PSQL,
        [
          "-X",
          "-A",
          "-t",
          "-q",
          "-v",
          "ON_ERROR_STOP=1",
          "-h",
          tacc.paths.socketDirectory,
          "-p",
          String(tacc.port),
          "-U",
          ROLES.superuser,
          "-d",
          db,
          ...args,
        ],
        { ...who, timeoutMs: 30_000 },
      );
    await must("seed restore", superIn("seed_restore", ["-f", seedDump]));
    const seedRows = Number(
      (await must("seed count", superIn("seed_restore", ["-c", "SELECT count(*) FROM drill_rows"]))).trim(),
    );
    // everything the old primary acknowledged is what the seed had to carry over
    const ackedByOld = acked.filter((id) => !ackedByNew.has(id)).length;
    const seedLost = ackedByOld - seedRows;

    // ---- the old site comes back: nothing may fail back by itself
    log("old site returns: iu ingress up, old primary restarted as it was");
    iuIngress = await ingress("iu-ingress-returned");
    await must(
      "haproxy set server addr",
      (async () => {
        const { connect } = await import("node:net");
        return new Promise<{ ok: boolean; out: string; err: string }>((resolve) => {
          const c = connect(sock, () =>
            c.write(`set server be_live/iu-ingress-1 addr 127.0.0.1 port ${iuIngress.port}\n`),
          );
          let out = "";
          c.on("data", (d) => (out += d.toString()));
          c.on("end", () => resolve({ ok: true, out, err: "" }));
          c.on("error", (e) => resolve({ ok: false, out, err: e.message }));
        });
      })(),
    );
    startPg(iu);
    await waitFor(async () => (await superPsql(iu, "SELECT 1")).ok, 20_000);
    await sleep(opts.watchAfterReturnSeconds * 1000);
    const evs = events();
    const pointerNow = currentTarget();
    const stateNow = JSON.parse(readFileSync(join(ctlCfg.stateDir, "state.json"), "utf8")) as {
      phase: string;
      primarySite: string;
    };
    const oldWrite = await appPsql(
      iu.port,
      `INSERT INTO drill_rows (id, payload) VALUES (${nextId + 1000}, 'split-brain test')`,
    );
    const failedBack =
      pointerNow.site !== "tacc" ||
      stateNow.phase !== "failed-over" ||
      evs.some((e) => e.event.startsWith("failback"));
    const ev = (name: string) => evs.find((e) => e.event === name);
    const decidedAt = Date.parse(ev("failover-started")?.at ?? "") || 0;

    await procs.stop(controller, "SIGTERM", 5000);

    // ---- the operator's fail-back (docs/failover.md): rebuild IU as TACC's standby, then
    // `failback` with the same code `npm run failover` and jsp-failover run
    log("operator fail-back: rebuild iu as a standby of tacc, then failback --yes");
    const fbStart = Date.now();
    const failbackReport: Record<string, unknown> = {};
    try {
      if (iu.proc) await procs.stop(iu.proc, "SIGINT", 10_000);
      await must(
        "slot for iu on tacc",
        superPsql(tacc, "SELECT pg_create_physical_replication_slot('iu_db')"),
      );
      await must(
        "move old iu data aside",
        run("mv", [iu.paths.dataDirectory, `${iu.paths.dataDirectory}.old`]),
      );
      const itls = tlsPaths(iu.paths.confDirectory);
      const backConn = `host=127.0.0.1 port=${tacc.port} user=${ROLES.replication} passfile=${join(iu.paths.home, ".pgpass")} sslmode=verify-full sslrootcert=${itls.peerCa} sslcert=${itls.clientCert} sslkey=${itls.clientKey}`;
      await must(
        "pg_basebackup iu from tacc",
        run(
          join(PG_BIN, "pg_basebackup"),
          ["-d", backConn, "-D", iu.paths.dataDirectory, "-X", "stream", "-S", "iu_db", "-c", "fast"],
          { ...who, timeoutMs: 120_000 },
        ),
      );
      writeConf(iu, profile(iu, "replica", tacc), tacc);
      writeFileSync(join(iu.paths.dataDirectory, "standby.signal"), "");
      chownTree(join(iu.paths.dataDirectory, "standby.signal"), who);
      startPg(iu);
      await must(
        "tacc waits for iu",
        superPsql(tacc, "ALTER SYSTEM SET synchronous_standby_names = 'FIRST 1 (iu_db)'"),
      );
      await must("tacc reload", superPsql(tacc, "SELECT pg_reload_conf()"));
      const syncBack = await waitFor(
        async () => {
          const r = await superPsql(
            tacc,
            "SELECT application_name || ':' || state || ':' || sync_state FROM pg_stat_replication",
          );
          return r.ok && r.out.includes("iu_db:streaming:sync");
        },
        30_000,
        200,
      );
      if (!syncBack) throw new Error("iu did not become tacc's synchronous standby");
      const fb = await run(process.execPath, [bundle, "failback", "--config", ctlCfgPath, "--yes"], {
        timeoutMs: 90_000,
      });
      failbackReport.command = `jsp-failover failback --yes: ${(fb.out || fb.err).trim().split("\n").pop()}`;
      const iuPrimary = (await superPsql(iu, "SELECT NOT pg_is_in_recovery()")).out.trim() === "t";
      const pointerBack = currentTarget().site;
      const rowsOnIu = new Set(
        (await must("read rows on iu", appPsql(iu.port, "SELECT id FROM drill_rows")))
          .split("\n")
          .filter(Boolean)
          .map(Number),
      );
      const lostAfterFailback = acked.filter((id) => !rowsOnIu.has(id)).length;
      const writeOnIu = await appPsql(
        iu.port,
        `INSERT INTO drill_rows (id, payload) VALUES (${nextId + 2000}, 'after failback') RETURNING id`,
      );
      Object.assign(failbackReport, {
        ok: fb.ok && iuPrimary && pointerBack === "iu" && lostAfterFailback === 0 && writeOnIu.ok,
        seconds: round((Date.now() - fbStart) / 1000),
        iuPrimaryAgain: iuPrimary,
        pointer: pointerBack,
        rowsLost: lostAfterFailback,
        writeOnIu: writeOnIu.ok ? "accepted" : writeOnIu.err.trim().split("\n")[0],
      });
    } catch (e) {
      Object.assign(failbackReport, { ok: false, error: (e as Error).message });
    }
    log(`fail-back: ${JSON.stringify(failbackReport)}`);
    await procs.stop(haproxy, "SIGTERM", 5000);

    const rowsCommitted = acked.length;
    const targets = [
      "rowsCommitted >= 1000",
      "rowsLost == 0",
      "promoteSeconds <= 10",
      "failedBack == false",
      "operatorFailback.ok == true",
    ];
    const passed =
      rowsCommitted >= 1000 &&
      lost.length === 0 &&
      promoteSeconds <= 10 &&
      !failedBack &&
      failbackReport.ok === true;
    return {
      name: "db-failover",
      passed,
      targets,
      rowsCommitted,
      rowsLost: lost.length,
      promoteSeconds: round(promoteSeconds),
      failedBack,
      rpoRows: lost.length,
      rtoWriteSeconds: firstAckAfter ? round((firstAckAfter - crashAt) / 1000) : null,
      detectionSeconds: decidedAt ? round((decidedAt - crashAt) / 1000) : null,
      ackedBeforeCrash,
      ackedByOldPrimaryAfterKill: ackedByOldAfterKill,
      ackedAfterCrash: rowsCommitted - ackedBeforeCrash,
      inDoubt: {
        rows: inDoubt.length,
        presentOnNewPrimary: inDoubtPresent,
        note: "sent but unacknowledged when the primary died; neither promised nor counted",
      },
      replication: {
        row: replRow,
        synchronousCommit: "on",
        synchronousStandbyNames: `FIRST 1 (${postgresConfInput(profile(iu, "primary", tacc)).replication.standbyName})`,
      },
      commitLatencyMs: {
        writerMean: round(meanCommitMs),
        writerP99: p99,
        pgbenchAverageBySynchronousCommit: latencyByLevel,
        note: "loopback, both servers on one disk; across sites a synchronous commit adds one IU-TACC round trip",
      },
      controller: {
        windowSeconds: opts.windowSeconds,
        intervalSeconds: opts.intervalSeconds,
        minSamples: opts.minSamples,
        events: evs
          .filter((e) => e.event !== "decision" || e.action !== "none")
          .map((e) => {
            const text = String(e.detail ?? e.reason ?? "").split("\n")[0];
            return `${e.at} ${e.event}${text ? `: ${text}` : ""}`;
          }),
        returnedPrimaryFenced: evs.some((e) => e.event === "returned-primary-fenced"),
        stateAfterReturn: stateNow,
        pointerAfterReturn: pointerNow.site,
        writeToReturnedOldPrimary: oldWrite.ok
          ? "ACCEPTED (split brain!)"
          : `refused: ${oldWrite.err.trim().split("\n")[0]}`,
      },
      operatorFailback: failbackReport,
      seedMethod: {
        description: "seed 000: when IU fails, dump IU's database and load it at TACC",
        dumpAfterFailure: seedAttempt.ok
          ? "succeeded (unexpected)"
          : `failed: ${seedAttempt.err.trim().split("\n")[0]}`,
        lastGoodDumpRows: seedDumpRows,
        restoredRows: seedRows,
        rowsLost: seedLost,
        rowsLostWithoutAnEarlierDump: ackedByOld,
      },
    };
  } finally {
    writer.stop = true;
    await procs.stopAll();
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function randomPw(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require("node:crypto") as typeof import("node:crypto")).randomBytes(18).toString("base64url");
}

function sitePaths(base: string, site: string): PgPaths {
  return {
    dataDirectory: join(base, site, "data"),
    confDirectory: join(base, site, "etc"),
    socketDirectory: join(base, site, "run"),
    home: join(base, site, "home"),
  };
}

export const dbFailoverScenario: DrillScenario = {
  name: "db-failover",
  description:
    "PostgreSQL 15 primary + synchronous streaming replica from the rendered configs; kill -9 the primary; the controller promotes; every committed row checked",
  timeoutSeconds: 240,
  run: (ctx) => runDbFailover(ctx),
};
