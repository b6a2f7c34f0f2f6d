// Renderers of the state module: exact content where it matters (replication, TLS, pg_hba),
// refusals naming the bad key, and the controller's cloud-init part.
import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { describe, it } from "node:test";
import { parse } from "yaml";
import {
  pgHbaInput,
  postgresConfInput,
  renderBackupScript,
  renderBackupUnits,
  renderBootstrapSql,
  renderControllerCloudPart,
  renderDbCloudInit,
  renderPgHba,
  renderPostgresqlConf,
  renderPointerScript,
  renderSetupScript,
} from "../../../components/state";
import { parseControllerConfig } from "../../../components/state/controller/config";
import type { StateProfileInput } from "../../../components/state/render/profile";

const base: StateProfileInput = {
  role: "primary",
  site: "iu",
  peerSite: "tacc",
  port: 5432,
  listenAddresses: ["*"],
  peerAddress: "198.51.100.139",
  controllerCidrs: ["10.20.0.0/22"],
  app: { database: "app", user: "app", cidrs: ["10.20.0.0/22"] },
  synchronousCommit: "on",
  sharedBuffersMb: 1536,
  maxConnections: 200,
  walKeepSizeMb: 1024,
  maxSlotWalKeepSizeMb: 10240,
};

const setting = (conf: string, key: string) => new RegExp(`^${key} = (.*)$`, "m").exec(conf)?.[1];

describe("postgresql.conf", () => {
  it("primary: WAL for a standby, TLS on, waits for the peer site's standby by name", () => {
    const c = renderPostgresqlConf(postgresConfInput(base));
    assert.equal(setting(c, "wal_level"), "replica");
    assert.equal(setting(c, "ssl"), "on");
    assert.equal(setting(c, "synchronous_commit"), "on");
    assert.equal(setting(c, "synchronous_standby_names"), "'FIRST 1 (tacc_db)'");
    assert.equal(setting(c, "hot_standby"), "on");
    assert.equal(setting(c, "max_slot_wal_keep_size"), "10240MB");
    assert.equal(setting(c, "primary_conninfo"), undefined);
    assert.ok(c.endsWith("\n"));
  });

  it("replica: verify-full TLS with a client certificate, password only through the passfile, no sync standby of its own", () => {
    const c = renderPostgresqlConf(
      postgresConfInput({
        ...base,
        role: "replica",
        site: "tacc",
        peerSite: "iu",
        primaryAddress: "198.51.100.11",
      }),
    );
    const ci = setting(c, "primary_conninfo")!;
    assert.match(ci, /host=198\.51\.100\.11 /);
    assert.match(ci, /sslmode=verify-full /);
    assert.match(ci, /sslcert=\/etc\/postgresql\/15\/main\/tls\/replication\.crt /);
    assert.match(ci, /application_name=tacc_db /);
    assert.match(ci, /passfile=\/var\/lib\/postgresql\/\.pgpass /);
    assert.doesNotMatch(ci, /password=/);
    assert.equal(setting(c, "primary_slot_name"), "'tacc_db'");
    // once promoted it has no standby: naming one would block every commit
    assert.equal(setting(c, "synchronous_standby_names"), "''");
  });

  it("local commit level: the primary does not wait for the standby", () => {
    const c = renderPostgresqlConf(postgresConfInput({ ...base, synchronousCommit: "local" }));
    assert.equal(setting(c, "synchronous_standby_names"), "''");
  });

  it("refuses bad input naming the key", () => {
    const i = postgresConfInput(base);
    assert.throws(() => renderPostgresqlConf({ ...i, port: 0 }), /postgresql.conf: port must be 1-65535/);
    assert.throws(() => renderPostgresqlConf({ ...i, listenAddresses: [] }), /listenAddresses/);
    assert.throws(
      () =>
        renderPostgresqlConf({
          ...i,
          role: "replica",
          replication: { ...i.replication, primary: undefined },
        }),
      /replication.primary is required/,
    );
  });
});

describe("pg_hba.conf", () => {
  it("replication only from the peer's /32, over TLS with a client certificate; everything else rejected", () => {
    const h = renderPgHba(pgHbaInput(base));
    const rules = h.split("\n").filter((l) => l && !l.startsWith("#"));
    const repl = rules.filter((l) => /\breplication\b/.test(l) && !/reject/.test(l));
    assert.deepEqual(repl, [
      "hostssl  replication  replicator     198.51.100.139/32    scram-sha-256 clientcert=verify-full",
    ]);
    assert.ok(
      rules.every((l) => !/^host\s/.test(l) || /reject$/.test(l)),
      "plain host lines only reject",
    );
    assert.ok(rules.filter((l) => l.startsWith("hostssl")).every((l) => !l.includes("0.0.0.0/0")));
    assert.match(h, /^host +all +all +0\.0\.0\.0\/0 +reject$/m);
  });

  it("without a peer: no replication line, a comment saying why", () => {
    const h = renderPgHba(pgHbaInput({ ...base, peerAddress: undefined }));
    assert.doesNotMatch(h, /hostssl +replication/);
    assert.match(h, /no peer yet/);
  });

  it("refuses a peer that is a network, not an address", () => {
    assert.throws(
      () => renderPgHba({ ...pgHbaInput(base), peerCidrs: ["198.51.100.0/24"] }),
      /peerCidrs\[0\] = 198\.51\.100\.0\/24: must be a single address/,
    );
    assert.throws(
      () => renderPgHba({ ...pgHbaInput(base), app: { ...pgHbaInput(base).app, user: "App" } }),
      /app.user = App/,
    );
  });
});

describe("bootstrap.sql", () => {
  it("creates the roles idempotently with passwords from psql variables and the controller without superuser", () => {
    const s = renderBootstrapSql({
      replicationUser: "replicator",
      controllerUser: "jsp_failover",
      app: { database: "app", user: "app" },
      slotName: "tacc_db",
    });
    assert.match(s, /^SET synchronous_commit = local;$/m);
    assert.match(s, /PASSWORD :'repl_password'/);
    assert.match(s, /GRANT EXECUTE ON FUNCTION pg_promote\(boolean, integer\) TO jsp_failover;/);
    assert.match(s, /NOSUPERUSER/);
    assert.match(s, /pg_create_physical_replication_slot\('tacc_db'\) WHERE NOT EXISTS/);
  });
});

describe("scripts and units", () => {
  it("the backup refuses without an endpoint and skips on a standby", () => {
    const s = renderBackupScript({
      site: "iu",
      targetSite: "tacc",
      bucket: "jsp-iu-db-backups",
      databases: ["app"],
      retentionDays: 14,
      s3cfg: "/etc/x",
    });
    assert.match(s, /^ENDPOINT=''$/m);
    assert.match(s, /no object store endpoint for tacc configured/);
    assert.match(s, /pg_is_in_recovery/);
    assert.throws(
      () =>
        renderBackupScript({
          site: "iu",
          targetSite: "tacc",
          bucket: "Bad_Bucket",
          databases: ["app"],
          retentionDays: 14,
          s3cfg: "/x",
        }),
      /bucket Bad_Bucket/,
    );
  });

  it("the timer is persistent and the service runs as postgres", () => {
    const u = renderBackupUnits({
      onCalendar: "*-*-* 03:15:00 UTC",
      script: "/usr/local/sbin/jsp-db-backup",
      s3cfg: "/etc/x",
    });
    assert.match(u.timer, /^OnCalendar=\*-\*-\* 03:15:00 UTC$/m);
    assert.match(u.timer, /^Persistent=true$/m);
    assert.match(u.service, /^User=postgres$/m);
    assert.throws(
      () => renderBackupUnits({ onCalendar: "daily; rm -rf /", script: "/x", s3cfg: "/x" }),
      /onCalendar/,
    );
  });

  it("the replica's setup waits for the primary and takes a base backup through the slot", () => {
    const s = renderSetupScript({
      role: "replica",
      stagingDir: "/s",
      confDirectory: "/c",
      dataDirectory: "/d",
      primary: { host: "198.51.100.11", port: 5432, slot: "tacc_db" },
      secretsDir: "/k",
      tlsDir: "/t",
      basebackupWaitSeconds: 60,
    });
    assert.match(s, /pg_basebackup" -d "\$conn" -D "\$DATA_DIR\.partial" -X stream -S "\$SLOT"/);
    assert.match(s, /standby\.signal/);
    assert.throws(
      () =>
        renderSetupScript({
          role: "replica",
          stagingDir: "/s",
          confDirectory: "/c",
          dataDirectory: "/d",
          secretsDir: "/k",
          tlsDir: "/t",
          basebackupWaitSeconds: 60,
        }),
      /primary is required/,
    );
  });
});

describe("database cloud-init", () => {
  const input = (role: "primary" | "replica") => ({
    hostname: "iu-db",
    role,
    volumeDevice: "/dev/disk/by-id/virtio-0123456789abcdef0123",
    postgresqlConf: "x\n",
    pgHba: "y\n",
    pgIdent: "z\n",
    bootstrapSql: role === "primary" ? "SELECT 1;\n" : undefined,
    setupScript: "#!/bin/bash\n",
    tls: { serverCert: "C", serverKey: "K", caBundle: "B", peerCa: "P", clientCert: "CC", clientKey: "CK" },
    secrets: role === "primary" ? { replication: "r", controller: "c", app: "a" } : { replication: "r" },
    backup: { script: "#!/bin/bash\n", service: "s", timer: "t", enabled: false },
  });

  it("installs PostgreSQL 15 from PGDG with the key embedded, no default cluster, PGDATA on the volume", () => {
    const doc = parse(renderDbCloudInit(input("primary")));
    assert.ok(doc.packages.includes("postgresql-15"));
    assert.match(doc.apt.sources.pgdg.key, /BEGIN PGP PUBLIC KEY BLOCK/);
    assert.match(doc.apt.sources.pgdg.source, /apt\.postgresql\.org\/pub\/repos\/apt \$RELEASE-pgdg main/);
    const cc = doc.write_files.find(
      (f: { path: string }) => f.path === "/etc/postgresql-common/createcluster.conf",
    );
    assert.match(cc.content, /create_main_cluster = false/);
    assert.deepEqual(doc.mounts[0].slice(0, 3), [
      "/dev/disk/by-id/virtio-0123456789abcdef0123",
      "/var/lib/postgresql",
      "ext4",
    ]);
    assert.equal(doc.fs_setup[0].overwrite, false, "never reformat an existing volume");
    for (const f of doc.write_files as Array<{ path: string; permissions: string }>) {
      if (/\.key$|\/secrets\//.test(f.path)) assert.equal(f.permissions, "0600", f.path);
    }
  });

  it("refuses a primary without its bootstrap and a bad volume device", () => {
    assert.throws(
      () => renderDbCloudInit({ ...input("primary"), bootstrapSql: undefined }),
      /primary needs bootstrapSql/,
    );
    assert.throws(() => renderDbCloudInit({ ...input("replica"), volumeDevice: "/dev/vdb" }), /volumeDevice/);
  });
});

describe("controller cloud-init part", () => {
  const part = renderControllerCloudPart({
    localSite: "tacc",
    primary: { site: "iu", host: "198.51.100.11", port: 5432, caCert: "IUCA" },
    replica: { site: "tacc", host: "10.30.0.11", port: 5432, caCert: "TACCCA" },
    controllerPassword: "pw-123",
    haproxy: { socket: "/run/haproxy/admin.sock", backends: ["be_live"], primaryServerPattern: "^iu-" },
    policy: { windowSeconds: 30, minSamples: 10, maxTransitions: 4, flapLookbackSeconds: 300 },
    intervalSeconds: 2,
    probePrimary: false,
    appService: { namespace: "state", name: "postgres" },
    bundle: "console.log('controller')\n".repeat(2000),
  });

  it("ships the bundle gzip+base64, its config (valid for the controller) and a systemd unit", () => {
    const bundle = part.files.find((f) => f.path.endsWith("controller.js"))!;
    assert.equal(bundle.encoding, "gz+b64");
    assert.equal(
      gunzipSync(Buffer.from(bundle.content, "base64")).toString(),
      "console.log('controller')\n".repeat(2000),
    );
    const cfg = parseControllerConfig(part.files.find((f) => f.path.endsWith("controller.json"))!.content);
    assert.equal(cfg.replica.host, "10.30.0.11");
    assert.equal(cfg.pointer.kind, "command");
    const pass = part.files.find((f) => f.path.endsWith("controller.pgpass"))!;
    assert.equal(pass.permissions, "0600");
    assert.ok(part.runcmd.some((c) => c.join(" ") === "systemctl enable --now jsp-failover.service"));
    assert.deepEqual(part.packages, ["nodejs", "postgresql-client"]);
  });

  it("the pointer script names the Service it repoints and refuses bad names", () => {
    assert.match(renderPointerScript({ namespace: "state", name: "postgres" }), /^SERVICE=postgres$/m);
    assert.throws(() => renderPointerScript({ namespace: "State", name: "postgres" }), /DNS labels/);
  });
});
