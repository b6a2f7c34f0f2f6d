// postgresql.conf of the cross-site pair. The same renderer serves both roles: the replica's
// file differs only in what a standby needs (primary_conninfo, primary_slot_name) and in having
// no synchronous standby, so that after `pg_promote()` it is a correct primary as it stands.
// The drill starts real PostgreSQL 15 servers from this text, with only addresses, ports and
// paths substituted.

export type PostgresRole = "primary" | "replica";
/** `synchronous_commit` levels this project supports; see docs/failover.md for the trade-off. */
export type SyncLevel = "on" | "remote_write" | "remote_apply" | "local" | "off";

export interface PostgresConfInput {
  role: PostgresRole;
  /** `cluster_name`, shown in ps and logs */
  clusterName: string;
  listenAddresses: string[];
  port: number;
  /** PGDATA */
  dataDirectory: string;
  hbaFile: string;
  /** pg_ident.conf (empty: no user name maps) */
  identFile: string;
  /** Unix socket folder */
  socketDirectory: string;
  ssl: { certFile: string; keyFile: string; caFile: string };
  maxConnections: number;
  sharedBuffersMb: number;
  /** WAL a primary keeps for a standby beyond what the slot holds (MB); bounds disk use with max_slot_wal_keep_size */
  walKeepSizeMb: number;
  /** cap on WAL a stalled slot may hold (MB); past it the standby must be rebuilt, the primary's disk survives */
  maxSlotWalKeepSizeMb: number;
  /**
   * Replication: the standby's `application_name` (also the name the primary waits for),
   * the physical slot, and the commit level.
   */
  replication: {
    standbyName: string;
    slotName: string;
    synchronousCommit: SyncLevel;
    /** replica only: how to reach the primary (password read from passfile, never inline) */
    primary?: {
      host: string;
      port: number;
      user: string;
      passfile: string;
      sslrootcert: string;
      sslcert: string;
      sslkey: string;
    };
  };
  /** log folder relative to PGDATA or absolute */
  logDirectory: string;
}

const SYNC_LEVELS: readonly SyncLevel[] = ["on", "remote_write", "remote_apply", "local", "off"];

function q(v: string): string {
  return `'${v.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
}

/** A libpq connection string value, quoted when it needs to be. */
function connValue(v: string): string {
  return /^[A-Za-z0-9_./:-]+$/.test(v) ? v : `'${v.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

function need(cond: boolean, key: string, rule: string): void {
  if (!cond) throw new Error(`postgresql.conf: ${key} ${rule}`);
}

export function renderPostgresqlConf(input: PostgresConfInput): string {
  need(input.role === "primary" || input.role === "replica", "role", "must be primary or replica");
  need(input.listenAddresses.length > 0, "listenAddresses", "must list at least one address");
  need(Number.isInteger(input.port) && input.port > 0 && input.port < 65536, "port", "must be 1-65535");
  need(input.dataDirectory.startsWith("/"), "dataDirectory", "must be an absolute path");
  need(input.maxConnections >= 10, "maxConnections", "must be at least 10");
  need(input.sharedBuffersMb >= 16, "sharedBuffersMb", "must be at least 16");
  need(
    /^[a-z_][a-z0-9_]{0,62}$/.test(input.replication.slotName),
    "replication.slotName",
    "must be a lowercase SQL identifier",
  );
  need(
    /^[a-z_][a-z0-9_]{0,62}$/.test(input.replication.standbyName),
    "replication.standbyName",
    "must be a lowercase SQL identifier",
  );
  need(
    SYNC_LEVELS.includes(input.replication.synchronousCommit),
    "replication.synchronousCommit",
    `must be one of ${SYNC_LEVELS.join(", ")}`,
  );
  need(
    input.role === "primary" || input.replication.primary !== undefined,
    "replication.primary",
    "is required for a replica",
  );
  const sync = input.replication.synchronousCommit;
  const waitsForStandby = input.role === "primary" && sync !== "local" && sync !== "off";

  const lines: string[] = [
    `# postgresql.conf (${input.role}) rendered by jetstream-paas; do not edit on the host.`,
    "",
    "# --- files and connections",
    `data_directory = ${q(input.dataDirectory)}`,
    `hba_file = ${q(input.hbaFile)}`,
    `ident_file = ${q(input.identFile)}`,
    `cluster_name = ${q(input.clusterName)}`,
    `listen_addresses = ${q([...input.listenAddresses].sort().join(","))}`,
    `port = ${input.port}`,
    `unix_socket_directories = ${q(input.socketDirectory)}`,
    `max_connections = ${input.maxConnections}`,
    `shared_buffers = ${input.sharedBuffersMb}MB`,
    "password_encryption = scram-sha-256",
    "",
    "# --- TLS: replication crosses sites over public addresses",
    "ssl = on",
    `ssl_cert_file = ${q(input.ssl.certFile)}`,
    `ssl_key_file = ${q(input.ssl.keyFile)}`,
    `ssl_ca_file = ${q(input.ssl.caFile)}`,
    "ssl_min_protocol_version = 'TLSv1.2'",
    "",
    "# --- WAL and replication",
    "wal_level = replica",
    "max_wal_senders = 5",
    "max_replication_slots = 5",
    `wal_keep_size = ${input.walKeepSizeMb}MB`,
    `max_slot_wal_keep_size = ${input.maxSlotWalKeepSizeMb}MB`,
    "wal_log_hints = on",
    "wal_compression = on",
    "wal_sender_timeout = 10s",
    "hot_standby = on",
    "hot_standby_feedback = on",
    "wal_receiver_timeout = 10s",
    "wal_retrieve_retry_interval = 1s",
    `synchronous_commit = ${sync}`,
    // A promoted replica has no standby: naming one would make every commit wait forever.
    `synchronous_standby_names = ${q(waitsForStandby ? `FIRST 1 (${input.replication.standbyName})` : "")}`,
  ];
  const p = input.replication.primary;
  if (input.role === "replica" && p) {
    const conninfo = [
      ["application_name", input.replication.standbyName],
      ["connect_timeout", "5"],
      ["host", p.host],
      ["keepalives_idle", "5"],
      ["passfile", p.passfile],
      ["port", String(p.port)],
      ["sslcert", p.sslcert],
      ["sslkey", p.sslkey],
      ["sslmode", "verify-full"],
      ["sslrootcert", p.sslrootcert],
      ["user", p.user],
    ]
      .map(([k, v]) => `${k}=${connValue(v)}`)
      .join(" ");
    lines.push(`primary_conninfo = ${q(conninfo)}`, `primary_slot_name = ${q(input.replication.slotName)}`);
  } else {
    lines.push("# primary_conninfo: set on the replica only (standby.signal marks it a standby)");
  }
  lines.push(
    "",
    "# --- logging",
    "logging_collector = off",
    `log_directory = ${q(input.logDirectory)}`,
    "log_line_prefix = '%m [%p] %q%u@%d '",
    "log_connections = on",
    "log_disconnections = on",
    "log_replication_commands = on",
    "log_checkpoints = on",
    "",
  );
  return lines.join("\n");
}
