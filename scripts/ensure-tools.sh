#!/usr/bin/env bash
# Makes sure the real tools the tests and drills use are installed.
#   scripts/ensure-tools.sh [TOOL ...]     (no argument or "all": every tool below)
# As root, missing tools are installed from Debian's packages (one apt-get update, one
# install). Otherwise it prints which tools are missing and the package to install, and
# exits 1. It never pretends: a tool that is still missing afterwards is an error.
set -euo pipefail

# tool -> Debian package
declare -A PACKAGE=(
  [haproxy]=haproxy
  [keepalived]=keepalived
  [cloud-init]=cloud-init
  [ansible-inventory]=ansible-core
  [ansible-playbook]=ansible-core
  [shellcheck]=shellcheck
  [pg_ctl]=postgresql-15
  [initdb]=postgresql-15
  [postgres]=postgresql-15
  [psql]=postgresql-client-15
  [ip]=iproute2
  [tc]=iproute2
  [iptables]=iptables
  [curl]=curl
  [groovy]=groovy
  [nginx]=nginx-light
  [pebble]=pebble
  [pebble-challtestsrv]=pebble
  [lego]=lego
  [socat]=socat
  [python3]=python3
  # delivery (docs/delivery.md): rootless image builds, a real registry, the load tool, kubectl
  [buildah]=buildah
  [docker-registry]=docker-registry
  [hey]=hey
  [git]=git
  [openssl]=openssl
  # the machine image ships kubectl 1.32; Debian's kubernetes-client is the fallback
  [kubectl]=kubernetes-client
)

# PostgreSQL's server binaries live outside PATH on Debian.
PG_BIN=/usr/lib/postgresql/15/bin

have() {
  command -v "$1" >/dev/null 2>&1 || [ -x "$PG_BIN/$1" ]
}

tools=("$@")
if [ ${#tools[@]} -eq 0 ] || [ "${tools[0]}" = "all" ]; then
  mapfile -t tools < <(printf '%s\n' "${!PACKAGE[@]}" | sort)
fi

missing=()
packages=()
for t in "${tools[@]}"; do
  if [ -z "${PACKAGE[$t]+x}" ]; then
    echo "ensure-tools: unknown tool '$t' (known: ${!PACKAGE[*]})" >&2
    exit 2
  fi
  if ! have "$t"; then
    missing+=("$t")
    packages+=("${PACKAGE[$t]}")
  fi
done

[ ${#missing[@]} -eq 0 ] && exit 0

mapfile -t packages < <(printf '%s\n' "${packages[@]}" | sort -u)
if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-tools: missing ${missing[*]}; install with: sudo apt-get install ${packages[*]}" >&2
  exit 1
fi

echo "ensure-tools: installing ${packages[*]} for ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# policy-rc.d keeps the packages' own services (haproxy, keepalived, postgresql) from
# starting on this machine: tests start their own instances with their own configs.
policy=/usr/sbin/policy-rc.d
cleanup_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod +x "$policy"
  cleanup_policy=1
fi
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
[ "$cleanup_policy" = 1 ] && rm -f "$policy"

still=()
for t in "${missing[@]}"; do have "$t" || still+=("$t"); done
if [ ${#still[@]} -gt 0 ]; then
  echo "ensure-tools: still missing after install: ${still[*]}" >&2
  exit 1
fi
