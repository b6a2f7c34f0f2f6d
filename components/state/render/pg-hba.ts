// pg_hba.conf of the cross-site pair: the local superuser through the socket, replication only
// from the peer database host's public address over TLS with a client certificate, the
// failover controller and the applications only from their own networks over TLS. Anything
// else is refused by the final reject lines (PostgreSQL would refuse it anyway, the lines make
// the intent readable and show up in the log as "rejected by pg_hba").
import { parseCidr } from "../../../src/cidr";

export interface PgHbaInput {
  /** the OS user that owns the cluster, allowed over the Unix socket by peer auth */
  superuser: string;
  replicationUser: string;
  /** public address(es) of the peer database host, as /32 CIDRs; empty until the peer exists */
  peerCidrs: string[];
  /** the failover controller's role and the networks it connects from (edge hosts) */
  controller: { user: string; cidrs: string[] };
  /** the applications' database, role and source networks (the site's cluster subnet) */
  app: { database: string; user: string; cidrs: string[] };
}

function cidr(v: string, key: string): string {
  if (!parseCidr(v)) throw new Error(`pg_hba.conf: ${key} = ${v}: must be an IPv4 CIDR a.b.c.d/n`);
  return v;
}

function ident(v: string, key: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(v))
    throw new Error(`pg_hba.conf: ${key} = ${v}: must be a lowercase SQL identifier`);
  return v;
}

function row(cols: string[]): string {
  const widths = [8, 12, 14, 20];
  return cols
    .map((c, i) => (i < widths.length && i < cols.length - 1 ? c.padEnd(widths[i]) : c))
    .join(" ")
    .trimEnd();
}

export function renderPgHba(input: PgHbaInput): string {
  const su = ident(input.superuser, "superuser");
  const repl = ident(input.replicationUser, "replicationUser");
  const ctl = ident(input.controller.user, "controller.user");
  const appUser = ident(input.app.user, "app.user");
  const appDb = ident(input.app.database, "app.database");
  const peers = [...new Set(input.peerCidrs.map((c, i) => cidr(c, `peerCidrs[${i}]`)))].sort();
  for (const [i, p] of peers.entries()) {
    if (!p.endsWith("/32"))
      throw new Error(`pg_hba.conf: peerCidrs[${i}] = ${p}: must be a single address (/32)`);
  }
  const ctlCidrs = [
    ...new Set(input.controller.cidrs.map((c, i) => cidr(c, `controller.cidrs[${i}]`))),
  ].sort();
  const appCidrs = [...new Set(input.app.cidrs.map((c, i) => cidr(c, `app.cidrs[${i}]`)))].sort();

  const lines = [
    "# pg_hba.conf rendered by jetstream-paas; do not edit on the host.",
    "# TYPE   DATABASE     USER           ADDRESS              METHOD",
    row(["local", "all", su, "peer"]),
  ];
  if (peers.length === 0) {
    lines.push("# no peer yet: replication opens once the peer site stack has outputs (pulumi up again)");
  }
  for (const p of peers) {
    lines.push(row(["hostssl", "replication", repl, p, "scram-sha-256 clientcert=verify-full"]));
  }
  for (const c of ctlCidrs) {
    lines.push(row(["hostssl", "postgres", ctl, c, "scram-sha-256"]));
  }
  for (const c of appCidrs) {
    lines.push(row(["hostssl", appDb, appUser, c, "scram-sha-256"]));
  }
  lines.push(
    row(["host", "all", "all", "0.0.0.0/0", "reject"]),
    row(["host", "replication", "all", "0.0.0.0/0", "reject"]),
    "",
  );
  return lines.join("\n");
}
