// Shell scripts installed on the database VMs: first-boot setup (initdb or base backup) and
// the nightly backup to the other site's object store. Each is rendered from a plain object;
// tests run shellcheck on the output.
import { PG_MAJOR } from "./profile";

export interface SetupScriptInput {
  role: "primary" | "replica";
  /** where the rendered configs were staged by write_files */
  stagingDir: string;
  confDirectory: string;
  dataDirectory: string;
  /** replica: base backup source */
  primary?: { host: string; port: number; slot: string };
  /** files holding passwords (root-only, copied for postgres) */
  secretsDir: string;
  tlsDir: string;
  /** give up waiting for the primary after this many seconds */
  basebackupWaitSeconds: number;
}

function shq(v: string): string {
  if (/^[A-Za-z0-9_./:=@-]+$/.test(v)) return v;
  return `'${v.replace(/'/g, `'"'"'`)}'`;
}

export function renderSetupScript(i: SetupScriptInput): string {
  if (i.role === "replica" && !i.primary) throw new Error("setup script: primary is required for a replica");
  const lines = [
    "#!/bin/bash",
    `# jsp-db-setup (${i.role}) rendered by jetstream-paas: first-boot setup of PostgreSQL ${PG_MAJOR}.`,
    "# Idempotent: a data directory that exists (the volume survived a VM replacement) is kept.",
    "set -euo pipefail",
    "",
    `ROLE=${i.role}`,
    `STAGING=${shq(i.stagingDir)}`,
    `CONF_DIR=${shq(i.confDirectory)}`,
    `DATA_DIR=${shq(i.dataDirectory)}`,
    `SECRETS=${shq(i.secretsDir)}`,
    `TLS_DIR=${shq(i.tlsDir)}`,
    `PG_BIN=/usr/lib/postgresql/${PG_MAJOR}/bin`,
    `PRIMARY_HOST=${shq(i.primary?.host ?? "")}`,
    `PRIMARY_PORT=${i.primary?.port ?? 5432}`,
    `SLOT=${shq(i.primary?.slot ?? "")}`,
    `WAIT_SECONDS=${i.basebackupWaitSeconds}`,
    "",
    'log() { echo "jsp-db-setup: $*"; logger -t jsp-db-setup -- "$*" || true; }',
    "",
    "# configs and keys, owned by postgres",
    'install -d -o postgres -g postgres -m 0700 "$(dirname "$DATA_DIR")" /var/lib/postgresql',
    'install -d -o postgres -g postgres -m 0755 "$CONF_DIR"',
    'install -d -o postgres -g postgres -m 0700 "$TLS_DIR"',
    "for f in postgresql.conf pg_hba.conf pg_ident.conf; do",
    '  install -o postgres -g postgres -m 0640 "$STAGING/$f" "$CONF_DIR/$f"',
    "done",
    'for f in "$STAGING"/tls/*; do',
    "  mode=0644",
    '  case "$f" in *.key) mode=0600 ;; esac',
    '  install -o postgres -g postgres -m "$mode" "$f" "$TLS_DIR/$(basename "$f")"',
    "done",
    "umask 077",
    'printf \'*:*:*:replicator:%s\\n\' "$(cat "$SECRETS/replication")" >/var/lib/postgresql/.pgpass',
    "chown postgres:postgres /var/lib/postgresql/.pgpass",
    "",
    'if [ -f "$DATA_DIR/PG_VERSION" ]; then',
    '  log "data directory $DATA_DIR exists; keeping it"',
    'elif [ "$ROLE" = primary ]; then',
    '  log "initdb $DATA_DIR"',
    '  runuser -u postgres -- "$PG_BIN/initdb" -D "$DATA_DIR" -U postgres --auth-local=peer --auth-host=reject \\',
    "    --data-checksums -E UTF8 --locale=C.UTF-8",
    "else",
    '  log "base backup from $PRIMARY_HOST:$PRIMARY_PORT (slot $SLOT), waiting up to $WAIT_SECONDS s for the primary"',
    "  deadline=$(( $(date +%s) + WAIT_SECONDS ))",
    '  conn="host=$PRIMARY_HOST port=$PRIMARY_PORT user=replicator passfile=/var/lib/postgresql/.pgpass sslmode=verify-full sslrootcert=$TLS_DIR/peer-ca.crt sslcert=$TLS_DIR/replication.crt sslkey=$TLS_DIR/replication.key"',
    '  until runuser -u postgres -- "$PG_BIN/pg_basebackup" -d "$conn" -D "$DATA_DIR.partial" -X stream -S "$SLOT" -c fast; do',
    '    rm -rf "$DATA_DIR.partial"',
    '    if [ "$(date +%s)" -ge "$deadline" ]; then',
    '      log "primary not reachable in time; run: systemctl start jsp-db-setup (see docs/failover.md)"',
    "      exit 1",
    "    fi",
    "    sleep 20",
    "  done",
    '  mv "$DATA_DIR.partial" "$DATA_DIR"',
    '  runuser -u postgres -- touch "$DATA_DIR/standby.signal"',
    "fi",
    "",
    `systemctl enable --now postgresql@${PG_MAJOR}-main`,
    `until runuser -u postgres -- psql -X -q -c 'SELECT 1' >/dev/null 2>&1; do sleep 1; done`,
    'if [ "$ROLE" = primary ]; then',
    '  install -o postgres -g postgres -m 0600 "$SECRETS"/replication "$SECRETS"/controller "$SECRETS"/app /var/lib/postgresql/',
    "  # passwords reach psql through \\set with backquotes, never through argv (visible in ps)",
    "  # shellcheck disable=SC2016",
    "  runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 \\",
    "    -c '\\set repl_password `cat /var/lib/postgresql/replication`' \\",
    "    -c '\\set controller_password `cat /var/lib/postgresql/controller`' \\",
    "    -c '\\set app_password `cat /var/lib/postgresql/app`' \\",
    '    -f "$STAGING/bootstrap.sql"',
    "  rm -f /var/lib/postgresql/replication /var/lib/postgresql/controller /var/lib/postgresql/app",
    "fi",
    'log "done ($ROLE)"',
    "",
  ];
  return lines.join("\n");
}

export interface BackupScriptInput {
  site: string;
  /** the other site: where the backups go */
  targetSite: string;
  /** S3 endpoint of the other site's object store; undefined: not known, the script refuses */
  endpoint?: string;
  bucket: string;
  databases: string[];
  retentionDays: number;
  s3cfg: string;
}

export function renderBackupScript(i: BackupScriptInput): string {
  for (const d of i.databases) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(d))
      throw new Error(`backup script: databases entry ${d} must be a lowercase SQL identifier`);
  }
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(i.bucket))
    throw new Error(`backup script: bucket ${i.bucket} must be an S3 bucket name`);
  if (!(Number.isInteger(i.retentionDays) && i.retentionDays >= 1))
    throw new Error("backup script: retentionDays must be an integer >= 1");
  return [
    "#!/bin/bash",
    `# jsp-db-backup rendered by jetstream-paas: nightly backup of the ${i.site} database to the`,
    `# ${i.targetSite} object store. Runs on both database hosts; only the current primary backs up`,
    "# (a standby skips), so backups follow a failover without a config change.",
    "set -euo pipefail",
    "",
    `SITE=${shq(i.site)}`,
    `ENDPOINT=${shq(i.endpoint ?? "")}`,
    `BUCKET=${shq(i.bucket)}`,
    `DATABASES=(${i.databases.map(shq).join(" ")})`,
    `RETENTION_DAYS=${i.retentionDays}`,
    `S3CFG=${shq(i.s3cfg)}`,
    "",
    'log() { echo "jsp-db-backup: $*"; }',
    'if [ -z "$ENDPOINT" ]; then',
    `  log "no object store endpoint for ${i.targetSite} configured (state.backup.endpoints.${i.targetSite}); refusing"`,
    "  exit 1",
    "fi",
    "if [ \"$(psql -X -A -t -c 'SELECT pg_is_in_recovery()')\" = t ]; then",
    '  log "standby: the primary backs up; nothing to do"',
    "  exit 0",
    "fi",
    "",
    "stamp=$(date -u +%Y%m%dT%H%M%SZ)",
    "work=$(mktemp -d /var/lib/postgresql/backup.XXXXXX)",
    "trap 'rm -rf \"$work\"' EXIT",
    'host="${ENDPOINT#https://}"',
    's3() { s3cmd --config="$S3CFG" --host="$host" --host-bucket="$host" --ssl "$@"; }',
    "",
    'pg_dumpall --globals-only --no-role-passwords >"$work/globals.sql"',
    'for db in "${DATABASES[@]}"; do',
    '  pg_dump -Fc -d "$db" -f "$work/$db.dump"',
    '  pg_restore --list "$work/$db.dump" >/dev/null',
    "done",
    '( cd "$work" && sha256sum ./*.dump globals.sql >SHA256SUMS )',
    'for f in "$work"/*; do',
    '  s3 put --no-progress "$f" "s3://$BUCKET/$SITE/$stamp/$(basename "$f")"',
    "done",
    'log "uploaded s3://$BUCKET/$SITE/$stamp"',
    "",
    "# retention: drop backup folders older than RETENTION_DAYS",
    'cutoff=$(date -u -d "-$RETENTION_DAYS days" +%Y%m%dT%H%M%SZ)',
    "s3 ls \"s3://$BUCKET/$SITE/\" | awk '{print $NF}' | while read -r prefix; do",
    '  name=$(basename "$prefix")',
    '  if [[ "$name" < "$cutoff" ]]; then',
    '    s3 del --recursive "$prefix"',
    '    log "expired $prefix"',
    "  fi",
    "done",
    "",
  ].join("\n");
}

export function renderBackupUnits(input: { onCalendar: string; script: string; s3cfg: string }): {
  service: string;
  timer: string;
} {
  if (!/^[0-9A-Za-z*:\-, ./~]+$/.test(input.onCalendar))
    throw new Error(`backup units: onCalendar ${input.onCalendar} is not a systemd calendar expression`);
  return {
    service: [
      "[Unit]",
      "Description=jetstream-paas: nightly PostgreSQL backup to the other site's object store",
      `After=postgresql@${PG_MAJOR}-main.service network-online.target`,
      "Wants=network-online.target",
      `ConditionPathExists=${input.s3cfg}`,
      "",
      "[Service]",
      "Type=oneshot",
      "User=postgres",
      `ExecStart=${input.script}`,
      "Nice=10",
      "IOSchedulingClass=idle",
      "",
    ].join("\n"),
    timer: [
      "[Unit]",
      "Description=jetstream-paas: nightly PostgreSQL backup",
      "",
      "[Timer]",
      `OnCalendar=${input.onCalendar}`,
      "RandomizedDelaySec=15m",
      "Persistent=true",
      "",
      "[Install]",
      "WantedBy=timers.target",
      "",
    ].join("\n"),
  };
}
