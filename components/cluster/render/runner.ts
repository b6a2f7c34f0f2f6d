// What runs on the Kubespray runner (the site's bastion): the runner script `commands.sh`, our
// one playbook, the one-line commands Pulumi's remote steps execute, and the upload script that
// puts the rendered files in place. Pure: plain input, text out.
import { isDnsLabel } from "../../../src/naming";
import { parseIp } from "../../../src/cidr";
import { toYaml } from "../../../src/yaml";
import { KUBESPRAY } from "../../../src/kubespray";

export interface RunnerInput {
  /** cluster name; also the runner's work folder `~/jetstream-paas/<clusterName>` */
  clusterName: string;
  kubernetesVersion: string;
  apiVip: string;
  apiPort: number;
}

/** The steps Pulumi runs, in order; each is one remote command on the runner. */
export const RUNNER_STEPS = ["prepare", "install", "upgrade", "scale", "remove-node", "kubeconfig"] as const;
export type RunnerStep = (typeof RUNNER_STEPS)[number];

/** Steps that SSH to the nodes: they read the private key from stdin into a private ssh-agent. */
export const STEPS_NEEDING_KEY: readonly RunnerStep[] = ["install", "upgrade", "scale", "remove-node"];

export function workDir(clusterName: string): string {
  return `$HOME/jetstream-paas/${clusterName}`;
}

const ARG_RE = /^[a-z0-9][a-z0-9.-]*$/;

/** The exact command line a Pulumi step runs on the runner. */
export function stepCommand(clusterName: string, step: RunnerStep, args: readonly string[] = []): string {
  if (!isDnsLabel(clusterName))
    throw new Error(`clusterName "${clusterName}" must be a lowercase RFC 1123 label`);
  if (!RUNNER_STEPS.includes(step))
    throw new Error(`step "${step}" must be one of ${RUNNER_STEPS.join(", ")}`);
  for (const a of args) {
    // Host names and IPs only: nothing that a shell could interpret.
    if (!ARG_RE.test(a))
      throw new Error(`argument "${a}" of step ${step} must be a host name or an IPv4 address`);
  }
  return ["bash", `"${workDir(clusterName)}/commands.sh"`, step, ...args].join(" ");
}

/** Our playbook: wait until nodes answer SSH and cloud-init finished (it frees the apt lock). */
export function renderWaitPlaybook(): string {
  const doc = [
    {
      name: "Wait until the nodes booted and cloud-init finished",
      hosts: "all",
      gather_facts: false,
      become: false,
      tasks: [
        { name: "Wait for SSH", "ansible.builtin.wait_for_connection": { timeout: 900 } },
        {
          name: "Wait for cloud-init (it stops the apt timers that would race Kubespray for the dpkg lock)",
          "ansible.builtin.command": "cloud-init status --wait",
          changed_when: false,
          register: "cloud_init",
          // 2 = finished with recoverable errors; Kubespray can still run.
          failed_when: "cloud_init.rc not in [0, 2]",
        },
      ],
    },
  ];
  return `# jetstream-paas: run by commands.sh before Kubespray. Do not edit.\n${toYaml(doc, { sortKeys: false })}`;
}

/** The runner script. Every Pulumi step calls one of its subcommands (see stepCommand). */
export function renderRunnerScript(input: RunnerInput): string {
  if (!isDnsLabel(input.clusterName)) {
    throw new Error(`clusterName "${input.clusterName}" must be a lowercase RFC 1123 label`);
  }
  if (!/^\d+\.\d+\.\d+$/.test(input.kubernetesVersion)) {
    throw new Error(`kubernetesVersion "${input.kubernetesVersion}" must be x.y.z`);
  }
  if (parseIp(input.apiVip) === undefined)
    throw new Error(`apiVip "${input.apiVip}" must be an IPv4 address`);
  if (!Number.isInteger(input.apiPort) || input.apiPort < 1 || input.apiPort > 65535) {
    throw new Error(`apiPort ${input.apiPort} must be 1-65535`);
  }
  const reqs = KUBESPRAY.pythonRequirements.join(" ");
  const example: Partial<Record<RunnerStep, string[]>> = {
    scale: ["worker-1", "worker-2"],
    "remove-node": ["worker-3", "10.0.0.3"],
  };
  const usage = RUNNER_STEPS.map((s) => `#   ${stepCommand(input.clusterName, s, example[s] ?? [])}`).join(
    "\n",
  );
  return `#!/usr/bin/env bash
# Kubespray runner of cluster ${input.clusterName}, rendered by jetstream-paas. Do not edit:
# Pulumi uploads it to ${workDir(input.clusterName)}/commands.sh on the bastion and its remote
# steps run exactly these lines (scale/remove-node get the real host names):
${usage}
# Steps that SSH to the nodes (${STEPS_NEEDING_KEY.join(", ")}) read the operator's private key on
# stdin into an ssh-agent that lives as long as the step; the key never touches the disk.
# Ansible output goes to logs/ next to this script (mode 0600), not to Pulumi's state or console.
set -euo pipefail
umask 077

readonly CLUSTER="${input.clusterName}"
readonly WORK_DIR="$HOME/jetstream-paas/$CLUSTER"
readonly KUBESPRAY_DIR="$WORK_DIR/kubespray"
readonly KUBESPRAY_REPO="${KUBESPRAY.repository}"
readonly KUBESPRAY_VERSION="${KUBESPRAY.version}"
readonly KUBESPRAY_COMMIT="${KUBESPRAY.commit}"
readonly PY_REQUIREMENTS="${reqs}"
readonly ANSIBLE_CORE_MIN="${KUBESPRAY.ansibleCore.min}"
readonly ANSIBLE_CORE_MAX="${KUBESPRAY.ansibleCore.maxExclusive}"
readonly PY_MIN_MINOR=${KUBESPRAY.python.minMinor}
readonly PY_MAX_MINOR=${KUBESPRAY.python.maxMinor}
readonly K8S_VERSION="${input.kubernetesVersion}"
readonly API_URL="https://${input.apiVip}:${input.apiPort}"
readonly VENV="$WORK_DIR/venv"
readonly INVENTORY="$WORK_DIR/inventory/inventory.yaml"
readonly ARTIFACTS="$WORK_DIR/inventory/artifacts"
readonly LOG_DIR="$WORK_DIR/logs"

log() { printf '%s %s: %s\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$CLUSTER" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

kubectl_admin() {
  "$ARTIFACTS/kubectl" --kubeconfig "$ARTIFACTS/admin.conf" --request-timeout=20s "$@"
}

# Serialises every Kubespray run of this cluster (Pulumi may delete several nodes at once).
take_lock() {
  exec 9>"$WORK_DIR/.lock"
  flock -w 7200 9 || die "another Kubespray run of $CLUSTER held the lock for 2 hours"
}

# Loads the private key from stdin into an agent that dies with this step.
start_agent() {
  [ -t 0 ] && die "this step expects the SSH private key on stdin"
  eval "$(ssh-agent -s)" >/dev/null
  trap 'ssh-agent -k >/dev/null 2>&1 || true' EXIT
  ssh-add -q - >/dev/null 2>&1 || die "could not load the SSH private key given on stdin"
}

# ansible-playbook PLAYBOOK [ARGS...]: output to a log file only; the console gets the recap.
run_playbook() {
  local playbook=$1
  shift
  local log_file
  log_file="$LOG_DIR/$(date -u +%Y%m%dT%H%M%SZ)-$(basename "$playbook" .yml).log"
  log "running $playbook $* (log: $log_file)"
  if ! (cd "$KUBESPRAY_DIR" && "$VENV/bin/ansible-playbook" -i "$INVENTORY" "$@" "$playbook") >"$log_file" 2>&1; then
    grep -A 200 '^PLAY RECAP' "$log_file" | grep -E 'failed=|unreachable=' >&2 || true
    die "$playbook failed; the log is $log_file on the bastion; fix the cause and run pulumi up again"
  fi
  log "$playbook finished"
}

wait_for_nodes() {
  run_playbook "$WORK_DIR/playbooks/wait-for-nodes.yml" "$@"
}

# Node names currently registered in the cluster, one per line.
cluster_nodes() {
  kubectl_admin get nodes -o 'jsonpath={range .items[*]}{.metadata.name}{"\\n"}{end}'
}

cmd_prepare() {
  mkdir -p "$LOG_DIR"
  local minor
  minor=$(python3 -c 'import sys; print(sys.version_info[1])')
  if [ "$minor" -lt "$PY_MIN_MINOR" ] || [ "$minor" -gt "$PY_MAX_MINOR" ]; then
    die "python3 is 3.$minor; Kubespray $KUBESPRAY_VERSION needs 3.$PY_MIN_MINOR-3.$PY_MAX_MINOR"
  fi
  if ! command -v git >/dev/null || ! python3 -m venv --help >/dev/null 2>&1; then
    # shellcheck disable=SC2024 # the log belongs to this user on purpose
    { sudo apt-get update -q && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q git python3-venv; } >>"$LOG_DIR/prepare.log" 2>&1 ||
      die "could not install git and python3-venv (see $LOG_DIR/prepare.log)"
  fi
  if [ ! -d "$KUBESPRAY_DIR/.git" ]; then
    git clone --quiet --depth 1 --branch "$KUBESPRAY_VERSION" "$KUBESPRAY_REPO" "$KUBESPRAY_DIR"
  elif [ "$(git -C "$KUBESPRAY_DIR" rev-parse HEAD)" != "$KUBESPRAY_COMMIT" ]; then
    git -C "$KUBESPRAY_DIR" fetch --quiet --depth 1 origin "refs/tags/$KUBESPRAY_VERSION:refs/tags/$KUBESPRAY_VERSION"
    git -C "$KUBESPRAY_DIR" checkout --quiet "$KUBESPRAY_VERSION"
  fi
  local head
  head=$(git -C "$KUBESPRAY_DIR" rev-parse HEAD)
  [ "$head" = "$KUBESPRAY_COMMIT" ] || die "Kubespray $KUBESPRAY_VERSION is $head, expected $KUBESPRAY_COMMIT"
  local req
  for req in $PY_REQUIREMENTS; do
    grep -qx "$req" "$KUBESPRAY_DIR/requirements.txt" || die "Kubespray's requirements.txt no longer pins $req"
  done
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  # shellcheck disable=SC2086 # one word per requirement
  "$VENV/bin/pip" install --quiet --disable-pip-version-check $PY_REQUIREMENTS >>"$LOG_DIR/prepare.log" 2>&1 ||
    die "pip install failed (see $LOG_DIR/prepare.log)"
  "$VENV/bin/python" - "$ANSIBLE_CORE_MIN" "$ANSIBLE_CORE_MAX" <<'PY' || die "ansible-core is outside the range Kubespray asserts"
import sys
from ansible.release import __version__ as v
def key(s):
    return tuple(int(p) for p in s.split(".")[:3])
sys.exit(0 if key(sys.argv[1]) <= key(v) < key(sys.argv[2]) else 1)
PY
  log "runner ready: Kubespray $KUBESPRAY_VERSION ($KUBESPRAY_COMMIT), $("$VENV/bin/ansible" --version | head -n 1)"
}

cmd_install() {
  start_agent
  take_lock
  wait_for_nodes
  run_playbook cluster.yml --become
  log "cluster.yml done; Kubernetes $K8S_VERSION installed"
}

cmd_upgrade() {
  start_agent
  take_lock
  local versions
  versions=$(kubectl_admin get nodes -o 'jsonpath={range .items[*]}{.status.nodeInfo.kubeletVersion}{"\\n"}{end}' | sort -u)
  if [ "$versions" = "v$K8S_VERSION" ]; then
    log "every node already runs v$K8S_VERSION; nothing to upgrade"
    return 0
  fi
  log "nodes run $(echo "$versions" | tr '\\n' ' '); upgrading to v$K8S_VERSION"
  run_playbook upgrade-cluster.yml --become
}

cmd_scale() {
  [ $# -gt 0 ] || die "scale needs the worker names"
  start_agent
  take_lock
  local present missing=() w
  present=$(cluster_nodes) || die "cannot list the nodes of $CLUSTER"
  for w in "$@"; do
    grep -qx "$w" <<<"$present" || missing+=("$w")
  done
  if [ \${#missing[@]} -eq 0 ]; then
    log "every worker is already a node; nothing to scale"
    return 0
  fi
  local limit
  limit=$(IFS=,; echo "\${missing[*]}")
  log "adding workers: $limit"
  wait_for_nodes --limit "$limit"
  # Kubespray docs/operations/nodes.md: refresh facts of all nodes before a limited run.
  run_playbook playbooks/facts.yml --become
  run_playbook scale.yml --become --limit "$limit"
}

cmd_remove_node() {
  [ $# -eq 2 ] || die "remove-node needs NAME and IP"
  local name=$1 ip=$2
  start_agent
  take_lock
  local nodes
  nodes=$(cluster_nodes) || die "cannot list the nodes of $CLUSTER; not removing $name blindly"
  if ! grep -qx "$name" <<<"$nodes"; then
    log "$name is not a node of $CLUSTER; nothing to remove"
    return 0
  fi
  # The node has already left the rendered inventory; Kubespray needs it there to remove it.
  local extra="$WORK_DIR/inventory/removing-$name.yaml"
  printf 'all:\\n  children:\\n    kube_node:\\n      hosts:\\n        %s:\\n          ip: %s\\n          access_ip: %s\\n          ansible_host: %s\\n' \\
    "$name" "$ip" "$ip" "$ip" >"$extra"
  local reset=true
  if ! timeout 30 ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new -o ConnectTimeout=10 "$ip" true 2>/dev/null; then
    log "$name does not answer SSH; removing it from the cluster without resetting it"
    reset=false
  fi
  run_playbook remove-node.yml --become -i "$extra" -e "node=$name" -e skip_confirmation=true -e "reset_nodes=$reset"
  rm -f "$extra"
}

cmd_kubeconfig() {
  local i
  for i in $(seq 1 60); do
    if kubectl_admin get --raw=/readyz >/dev/null 2>&1; then
      # The only thing this step prints on stdout; Pulumi keeps it as a secret.
      cat "$ARTIFACTS/admin.conf"
      return 0
    fi
    log "waiting for the API at $API_URL ($i/60)"
    sleep 5
  done
  die "the API at $API_URL did not answer /readyz within 5 minutes"
}

main() {
  mkdir -p "$LOG_DIR"
  local step=\${1:-}
  [ $# -gt 0 ] && shift
  case "$step" in
    prepare) cmd_prepare "$@" ;;
    install) cmd_install "$@" ;;
    upgrade) cmd_upgrade "$@" ;;
    scale) cmd_scale "$@" ;;
    remove-node) cmd_remove_node "$@" ;;
    kubeconfig) cmd_kubeconfig "$@" ;;
    *) die "usage: commands.sh ${RUNNER_STEPS.join("|")} [ARGS]" ;;
  esac
}

main "$@"
`;
}

/** Base64 of text, for the upload script (no quoting problems, no heredoc delimiters). */
function b64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}

/**
 * The upload step: writes every rendered file under the work folder. Files are given by path
 * relative to it. Not secret: inventories hold addresses, the script holds no credential.
 */
export function renderUploadScript(clusterName: string, files: Readonly<Record<string, string>>): string {
  if (!isDnsLabel(clusterName))
    throw new Error(`clusterName "${clusterName}" must be a lowercase RFC 1123 label`);
  const paths = Object.keys(files).sort();
  for (const p of paths) {
    if (!/^[a-zA-Z0-9_./-]+$/.test(p) || p.startsWith("/") || p.split("/").includes("..")) {
      throw new Error(
        `upload path "${p}" must be relative, inside the work folder, without special characters`,
      );
    }
  }
  const dirs = [
    ...new Set(paths.map((p) => p.split("/").slice(0, -1).join("/")).filter((d) => d.length > 0)),
  ].sort();
  const lines = [
    "set -euo pipefail",
    "umask 077",
    `d="${workDir(clusterName)}"`,
    `mkdir -p "$d/logs"${dirs.map((x) => ` "$d/${x}"`).join("")}`,
    ...paths.map(
      (p) => `printf '%s' '${b64(files[p])}' | base64 -d >"$d/${p}.new" && mv "$d/${p}.new" "$d/${p}"`,
    ),
    `chmod 0700 "$d/commands.sh" 2>/dev/null || true`,
    `echo "uploaded ${paths.length} files to $d"`,
  ];
  return `${lines.join("\n")}\n`;
}
