#!/usr/bin/env bash
# Authorizations the CA reuses. Pebble runs with PEBBLE_AUTHZREUSE=100: a
# name validated once is handed back valid in every later order of the
# account, and a plain renewal presents nothing. --revalidate and
# --dry-run deactivate those authorizations (RFC 8555 §7.5.2) and order
# again, so the challenge is presented and fetched by the CA. Through a
# CA that refuses deactivation, --revalidate fails naming the order and
# leaves the lineage and the work dir as they were, while a dry run warns
# and goes on with what it has. A CA that answers a deactivation with the
# authorization still valid fails --revalidate the same way. One that says
# it deactivated it but keeps reusing it costs three orders; then
# --revalidate fails and a dry run warns and goes on.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all PEBBLE_AUTHZREUSE=100

A=reval.example.test
B=refused.reval.example.test
ACCESS="$AH_LOGS/nginx-access.log"
# fetched: how many challenge files Pebble's validator has fetched so far.
fetched() { grep -c 'GET /.well-known/acme-challenge/.*LetsEncrypt-Pebble-VA' "$ACCESS" || true; }
orders() { grep -c 'Added order' "$AH_PEBBLE_LOG" || true; }
common=(-n --agree-tos -m test@example.test --server "$AH_DIR_URL")
# behind_proxy NAME MODE: a fault proxy answering deactivations as MODE
# (faultproxy.py --deactivation) in front of Pebble; NAME issued through
# it (SERIAL: its certificate's serial), then renewed with --revalidate,
# for the caller to check how that failed.
behind_proxy() {
  ah_start_faultproxy --deactivation "$2"
  ah_run certonly --webroot -w "$AH_WEBROOT" -d "$1" -n --agree-tos -m test@example.test \
    --server "$AH_DIR_URL"
  ah_expect_ok "certonly $1 through a CA whose deactivations are: $2"
  SERIAL=$(ah_serial "$AH_CONFIG/live/$1/cert.pem")
  ah_run renew --force-renewal --revalidate --cert-name "$1"
}
# kept NAME: NAME still serves SERIAL, and no order record is left.
kept() {
  check "$1 keeps its certificate" test "$(ah_serial "$AH_CONFIG/live/$1/cert.pem")" = "$SERIAL"
  check "no order record is left" test -z "$(find "$AH_WORK/orders" -type f 2>/dev/null)"
}

ah_run certonly --webroot -w "$AH_WEBROOT" -d "$A" "${common[@]}"
ah_expect_ok "certonly $A"
ah_verify_cert "$A"
check "the first order validated $A over http-01" test "$(fetched)" -ge 1

# --- a plain renewal takes the reused authorization: nothing presented ---
f0=$(fetched)
ah_run renew --force-renewal --cert-name "$A"
ah_expect_ok "renew --force-renewal $A"
check "without --revalidate nothing is presented" bash -c "! grep -q 'Presenting' '$AH_ERR'"
check "and the CA fetched nothing" test "$(fetched)" -eq "$f0"
check "$A is at version 2" test "$(ah_archive_versions "$A")" -eq 2

# --- --revalidate deactivates it and validates again ---
f0=$(fetched)
o0=$(orders)
ah_run renew --force-renewal --revalidate --cert-name "$A"
ah_expect_ok "renew --force-renewal --revalidate $A"
check "the reused authorization is deactivated, named" \
  ah_output_matches "Deactivated the CA's valid authorization for $A"
check "the challenge is presented" ah_output_matches "Presenting http-01 for $A"
check "the CA fetched the new token" test "$(fetched)" -gt "$f0"
check "two orders: the reused one and the fresh one" test "$(orders)" -eq $((o0 + 2))
check "$A is at version 3" test "$(ah_archive_versions "$A")" -eq 3
ah_verify_cert "$A"
check "no tokens left" ah_no_tokens
check "--revalidate is not kept in the renewal file" \
  bash -c "! grep -q '^revalidate' '$AH_CONFIG/renewal/$A.conf'"

# --- a dry run does the same, and keeps nothing ---
f0=$(fetched)
before=$(ah_snapshot)
ah_run renew --dry-run --cert-name "$A"
ah_expect_ok "renew --dry-run $A"
check "the dry run deactivated the reused authorization" \
  ah_output_matches "Deactivated the CA's valid authorization for $A"
check "the dry run presented the challenge" ah_output_matches "Presenting http-01 for $A"
check "the CA fetched its token" test "$(fetched)" -gt "$f0"
check "the dry run changed nothing" test "$(ah_snapshot)" = "$before"

# --- a CA that refuses deactivation ---
behind_proxy "$B" refuse
ah_expect_fail 1 "cannot get fresh authorizations for order https://127\.0\.0\.1:$AH_PROXY_PORT/[^ ]+: .*unauthorized" \
  "--revalidate fails when the CA will not deactivate, naming the order and the problem"
check "the refusal was the CA's" test "$(ah_proxy_count faults deactivation-refuse)" -ge 1
kept "$B"
check "$B has no new version" test "$(ah_archive_versions "$B")" -eq 1
check "no tokens left" ah_no_tokens
before=$(ah_snapshot)
ah_run renew --dry-run --cert-name "$B"
ah_expect_ok "a dry run through it still succeeds"
check "it warns that it could not get fresh authorizations" \
  ah_output_matches "Could not get fresh authorizations for every name .*unauthorized"
check "and changed nothing" test "$(ah_snapshot)" = "$before"

# --- a CA that says the authorization is still valid ---
C=valid.reval.example.test
behind_proxy "$C" stays-valid
ah_expect_fail 1 "left the authorization for $C at https://[^ ]+ valid, not deactivated" \
  "--revalidate fails when the CA answers the deactivation with valid, naming the name"
check "the answer was the proxy's" test "$(ah_proxy_count faults deactivation-stays-valid)" -ge 1
kept "$C"

# --- a CA that says it deactivated the authorization but keeps reusing it ---
D=ignored.reval.example.test
o0=$(orders)
behind_proxy "$D" ignore
ah_expect_fail 1 "the CA still reuses a valid authorization in order https://[^ ]+ after 3 orders" \
  "--revalidate gives up after three orders, naming the last"
check "three orders were placed, after the one that issued $D" test "$(orders)" -eq $((o0 + 4))
check "two deactivations were asked for (the third order is only looked at)" \
  test "$(ah_proxy_count faults deactivation-ignore)" -eq 2
kept "$D"
ah_run renew --dry-run --cert-name "$D"
ah_expect_ok "a dry run through it still succeeds"
check "it warns that the CA keeps reusing them" \
  ah_output_matches "Could not get fresh authorizations for every name \(the CA keeps reusing them\)"
ah_finish
