#!/usr/bin/env bash
# Kubespray runner of cluster jetstream-iu-paasa, rendered by jetstream-paas. Do not edit:
# Pulumi uploads it to $HOME/jetstream-paas/jetstream-iu-paasa/commands.sh on the bastion and its remote
# steps run exactly these lines (scale/remove-node get the real host names):
#   bash "$HOME/jetstream-paas/jetstream-iu-paasa/commands.sh" prepare
#   bash "$HOME/jetstream-paas/jetstream-iu-paasa/commands.sh" install
#   bash "$HOME/jetstream-paas/jetstream-iu-paasa/commands.sh" upgrade
#   bash "$HOME/jetstream-paas/jetstream-iu-paasa/commands.sh" scale worker-1 worker-2
#   bash "$HOME/jetstream-paas/jetstream-iu-paasa/commands.sh" remove-node worker-3 10.0.0.3
#   bash "$HOME/jetstream-paas/jetstream-iu-paasa/commands.sh" kubeconfig
# Steps that SSH to the nodes (install, upgrade, scale, remove-node) read the operator's private key on
# stdin into an ssh-agent that lives as long as the step; the key never touches the disk.
# Ansible output goes to logs/ next to this script (mode 0600), not to Pulumi's state or console.
set -euo pipefail
umask 077

readonly CLUSTER="jetstream-iu-paasa"
readonly WORK_DIR="$HOME/jetstream-paas/$CLUSTER"
readonly KUBESPRAY_DIR="$WORK_DIR/kubespray"
readonly KUBESPRAY_REPO="https://github.com/kubernetes-sigs/kubespray.git"
readonly KUBESPRAY_VERSION="v2.31.0"
readonly KUBESPRAY_COMMIT="1c9add48975060f45396b34d8e022c30d7f80dab"
readonly PY_REQUIREMENTS="ansible==11.13.0 cryptography==46.0.7 jmespath==1.1.0 netaddr==1.3.0"
readonly ANSIBLE_CORE_MIN="2.18.0"
readonly ANSIBLE_CORE_MAX="2.19.0"
readonly PY_MIN_MINOR=11
readonly PY_MAX_MINOR=13
readonly K8S_VERSION="1.35.4"
readonly API_URL="https://10.20.0.50:6443"
readonly VENV="$WORK_DIR/venv"
readonly INVENTORY="$WORK_DIR/inventory/inventory.yaml"
readonly ARTIFACTS="$WORK_DIR/inventory/artifacts"
readonly LOG_DIR="$WORK_DIR/logs"

log() { printf '%s %s: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$CLUSTER" "$*" >&2; }
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
  kubectl_admin get nodes -o 'jsonpath={range .items[*]}{.metadata.name}{"\n"}{end}'
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
  versions=$(kubectl_admin get nodes -o 'jsonpath={range .items[*]}{.status.nodeInfo.kubeletVersion}{"\n"}{end}' | sort -u)
  if [ "$versions" = "v$K8S_VERSION" ]; then
    log "every node already runs v$K8S_VERSION; nothing to upgrade"
    return 0
  fi
  log "nodes run $(echo "$versions" | tr '\n' ' '); upgrading to v$K8S_VERSION"
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
  if [ ${#missing[@]} -eq 0 ]; then
    log "every worker is already a node; nothing to scale"
    return 0
  fi
  local limit
  limit=$(IFS=,; echo "${missing[*]}")
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
  printf 'all:\n  children:\n    kube_node:\n      hosts:\n        %s:\n          ip: %s\n          access_ip: %s\n          ansible_host: %s\n' \
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
  local step=${1:-}
  [ $# -gt 0 ] && shift
  case "$step" in
    prepare) cmd_prepare "$@" ;;
    install) cmd_install "$@" ;;
    upgrade) cmd_upgrade "$@" ;;
    scale) cmd_scale "$@" ;;
    remove-node) cmd_remove_node "$@" ;;
    kubeconfig) cmd_kubeconfig "$@" ;;
    *) die "usage: commands.sh prepare|install|upgrade|scale|remove-node|kubeconfig [ARGS]" ;;
  esac
}

main "$@"
