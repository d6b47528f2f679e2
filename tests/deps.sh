#!/usr/bin/env bash
# Installs everything building and testing acmehook needs on Debian 12.
# Idempotent: installs only what is missing, runs `apt-get update` at most once,
# and keeps package scripts from starting system services (nginx, named, knot,
# pdns) that would occupy ports the tests want.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config
  libssl-dev libcurl4-openssl-dev libcjson-dev libidn2-dev liblua5.4-dev
  pebble nginx-light
  bind9 bind9-dnsutils knot knot-dnsutils
  pdns-server pdns-backend-sqlite3
  sqlite3 openssl curl ca-certificates iproute2 python3 procps strace
  clang
  certbot python3-certbot-dns-rfc2136
  systemd man-db
)

if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi

missing=()
for p in "${PACKAGES[@]}"; do
  # "install ok installed" is the only state that means the package is usable.
  st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  if [ "$st" != "install ok installed" ]; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

echo "deps: installing: ${missing[*]}"

# policy-rc.d exiting 101 tells invoke-rc.d not to start services during
# installation. Remove it afterwards only if this script created it.
created_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod 755 /usr/sbin/policy-rc.d
  created_policy=1
fi
cleanup() {
  if [ "$created_policy" = 1 ]; then
    $SUDO rm -f /usr/sbin/policy-rc.d
  fi
}
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
  "${missing[@]}"
echo "deps: done"
