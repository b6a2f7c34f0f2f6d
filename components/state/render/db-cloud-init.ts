// cloud-config of a database VM (primary or replica). PostgreSQL 15 comes from the PostgreSQL
// project's apt repository (Ubuntu 24.04 ships 16 only) with its key embedded; PGDATA lives
// on a Cinder volume so that replacing the VM keeps the data; the configs are staged by
// write_files and installed by jsp-db-setup, which also initialises or base-backs-up once.
import { CloudFile, renderCloudConfig, sshdHardening } from "../../../src/cloud-init";
import { PGDG_APT_KEY } from "./pgdg-key";
import { PG_MAJOR } from "./profile";

export interface DbCloudInitInput {
  hostname: string;
  role: "primary" | "replica";
  /** /dev/disk/by-id/virtio-<first 20 chars of the volume id> */
  volumeDevice: string;
  postgresqlConf: string;
  pgHba: string;
  pgIdent: string;
  bootstrapSql?: string;
  setupScript: string;
  /** PEM texts; keys are secrets (the component passes "[secret]" for the artifact copy) */
  tls: {
    serverCert: string;
    serverKey: string;
    caBundle: string;
    peerCa: string;
    clientCert: string;
    clientKey: string;
  };
  /** password files' contents; primary: all three, replica: replication only */
  secrets: { replication: string; controller?: string; app?: string };
  backup: { script: string; service: string; timer: string; s3cfg?: string; enabled: boolean };
}

export const DB_PATHS = {
  staging: "/etc/jetstream-paas/postgres",
  secrets: "/etc/jetstream-paas/postgres/secrets",
  setup: "/usr/local/sbin/jsp-db-setup",
  backupScript: "/usr/local/sbin/jsp-db-backup",
  s3cfg: "/etc/jetstream-paas/backup/s3cfg",
  mount: "/var/lib/postgresql",
} as const;

export function renderDbCloudInit(i: DbCloudInitInput): string {
  if (!/^\/dev\/disk\/by-id\/virtio-[A-Za-z0-9-]{1,20}$/.test(i.volumeDevice)) {
    throw new Error(
      `db cloud-init: volumeDevice ${i.volumeDevice} must be /dev/disk/by-id/virtio-<volume id prefix>`,
    );
  }
  if (i.role === "primary" && (!i.bootstrapSql || !i.secrets.controller || !i.secrets.app)) {
    throw new Error("db cloud-init: a primary needs bootstrapSql and the controller and app passwords");
  }
  const root = (path: string, content: string, permissions = "0644"): CloudFile => ({
    path,
    content,
    owner: "root:root",
    permissions,
  });
  const s = DB_PATHS.staging;
  const files: CloudFile[] = [
    sshdHardening(false),
    // before the package is installed: no default "main" cluster; jsp-db-setup creates ours
    root(
      "/etc/postgresql-common/createcluster.conf",
      "# jetstream-paas: jsp-db-setup creates the cluster\ncreate_main_cluster = false\n",
    ),
    root(`${s}/postgresql.conf`, i.postgresqlConf),
    root(`${s}/pg_hba.conf`, i.pgHba),
    root(`${s}/pg_ident.conf`, i.pgIdent),
    root(`${s}/tls/server.crt`, i.tls.serverCert),
    root(`${s}/tls/server.key`, i.tls.serverKey, "0600"),
    root(`${s}/tls/ca-bundle.crt`, i.tls.caBundle),
    root(`${s}/tls/peer-ca.crt`, i.tls.peerCa),
    root(`${s}/tls/replication.crt`, i.tls.clientCert),
    root(`${s}/tls/replication.key`, i.tls.clientKey, "0600"),
    root(`${DB_PATHS.secrets}/replication`, i.secrets.replication, "0600"),
    root(DB_PATHS.setup, i.setupScript, "0755"),
    root(DB_PATHS.backupScript, i.backup.script, "0755"),
    root("/etc/systemd/system/jsp-db-backup.service", i.backup.service),
    root("/etc/systemd/system/jsp-db-backup.timer", i.backup.timer),
  ];
  if (i.bootstrapSql) files.push(root(`${s}/bootstrap.sql`, i.bootstrapSql));
  if (i.secrets.controller) files.push(root(`${DB_PATHS.secrets}/controller`, i.secrets.controller, "0600"));
  if (i.secrets.app) files.push(root(`${DB_PATHS.secrets}/app`, i.secrets.app, "0600"));
  if (i.backup.s3cfg) {
    // read by the postgres user that runs the backup: owner set after the package made the user
    files.push({
      path: DB_PATHS.s3cfg,
      content: i.backup.s3cfg,
      owner: "postgres:postgres",
      permissions: "0600",
      defer: true,
    });
  }
  files.sort((a, b) => a.path.localeCompare(b.path));
  const runcmd: Array<string[]> = [
    ["systemctl", "restart", "ssh"],
    [DB_PATHS.setup],
    ["systemctl", "daemon-reload"],
  ];
  if (i.backup.enabled) runcmd.push(["systemctl", "enable", "--now", "jsp-db-backup.timer"]);
  return renderCloudConfig({
    hostname: i.hostname,
    manage_etc_hosts: true,
    ssh_pwauth: false,
    disable_root: true,
    // Wait for the Cinder volume before disk_setup/mounts run (attachment may trail boot).
    bootcmd: [
      [
        "sh",
        "-c",
        `for i in $(seq 1 150); do [ -e ${i.volumeDevice} ] && exit 0; sleep 2; done; echo "volume ${i.volumeDevice} missing" >&2; exit 1`,
      ],
    ],
    fs_setup: [
      { label: "pgdata", filesystem: "ext4", device: i.volumeDevice, partition: "none", overwrite: false },
    ],
    mounts: [
      [
        i.volumeDevice,
        DB_PATHS.mount,
        "ext4",
        "defaults,noatime,nofail,x-systemd.device-timeout=300",
        "0",
        "2",
      ],
    ],
    apt: {
      sources: {
        pgdg: {
          source: "deb [signed-by=$KEY_FILE] https://apt.postgresql.org/pub/repos/apt $RELEASE-pgdg main",
          key: PGDG_APT_KEY,
        },
      },
    },
    package_update: true,
    packages: [`postgresql-${PG_MAJOR}`, `postgresql-client-${PG_MAJOR}`, "s3cmd", "ssl-cert"],
    write_files: files,
    runcmd,
  });
}
