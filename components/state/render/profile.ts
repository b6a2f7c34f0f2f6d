// The one place that turns "site X is primary, site Y replicates" into renderer inputs.
// The component renders with these values; the drill calls the same function and then
// substitutes only addresses, ports and paths (`withLocal`).
import type { PgHbaInput } from "./pg-hba";
import type { PostgresConfInput, PostgresRole, SyncLevel } from "./postgresql-conf";

export const PG_MAJOR = 15;

export interface PgPaths {
  dataDirectory: string;
  confDirectory: string;
  socketDirectory: string;
  /** the postgres OS user's home: passfile lives here */
  home: string;
}

/** Debian/Ubuntu layout of the `postgresql-15` package (main cluster). */
export const DEBIAN_PATHS: PgPaths = {
  dataDirectory: `/var/lib/postgresql/${PG_MAJOR}/main`,
  confDirectory: `/etc/postgresql/${PG_MAJOR}/main`,
  socketDirectory: "/var/run/postgresql",
  home: "/var/lib/postgresql",
};

export const ROLES = {
  superuser: "postgres",
  replication: "replicator",
  controller: "jsp_failover",
} as const;

export interface StateProfileInput {
  role: PostgresRole;
  /** this host's site and the peer's */
  site: string;
  peerSite: string;
  port: number;
  listenAddresses: string[];
  /** the primary's public address the replica connects to (replica only; undefined until known) */
  primaryAddress?: string;
  /** the peer's public address, for pg_hba; undefined until the peer stack has outputs */
  peerAddress?: string;
  controllerCidrs: string[];
  app: { database: string; user: string; cidrs: string[] };
  synchronousCommit: SyncLevel;
  sharedBuffersMb: number;
  maxConnections: number;
  walKeepSizeMb: number;
  maxSlotWalKeepSizeMb: number;
  paths?: PgPaths;
}

/** Name of a site's database as a standby: its application_name and its slot on the primary. */
export function standbyName(site: string): string {
  return `${site.replace(/-/g, "_")}_db`;
}

export function tlsPaths(confDirectory: string) {
  const d = `${confDirectory}/tls`;
  return {
    dir: d,
    serverCert: `${d}/server.crt`,
    serverKey: `${d}/server.key`,
    /** CAs whose client certificates the server accepts (own site + peer site) */
    clientCa: `${d}/ca-bundle.crt`,
    clientCert: `${d}/replication.crt`,
    clientKey: `${d}/replication.key`,
    /** CA that signed the peer's server certificate */
    peerCa: `${d}/peer-ca.crt`,
  };
}

export function postgresConfInput(p: StateProfileInput): PostgresConfInput {
  const paths = p.paths ?? DEBIAN_PATHS;
  const tls = tlsPaths(paths.confDirectory);
  // The standby is always the replica site's database; the primary waits for it by that name.
  const standby = standbyName(p.role === "primary" ? p.peerSite : p.site);
  return {
    role: p.role,
    clusterName: `${p.site}-db`,
    listenAddresses: p.listenAddresses,
    port: p.port,
    dataDirectory: paths.dataDirectory,
    hbaFile: `${paths.confDirectory}/pg_hba.conf`,
    identFile: `${paths.confDirectory}/pg_ident.conf`,
    socketDirectory: paths.socketDirectory,
    ssl: { certFile: tls.serverCert, keyFile: tls.serverKey, caFile: tls.clientCa },
    maxConnections: p.maxConnections,
    sharedBuffersMb: p.sharedBuffersMb,
    walKeepSizeMb: p.walKeepSizeMb,
    maxSlotWalKeepSizeMb: p.maxSlotWalKeepSizeMb,
    replication: {
      standbyName: standby,
      slotName: standby,
      synchronousCommit: p.synchronousCommit,
      primary:
        p.role === "replica"
          ? {
              host: p.primaryAddress ?? "primary-address-unknown.invalid",
              port: p.port,
              user: ROLES.replication,
              passfile: `${paths.home}/.pgpass`,
              sslrootcert: tls.peerCa,
              sslcert: tls.clientCert,
              sslkey: tls.clientKey,
            }
          : undefined,
    },
    logDirectory: "log",
  };
}

export function pgHbaInput(p: StateProfileInput): PgHbaInput {
  return {
    superuser: ROLES.superuser,
    replicationUser: ROLES.replication,
    peerCidrs: p.peerAddress ? [`${p.peerAddress}/32`] : [],
    controller: { user: ROLES.controller, cidrs: p.controllerCidrs },
    app: p.app,
  };
}

/** pg_ident.conf: no maps (peer auth maps OS user postgres to role postgres by name). */
export const PG_IDENT = "# pg_ident.conf rendered by jetstream-paas: no user name maps\n";
