#!/usr/bin/env bash
# --ca-bundle: the CA's TLS certificate must be in the bundle. A bundle
# without it, or one that holds no certificate, fails the run before any
# order (exit 1, nothing stored); a bundle holding it among others works.
# The bundle is read once per run, however many connections the run opens
# (through a proxy that closes the connection after every answer) and
# however many threads share them.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_require_tool strace
ah_start_all

PEBBLE_TLS=$AH_CA_BUNDLE
OTHER="$AH_T/other-ca.pem"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
  -subj "/CN=not the CA" -keyout "$AH_T/other-ca.key" -out "$OTHER" \
  >"$AH_LOGS/openssl.log" 2>&1 || ah_die "openssl req failed"

issue() {
  ah_run certonly --webroot -w "$AH_WEBROOT" -d "$1" -n --agree-tos -m test@example.test \
    --server "$AH_DIR_URL"
}

# --- a bundle without the CA's certificate ---
AH_CA_BUNDLE=$OTHER
issue wrong.bundle.example.test
ah_expect_fail 1 "cannot reach .*certificate" "a bundle without the CA's certificate: exit 1"
check "nothing stored for wrong" test ! -e "$AH_CONFIG/live/wrong.bundle.example.test"

# --- a readable file that holds no certificate ---
printf 'no certificate here\n' >"$AH_T/empty.pem"
AH_CA_BUNDLE="$AH_T/empty.pem"
issue empty.bundle.example.test
ah_expect_fail 1 "cannot reach" "a bundle holding no certificate: exit 1"
check "nothing stored for empty" test ! -e "$AH_CONFIG/live/empty.bundle.example.test"

# --- the CA's certificate among others: works; the bundle is read once ---
cat "$OTHER" "$PEBBLE_TLS" >"$AH_T/both.pem"
AH_CA_BUNDLE="$AH_T/both.pem"
names=(one.bundle.example.test two.bundle.example.test)
for n in "${names[@]}"; do
  issue "$n"
  ah_expect_ok "certonly $n with the CA's certificate second in the bundle"
  ah_verify_cert "$n"
done

# opens COMMAND...: run acmehook under strace; OPENS is how often it
# opened the bundle, CONNECTS how many connections it made.
opens() {
  local trace="$AH_T/trace.$AH_RUN_SEQ"
  AH_BIN_REAL=$AH_BIN
  AH_BIN="$AH_T/traced"
  printf '#!/bin/sh\nexec strace -f -qq -o %s -e trace=openat,connect %s "$@"\n' \
    "$trace" "$AH_BIN_REAL" >"$AH_BIN"
  chmod 0755 "$AH_BIN"
  ah_run "$@"
  AH_BIN=$AH_BIN_REAL
  OPENS=$(grep -c "openat(.*\"$AH_T/both\.pem\"" "$trace" || true)
  CONNECTS=$(grep -cE 'connect\(.*sin_port=htons\(('"$AH_PEBBLE_PORT|${AH_PROXY_PORT:-0}"')\)' \
    "$trace" || true)
}

# acmehook keeps one connection alive for a whole issuance; a CA that
# closes it after every answer makes it connect for every request.
ah_start_faultproxy --close
cat "$OTHER" "$AH_CA_BUNDLE" >"$AH_T/both.pem"
AH_CA_BUNDLE="$AH_T/both.pem"
opens certonly --webroot -w "$AH_WEBROOT" -d three.bundle.example.test -n --agree-tos \
  --server "$AH_DIR_URL"
ah_expect_ok "certonly under strace"
ah_verify_cert three.bundle.example.test
check "the issuance made more than one connection ($CONNECTS)" test "$CONNECTS" -gt 1
check "the bundle was opened once ($OPENS)" test "$OPENS" -eq 1

opens renew --force-renewal --parallel 3
ah_expect_ok "renew --parallel 3 under strace"
for n in "${names[@]}" three.bundle.example.test; do
  check "$n has version 2" test "$(ah_archive_versions "$n")" -eq 2
  ah_verify_cert "$n"
done
check "the renewals made three connections or more ($CONNECTS)" test "$CONNECTS" -ge 3
check "the bundle was opened once by the three threads ($OPENS)" test "$OPENS" -eq 1

ah_finish
