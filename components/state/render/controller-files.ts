// What the edge hosts of the standby site need to run the failover controller: the bundled
// controller, its config, the CAs, the controller role's passfile, the systemd unit, the
// `jsp-failover` command and the app-pointer script. Pure: the bundle text is an input.
import { gzipSync } from "node:zlib";
import type { CloudFile } from "../../../src/cloud-init";
import type { ControllerConfig, Pointer } from "../controller/config";
import type { Policy } from "../controller/decide";

export const CONTROLLER_PATHS = {
  dir: "/opt/jetstream-paas/failover",
  bundle: "/opt/jetstream-paas/failover/controller.js",
  etc: "/etc/jetstream-paas/failover",
  config: "/etc/jetstream-paas/failover/controller.json",
  passfile: "/etc/jetstream-paas/failover/controller.pgpass",
  kubeconfigs: "/etc/jetstream-paas/failover/kubeconfigs",
  state: "/var/lib/jetstream-paas/failover",
  unit: "/etc/systemd/system/jsp-failover.service",
  command: "/usr/local/bin/jsp-failover",
  pointer: "/usr/local/sbin/jsp-db-pointer",
} as const;

export interface ControllerFilesInput {
  localSite: string;
  primary: { site: string; host: string; port: number; caCert: string };
  replica: { site: string; host: string; port: number; caCert: string };
  /** the jsp_failover role's password ("[secret]" in the artifact copy) */
  controllerPassword: string;
  haproxy: { socket: string; backends: string[]; primaryServerPattern: string };
  policy: Policy;
  intervalSeconds: number;
  /** probe the primary directly (needs a network path to its public address) */
  probePrimary: boolean;
  leaderVip?: string;
  /** Kubernetes namespace/Service the apps use to reach the database */
  appService: { namespace: string; name: string };
  bundle: string;
}

export interface ControllerCloudPart {
  files: CloudFile[];
  runcmd: string[][];
  packages: string[];
}

export function renderControllerConfig(i: ControllerFilesInput): ControllerConfig {
  const pointer: Pointer = { kind: "command", argv: [CONTROLLER_PATHS.pointer], timeoutSeconds: 60 };
  const ep = (e: ControllerFilesInput["primary"], ca: string) => ({
    site: e.site,
    host: e.host,
    port: e.port,
    user: "jsp_failover",
    passfile: CONTROLLER_PATHS.passfile,
    dbname: "postgres",
    sslrootcert: `${CONTROLLER_PATHS.etc}/${ca}`,
    sslmode: "verify-full" as const,
  });
  return {
    localSite: i.localSite,
    replica: ep(i.replica, `${i.replica.site}-ca.crt`),
    primary: ep(i.primary, `${i.primary.site}-ca.crt`),
    probePrimary: i.probePrimary,
    haproxy: { ...i.haproxy, backends: [...i.haproxy.backends].sort() },
    pointer,
    policy: i.policy,
    intervalSeconds: i.intervalSeconds,
    leaderVip: i.leaderVip,
    stateDir: CONTROLLER_PATHS.state,
    psqlPath: "/usr/bin/psql",
  };
}

export function renderControllerUnit(): string {
  return [
    "[Unit]",
    "Description=jetstream-paas failover controller (promotes the standby database on evidence; never fails back)",
    "Documentation=https://github.com/jetstream-paas/jetstream-paas/blob/main/docs/failover.md",
    "After=network-online.target haproxy.service",
    "Wants=network-online.target",
    "",
    "[Service]",
    `ExecStart=/usr/bin/node ${CONTROLLER_PATHS.bundle} run --config ${CONTROLLER_PATHS.config}`,
    "Restart=always",
    "RestartSec=5",
    "StateDirectory=jetstream-paas/failover",
    "NoNewPrivileges=true",
    "ProtectSystem=strict",
    "ProtectHome=true",
    "PrivateTmp=true",
    "ProtectKernelTunables=true",
    "ProtectControlGroups=true",
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

/**
 * The app pointer: the selector-less Service `<ns>/<name>` in every cluster whose kubeconfig
 * an operator placed in kubeconfigs/ gets Endpoints naming the new primary. Apps connect to
 * `<name>.<ns>.svc`; a broken connection reconnects to the new address without a restart.
 */
export function renderPointerScript(i: { namespace: string; name: string }): string {
  if (
    !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(i.namespace) ||
    !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(i.name)
  ) {
    throw new Error("pointer script: appService namespace and name must be DNS labels");
  }
  return [
    "#!/bin/bash",
    "# jsp-db-pointer rendered by jetstream-paas: points the apps of every cluster at the new primary.",
    "# Called by the failover controller with NEW_PRIMARY_HOST, NEW_PRIMARY_PORT and NEW_PRIMARY_SITE.",
    "set -euo pipefail",
    `NAMESPACE=${i.namespace}`,
    `SERVICE=${i.name}`,
    `DIR=${CONTROLLER_PATHS.kubeconfigs}`,
    ': "${NEW_PRIMARY_HOST:?}" "${NEW_PRIMARY_PORT:?}" "${NEW_PRIMARY_SITE:?}"',
    "shopt -s nullglob",
    'configs=("$DIR"/*.yaml)',
    "if [ ${#configs[@]} -eq 0 ]; then",
    '  echo "jsp-db-pointer: no kubeconfig in $DIR; apps were NOT repointed" >&2',
    "  exit 1",
    "fi",
    "rc=0",
    'for kc in "${configs[@]}"; do',
    '  if ! kubectl --kubeconfig "$kc" --request-timeout=20s apply -f - <<EOF',
    "apiVersion: v1",
    "kind: Endpoints",
    "metadata:",
    "  name: ${SERVICE}",
    "  namespace: ${NAMESPACE}",
    "  annotations:",
    '    jetstream-paas/primary-site: "${NEW_PRIMARY_SITE}"',
    "subsets:",
    "  - addresses:",
    '      - ip: "${NEW_PRIMARY_HOST}"',
    "    ports:",
    "      - name: postgres",
    "        port: ${NEW_PRIMARY_PORT}",
    "EOF",
    "  then",
    '    echo "jsp-db-pointer: $kc failed" >&2',
    "    rc=1",
    "  fi",
    "done",
    'exit "$rc"',
    "",
  ].join("\n");
}

export function renderControllerCloudPart(i: ControllerFilesInput): ControllerCloudPart {
  const cfg = renderControllerConfig(i);
  const text = (path: string, content: string, permissions = "0644"): CloudFile => ({
    path,
    content,
    owner: "root:root",
    permissions,
  });
  const files: CloudFile[] = [
    {
      path: CONTROLLER_PATHS.bundle,
      // gzip+base64 keeps the user data far below OpenStack's 64 KiB limit
      content: gzipSync(Buffer.from(i.bundle, "utf8"), { level: 9 }).toString("base64"),
      encoding: "gz+b64" as const,
      owner: "root:root",
      permissions: "0755",
    },
    text(CONTROLLER_PATHS.config, `${JSON.stringify(cfg, null, 2)}\n`, "0600"),
    text(CONTROLLER_PATHS.passfile, `*:*:*:jsp_failover:${i.controllerPassword}\n`, "0600"),
    text(`${CONTROLLER_PATHS.etc}/${i.primary.site}-ca.crt`, i.primary.caCert),
    text(`${CONTROLLER_PATHS.etc}/${i.replica.site}-ca.crt`, i.replica.caCert),
    text(CONTROLLER_PATHS.unit, renderControllerUnit()),
    text(
      CONTROLLER_PATHS.command,
      `#!/bin/sh\n# jsp-failover status|promote|failback [--yes]: the controller's operator steps\nexec /usr/bin/node ${CONTROLLER_PATHS.bundle} "$@"\n`,
      "0755",
    ),
    text(CONTROLLER_PATHS.pointer, renderPointerScript(i.appService), "0755"),
  ].sort((a, b) => a.path.localeCompare(b.path));
  return {
    files,
    runcmd: [
      ["install", "-d", "-m", "0700", CONTROLLER_PATHS.kubeconfigs],
      ["systemctl", "daemon-reload"],
      ["systemctl", "enable", "--now", "jsp-failover.service"],
    ],
    packages: ["nodejs", "postgresql-client"],
  };
}
