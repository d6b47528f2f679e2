#!/usr/bin/env bash
# A CA that forgets the stored account (here: Pebble restarted on the same
# URL, as after a CA reset or migration) answers accountDoesNotExist. acmehook
# sets the old record aside and registers the same key again, but only under
# the conditions of a first registration (terms agreed), and says so.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all

ah_run certonly --webroot -w "$AH_WEBROOT" -d first.forgot.example.test -n --agree-tos \
  --server "$AH_DIR_URL"
ah_expect_ok "issue with a new account"
regr=$(find "$AH_CONFIG/accounts" -name regr.json | head -n 1)
key=$(find "$AH_CONFIG/accounts" -name private_key.pem | head -n 1)
uri_before=$(grep -o '"uri"[^,}]*' "$regr")
key_before=$(md5sum <"$key")

# Restart Pebble on the same ports: same directory URL, no accounts.
kill -TERM -- "-$AH_PEBBLE_PID" 2>/dev/null || kill -TERM "$AH_PEBBLE_PID"
while kill -0 "$AH_PEBBLE_PID" 2>/dev/null; do sleep 0.1; done
ah_spawn pebble "$AH_PEBBLE_LOG" env PEBBLE_VA_NOSLEEP=1 \
  pebble -config "$AH_T/pebble/pebble.json" -dnsserver "127.0.0.1:$AH_DNS_PORT"
AH_PEBBLE_PID=$AH_LAST_PID
ah_wait_for pebble "$AH_PEBBLE_PID" 30 curl -sf --max-time 2 --cacert "$AH_CA_BUNDLE" "$AH_DIR_URL" ||
  ah_die "Pebble did not come back"
ah_wait_for pebble-mgmt "$AH_PEBBLE_PID" 30 \
  curl -sf --max-time 2 --cacert "$AH_CA_BUNDLE" "$AH_MGMT/roots/0" || ah_die "no management API"
rm -f "$AH_T/pebble-root.pem" # a new Pebble has a new root

# Without --agree-tos the new registration is refused, clearly, and the old
# record is kept aside rather than lost.
ah_run certonly --webroot -w "$AH_WEBROOT" -d second.forgot.example.test -n --server "$AH_DIR_URL"
ah_expect_fail 2 'agree-tos' "forgotten account, no --agree-tos: exit 2 naming --agree-tos"
check "the CA's answer was reported" grep -q "no longer knows" "$AH_ERR"
check "the old record is kept as regr.json.forgotten" test -s "$regr.forgotten"
check "no lineage for the refused run" test ! -e "$AH_CONFIG/live/second.forgot.example.test"

ah_run certonly --webroot -w "$AH_WEBROOT" -d second.forgot.example.test -n --agree-tos \
  --server "$AH_DIR_URL"
ah_expect_ok "forgotten account, --agree-tos: registered again and issued"
ah_verify_cert second.forgot.example.test
uri_after=$(grep -o '"uri"[^,}]*' "$regr" || true)
check "a new account URL was recorded ($uri_after)" test -n "$uri_after" -a "$uri_after" != "$uri_before"
check "the same account key was kept" test "$(md5sum <"$key")" = "$key_before"
check "no challenge tokens left" ah_no_tokens "$AH_WEBROOT"
ah_finish
