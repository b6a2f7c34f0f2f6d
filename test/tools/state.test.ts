// Real tools on what the state module renders: shellcheck on every script, cloud-init schema on
// the database and controller cloud-configs, and a real PostgreSQL 15 started from the rendered
// postgresql.conf/pg_hba.conf with TLS on, bootstrapped the way jsp-db-setup does it.
// (The full primary + replica + kill -9 + promotion run is `npm run drill -- --scenario db-failover`.)
import assert from "node:assert/strict";
import { execFileSync, spawn, ChildProcess } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  pgHbaInput,
  postgresConfInput,
  renderBackupScript,
  renderBootstrapSql,
  renderControllerCloudPart,
  renderDbCloudInit,
  renderPgHba,
  renderPointerScript,
  renderPostgresqlConf,
  renderSetupScript,
} from "../../components/state";
import { bundleController } from "../../components/state/_bundle";
import { PG_IDENT, StateProfileInput, tlsPaths } from "../../components/state/render/profile";
import { renderCloudConfig } from "../../src/cloud-init";
import { cloudInitSchema, requireTools, runTool } from "../harness/tools";

const dir = mkdtempSync(join(tmpdir(), "jsp-state-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const setup = (role: "primary" | "replica") =>
  renderSetupScript({
    role,
    stagingDir: "/etc/jetstream-paas/postgres",
    confDirectory: "/etc/postgresql/15/main",
    dataDirectory: "/var/lib/postgresql/15/main",
    primary: role === "replica" ? { host: "198.51.100.11", port: 5432, slot: "tacc_db" } : undefined,
    secretsDir: "/etc/jetstream-paas/postgres/secrets",
    tlsDir: "/etc/postgresql/15/main/tls",
    basebackupWaitSeconds: 3600,
  });
const backup = (endpoint?: string) =>
  renderBackupScript({
    site: "iu",
    targetSite: "tacc",
    endpoint,
    bucket: "jsp-iu-db-backups",
    databases: ["app"],
    retentionDays: 14,
    s3cfg: "/etc/jetstream-paas/backup/s3cfg",
  });
const controllerPart = () =>
  renderControllerCloudPart({
    localSite: "tacc",
    primary: { site: "iu", host: "198.51.100.11", port: 5432, caCert: "CA\n" },
    replica: { site: "tacc", host: "10.30.0.11", port: 5432, caCert: "CA\n" },
    controllerPassword: "pw",
    haproxy: { socket: "/run/haproxy/admin.sock", backends: ["be_live"], primaryServerPattern: "^iu-" },
    policy: { windowSeconds: 30, minSamples: 10, maxTransitions: 4, flapLookbackSeconds: 300 },
    intervalSeconds: 2,
    probePrimary: false,
    appService: { namespace: "state", name: "postgres" },
    bundle: bundleController(),
  });

describe("shellcheck on the rendered scripts", () => {
  before(() => requireTools(["shellcheck"]));
  const scripts: Array<[string, string]> = [
    ["jsp-db-setup (primary)", setup("primary")],
    ["jsp-db-setup (replica)", setup("replica")],
    ["jsp-db-backup", backup("https://js2.jetstream-cloud.org:8001")],
    ["jsp-db-backup (no endpoint)", backup()],
    ["jsp-db-pointer", renderPointerScript({ namespace: "state", name: "postgres" })],
  ];
  for (const [name, text] of scripts) {
    it(`passes ${name}`, () => {
      const f = join(dir, name.replace(/\W+/g, "_"));
      writeFileSync(f, text);
      const r = runTool("shellcheck", ["-s", "bash", "-S", "style", f]);
      assert.ok(r.ok, r.output);
    });
  }
  it("passes the jsp-failover wrapper (sh)", () => {
    const w = controllerPart().files.find((x) => x.path === "/usr/local/bin/jsp-failover")!;
    const f = join(dir, "jsp-failover");
    writeFileSync(f, w.content);
    const r = runTool("shellcheck", ["-S", "style", f]);
    assert.ok(r.ok, r.output);
  });
  it("is a real check: it flags an unquoted variable", () => {
    const f = join(dir, "bad.sh");
    writeFileSync(f, "#!/bin/bash\nrm -rf $1/data\n");
    assert.equal(runTool("shellcheck", ["-S", "style", f]).ok, false);
  });
});

describe("cloud-init schema", () => {
  before(() => requireTools(["cloud-init"]));
  for (const role of ["primary", "replica"] as const) {
    it(`accepts the ${role} database cloud-config`, () => {
      const text = renderDbCloudInit({
        hostname: role === "primary" ? "iu-db" : "tacc-db",
        role,
        volumeDevice: "/dev/disk/by-id/virtio-0123456789abcdef0123",
        postgresqlConf: "ssl = on\n",
        pgHba: "local all postgres peer\n",
        pgIdent: PG_IDENT,
        bootstrapSql: role === "primary" ? "SELECT 1;\n" : undefined,
        setupScript: setup(role),
        tls: {
          serverCert: "C\n",
          serverKey: "K\n",
          caBundle: "B\n",
          peerCa: "P\n",
          clientCert: "CC\n",
          clientKey: "CK\n",
        },
        secrets: role === "primary" ? { replication: "r", controller: "c", app: "a" } : { replication: "r" },
        backup: {
          script: backup(),
          service: "[Unit]\n",
          timer: "[Timer]\n",
          s3cfg: "[default]\n",
          enabled: true,
        },
      });
      const r = cloudInitSchema(text, dir, `${role}.yaml`);
      assert.ok(r.ok, r.output);
      assert.ok(Buffer.byteLength(text) < 64 * 1024, "user data under OpenStack's 64 KiB");
    });
  }
  it("accepts the controller part merged into a cloud-config, under 64 KiB with the real bundle", () => {
    const part = controllerPart();
    const text = renderCloudConfig({ packages: part.packages, write_files: part.files, runcmd: part.runcmd });
    const r = cloudInitSchema(text, dir, "controller.yaml");
    assert.ok(r.ok, r.output);
    assert.ok(Buffer.byteLength(text) < 32 * 1024, `controller part is ${Buffer.byteLength(text)} bytes`);
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });
}

describe("PostgreSQL 15 runs the rendered primary config", () => {
  let server: ChildProcess | undefined;
  const pgBin = "/usr/lib/postgresql/15/bin";
  const root = join(dir, "pg");
  const paths = {
    dataDirectory: join(root, "data"),
    confDirectory: join(root, "etc"),
    socketDirectory: join(root, "run"),
    home: join(root, "home"),
  };
  let who = { uid: 0, gid: 0 };
  let port = 0;

  before(async () => {
    requireTools(["postgres", "initdb", "psql"]);
    if (process.getuid?.() !== 0)
      throw new Error("this test starts PostgreSQL as the postgres user and needs root");
    const pw = readFileSync("/etc/passwd", "utf8")
      .split("\n")
      .find((l) => l.startsWith("postgres:"))!
      .split(":");
    who = { uid: Number(pw[2]), gid: Number(pw[3]) };
    chmodSync(dir, 0o711);
    port = await freePort();
    for (const d of [
      root,
      paths.confDirectory,
      paths.socketDirectory,
      paths.home,
      tlsPaths(paths.confDirectory).dir,
    ]) {
      mkdirSync(d, { recursive: true });
      chownSync(d, who.uid, who.gid);
    }
    const t = tlsPaths(paths.confDirectory);
    const ssl = (args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
    ssl([
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      join(t.dir, "ca.key"),
      "-out",
      t.clientCa,
      "-days",
      "1",
      "-subj",
      "/CN=test CA",
    ]);
    ssl([
      "req",
      "-new",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      t.serverKey,
      "-out",
      join(t.dir, "s.csr"),
      "-subj",
      "/CN=iu-db",
    ]);
    writeFileSync(join(t.dir, "ext"), "subjectAltName=IP:127.0.0.1\n");
    ssl([
      "x509",
      "-req",
      "-in",
      join(t.dir, "s.csr"),
      "-CA",
      t.clientCa,
      "-CAkey",
      join(t.dir, "ca.key"),
      "-CAcreateserial",
      "-out",
      t.serverCert,
      "-days",
      "1",
      "-extfile",
      join(t.dir, "ext"),
    ]);
    const profile: StateProfileInput = {
      role: "primary",
      site: "iu",
      peerSite: "tacc",
      port,
      listenAddresses: ["127.0.0.1"],
      peerAddress: "127.0.0.1",
      controllerCidrs: ["127.0.0.1/32"],
      app: { database: "app", user: "app", cidrs: ["127.0.0.1/32"] },
      synchronousCommit: "on",
      sharedBuffersMb: 128,
      maxConnections: 100,
      walKeepSizeMb: 1024,
      maxSlotWalKeepSizeMb: 10240,
      paths,
    };
    writeFileSync(
      join(paths.confDirectory, "postgresql.conf"),
      renderPostgresqlConf(postgresConfInput(profile)),
    );
    writeFileSync(join(paths.confDirectory, "pg_hba.conf"), renderPgHba(pgHbaInput(profile)));
    writeFileSync(join(paths.confDirectory, "pg_ident.conf"), PG_IDENT);
    writeFileSync(
      join(root, "bootstrap.sql"),
      renderBootstrapSql({
        replicationUser: "replicator",
        controllerUser: "jsp_failover",
        app: { database: "app", user: "app" },
        slotName: "tacc_db",
      }),
    );
    for (const [f, secret] of [
      ["replication", "r-secret-1"],
      ["controller", "c-secret-2"],
      ["app", "a-secret-3"],
    ])
      writeFileSync(join(paths.home, f), secret, { mode: 0o600 });
    execFileSync("chown", ["-R", `${who.uid}:${who.gid}`, root]);
    chmodSync(t.serverKey, 0o600);
    execFileSync(
      join(pgBin, "initdb"),
      [
        "-D",
        paths.dataDirectory,
        "-U",
        "postgres",
        "--auth-local=peer",
        "--auth-host=reject",
        "-E",
        "UTF8",
        "--locale=C.UTF-8",
      ],
      { ...who, stdio: "pipe" },
    );
    server = spawn(
      join(pgBin, "postgres"),
      ["-c", `config_file=${join(paths.confDirectory, "postgresql.conf")}`],
      { ...who, stdio: "ignore" },
    );
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (psql("SELECT 1").ok) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  after(async () => {
    if (server && server.exitCode === null) {
      const done = new Promise((r) => server!.once("exit", r));
      server.kill("SIGINT");
      await Promise.race([done, new Promise((r) => setTimeout(r, 5000))]);
      if (server.exitCode === null) server.kill("SIGKILL");
    }
  });

  function psql(sql: string, extra: string[] = []) {
    try {
      const out = execFileSync(
        "psql",
        [
          "-X",
          "-A",
          "-t",
          "-q",
          "-v",
          "ON_ERROR_STOP=1",
          "-h",
          paths.socketDirectory,
          "-p",
          String(port),
          "-U",
          "postgres",
          ...extra,
          "-c",
          sql,
        ],
        { ...who, encoding: "utf8", stdio: "pipe" },
      );
      return { ok: true, out: out.trim() };
    } catch (e) {
      return { ok: false, out: String((e as { stderr?: string }).stderr ?? e) };
    }
  }

  it("starts with TLS on, WAL for a standby, and a pg_hba without errors", () => {
    assert.equal(psql("SHOW ssl").out, "on");
    assert.equal(psql("SHOW wal_level").out, "replica");
    assert.equal(psql("SHOW synchronous_standby_names").out, "FIRST 1 (tacc_db)");
    assert.equal(psql("SELECT count(*) FROM pg_hba_file_rules WHERE error IS NOT NULL").out, "0");
    assert.match(
      psql(
        "SELECT string_agg(type || ' ' || database[1] || ' ' || coalesce(address, ''), ',') FROM pg_hba_file_rules",
      ).out,
      /hostssl replication 127\.0\.0\.1/,
    );
  });

  it("runs bootstrap.sql the way jsp-db-setup does (passwords through \\set, not argv)", () => {
    const f = (n: string) =>
      `\\set ${n}_password \`cat ${join(paths.home, n === "repl" ? "replication" : n)}\``;
    const r = psql("SELECT 1", [
      "-c",
      f("repl"),
      "-c",
      f("controller"),
      "-c",
      f("app"),
      "-f",
      join(root, "bootstrap.sql"),
    ]);
    assert.ok(r.ok, r.out);
    assert.equal(
      psql(
        "SELECT string_agg(rolname, ',' ORDER BY rolname) FROM pg_roles WHERE rolname IN ('app','jsp_failover','replicator')",
      ).out,
      "app,jsp_failover,replicator",
    );
    assert.equal(
      psql("SELECT slot_type FROM pg_replication_slots WHERE slot_name = 'tacc_db'").out,
      "physical",
    );
    assert.equal(
      psql("SELECT has_function_privilege('jsp_failover', 'pg_promote(boolean, integer)', 'EXECUTE')").out,
      "t",
    );
    assert.equal(psql("SELECT rolsuper FROM pg_roles WHERE rolname = 'jsp_failover'").out, "f");
    // idempotent: a second run changes nothing and does not fail
    assert.ok(
      psql("SELECT 1", [
        "-c",
        f("repl"),
        "-c",
        f("controller"),
        "-c",
        f("app"),
        "-f",
        join(root, "bootstrap.sql"),
      ]).ok,
    );
  });

  it("accepts the app over TLS with its password and refuses it without TLS", () => {
    const pass = join(root, "app.pgpass");
    writeFileSync(pass, "*:*:*:app:a-secret-3\n", { mode: 0o600 });
    const t = tlsPaths(paths.confDirectory);
    const conn = (sslmode: string) =>
      `host=127.0.0.1 port=${port} user=app dbname=app passfile=${pass} sslmode=${sslmode} sslrootcert=${t.clientCa}`;
    const tlsOk = runTool("psql", [
      conn("verify-full"),
      "-X",
      "-A",
      "-t",
      "-c",
      "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
    ]);
    assert.ok(tlsOk.ok, tlsOk.output);
    assert.equal(tlsOk.output.trim(), "t");
    const plain = runTool("psql", [conn("disable"), "-X", "-c", "SELECT 1"]);
    assert.equal(plain.ok, false);
    assert.match(plain.output, /rejects connection|no pg_hba.conf entry/);
  });
});
