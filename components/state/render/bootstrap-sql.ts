// SQL run once on the primary (cloud-init, and the drill): roles, the application database,
// the physical replication slot. Idempotent. Passwords are psql variables (`psql -v
// repl_password=...` read from root-only files), so this text holds no secret.

export interface BootstrapSqlInput {
  replicationUser: string;
  controllerUser: string;
  app: { database: string; user: string };
  slotName: string;
}

function ident(v: string, key: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(v))
    throw new Error(`bootstrap.sql: ${key} = ${v}: must be a lowercase SQL identifier`);
  return v;
}

export function renderBootstrapSql(input: BootstrapSqlInput): string {
  const repl = ident(input.replicationUser, "replicationUser");
  const ctl = ident(input.controllerUser, "controllerUser");
  const appUser = ident(input.app.user, "app.user");
  const appDb = ident(input.app.database, "app.database");
  const slot = ident(input.slotName, "slotName");
  const role = (name: string) =>
    `SELECT 'CREATE ROLE ${name}' WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${name}')\\gexec`;
  return [
    "-- bootstrap.sql rendered by jetstream-paas; run with psql -v ON_ERROR_STOP=1",
    "-- -v repl_password=... -v controller_password=... -v app_password=...",
    "-- The standby does not exist yet: waiting for it would hang every statement below.",
    "SET synchronous_commit = local;",
    role(repl),
    `ALTER ROLE ${repl} WITH LOGIN REPLICATION PASSWORD :'repl_password';`,
    "",
    "-- the failover controller: promote, fence (read-only + end sessions), observe; no superuser",
    role(ctl),
    `ALTER ROLE ${ctl} WITH LOGIN NOSUPERUSER PASSWORD :'controller_password';`,
    `GRANT EXECUTE ON FUNCTION pg_promote(boolean, integer) TO ${ctl};`,
    `GRANT EXECUTE ON FUNCTION pg_reload_conf() TO ${ctl};`,
    `GRANT ALTER SYSTEM ON PARAMETER default_transaction_read_only TO ${ctl};`,
    `GRANT pg_signal_backend, pg_monitor TO ${ctl};`,
    "",
    "-- the applications",
    role(appUser),
    `ALTER ROLE ${appUser} WITH LOGIN PASSWORD :'app_password';`,
    `SELECT 'CREATE DATABASE ${appDb} OWNER ${appUser}' WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '${appDb}')\\gexec`,
    "",
    "-- WAL for the standby is kept by the slot (bounded by max_slot_wal_keep_size)",
    `SELECT pg_create_physical_replication_slot('${slot}') WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = '${slot}');`,
    "",
  ].join("\n");
}
