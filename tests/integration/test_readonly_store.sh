#!/usr/bin/env bash
# A store that cannot be written is found before anything is ordered: with
# the config dir read-only (its locks directory still writable), renewing
# an existing lineage and a first certonly both stop with exit 1 naming
# the directory, and Pebble takes no order. The same for an accounts
# directory a new account cannot be written to (no account is registered)
# and for --csr output files in a read-only directory. As root, modes do
# not stop writes: the directories are read-only bind mounts.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
[ "$(id -u)" -eq 0 ] || ah_die "this test makes read-only bind mounts and must run as root"
ah_start_all

RO_MOUNTS=()
# ro_mount DIR: make DIR read-only in place.
ro_mount() {
  mount --bind "$1" "$1" || ah_die "cannot bind-mount $1"
  RO_MOUNTS+=("$1")
  mount -o remount,bind,ro "$1" "$1" || ah_die "cannot remount $1 read-only"
}
# rw_over SRC DST: a writable SRC in place of DST.
rw_over() {
  mount --bind "$1" "$2" || ah_die "cannot bind-mount $1 on $2"
  RO_MOUNTS+=("$2")
}
ro_undo() {
  local i
  for ((i = ${#RO_MOUNTS[@]} - 1; i >= 0; i--)); do
    umount "${RO_MOUNTS[$i]}" 2>/dev/null || umount -l "${RO_MOUNTS[$i]}" 2>/dev/null || true
  done
  RO_MOUNTS=()
}
# The mounts go before ah_cleanup removes the temp dir; its exit status is kept.
trap 'rc=$?; set +e; ro_undo; (exit "$rc"); ah_cleanup' EXIT

orders() { grep -c 'Added order' "$AH_PEBBLE_LOG" || true; }
accounts() { grep -c 'There are now [0-9]* accounts' "$AH_PEBBLE_LOG" || true; }
probes_left() { find "$AH_T" -name '.acmehook-write-test-*' 2>/dev/null | wc -l; }

A=a.ro.example.test
B=b.ro.example.test
ah_issue "$A"
ah_expect_ok "certonly $A into a writable config dir"
ah_verify_cert "$A"
serial=$(ah_serial "$AH_CONFIG/live/$A/cert.pem")

# --- the config dir read-only, its locks still writable ---
mkdir -p "$AH_T/locks"
ro_mount "$AH_CONFIG"
rw_over "$AH_T/locks" "$AH_CONFIG/.locks"
check "setup: the config dir is read-only" bash -c "! touch '$AH_CONFIG/probe' 2>/dev/null"
check "setup: its locks directory is writable" bash -c "touch '$AH_CONFIG/.locks/probe'"

before=$(orders)
ah_run renew --force-renewal --cert-name "$A"
ah_expect_fail 1 "cannot write in $AH_CONFIG/archive/$A: read-only file system" \
  "renew --force-renewal: exit 1 naming archive/$A and the reason"
check "renew: Pebble took no order ($before before, $(orders) after)" test "$(orders)" -eq "$before"
check "renew: live/$A still serves the first certificate" \
  test "$(ah_serial "$AH_CONFIG/live/$A/cert.pem")" = "$serial"

ah_issue "$B"
ah_expect_fail 1 "cannot create directory $AH_CONFIG/archive/$B: read-only file system" \
  "certonly $B: exit 1 naming archive/$B and the reason"
check "certonly: Pebble took no order ($before before, $(orders) after)" test "$(orders)" -eq "$before"
ro_undo

# --- a new account whose directory cannot be written: nothing registered ---
ah_use_config fresh
mkdir -p "$AH_CONFIG/accounts"
ro_mount "$AH_CONFIG/accounts"
before=$(orders)
accts=$(accounts)
ah_run certonly --webroot -w "$AH_WEBROOT" -d c.ro.example.test -n --agree-tos \
  -m test@example.test --server "$AH_DIR_URL"
ah_expect_fail 1 "cannot write in $AH_CONFIG/accounts: read-only file system" \
  "certonly with a read-only accounts/: exit 1 naming the directory"
check "no account was registered ($accts before, $(accounts) after)" test "$(accounts)" -eq "$accts"
check "no order was placed" test "$(orders)" -eq "$before"
ro_undo

# --- certonly --csr into a read-only directory ---
openssl req -new -sha256 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$AH_T/csr.key" -out "$AH_T/csr.pem" -subj "/CN=csr.ro.example.test" \
  -addext "subjectAltName=DNS:csr.ro.example.test" 2>/dev/null || ah_die "openssl cannot make a CSR"
out="$AH_T/out"
mkdir -p "$out"
ro_mount "$out"
before=$(orders)
ah_run certonly --webroot -w "$AH_WEBROOT" --csr "$AH_T/csr.pem" --cert-path "$out/cert.pem" \
  --chain-path "$out/chain.pem" --fullchain-path "$out/fullchain.pem" -n --agree-tos \
  -m test@example.test --server "$AH_DIR_URL"
ah_expect_fail 1 "cannot write in $out: read-only file system" \
  "certonly --csr into a read-only directory: exit 1 naming it"
check "--csr: no order was placed" test "$(orders)" -eq "$before"
ro_undo

# --- writable again: the same runs work, and the checks left nothing ---
AH_CONFIG="$AH_T/config" AH_WORK="$AH_T/work" AH_LOGDIR="$AH_T/logs"
ah_run renew --force-renewal --cert-name "$A"
ah_expect_ok "renew --force-renewal once the config dir is writable"
check "the renewal is version 2" test -s "$AH_CONFIG/archive/$A/cert2.pem"
ah_verify_cert "$A"
check "no write-test files left ($(probes_left))" test "$(probes_left)" -eq 0

ah_finish
