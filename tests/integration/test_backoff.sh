#!/usr/bin/env bash
# A lineage whose renewal keeps failing (its webroot is not the one the web
# server serves, so Pebble finds no token): after the second failure in a
# row `renew` pauses it for an hour, records failures/backoff/next_attempt,
# skips it with one line and exit 0 while the pause lasts (placing no
# order), and `certificates` says why; the operator's own certonly is not
# held back and lengthens the pause; once fixed, --force-renewal renews at
# once and the record forgets the failures.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all --eab

B=backoff.example.test
CONF="$AH_CONFIG/renewal/$B.conf"
STATUS="$AH_CONFIG/status/$B.json"
UNSERVED="$AH_T/unserved"
mkdir -p "$UNSERVED"
# field KEY: KEY of B's status record ("" when absent).
field() {
  python3 -c 'import json, sys
v = json.load(open(sys.argv[1])).get(sys.argv[2], "")
print(str(v).lower() if isinstance(v, bool) else (int(v) if isinstance(v, float) else v))' \
    "$STATUS" "$1"
}
# cert_field KEY: KEY of B's entry in the last `certificates --json`.
cert_field() {
  python3 -c 'import json, sys
for c in json.load(open(sys.argv[1])):
    if c["name"] == sys.argv[2]:
        print(c.get(sys.argv[3], ""))' "$AH_OUT" "$B" "$1"
}
orders() { grep -c 'POST /order-plz' "$AH_PEBBLE_LOG" || true; }
near() { local d=$(($1 - $2)); [ "${d#-}" -le 120 ]; }

ah_issue "$B"
ah_expect_ok "certonly $B"
# Break it: its webroot is a directory nginx does not serve, and a second
# name makes it due.
sed -i "s|webroot-path=$AH_WEBROOT|webroot-path=$UNSERVED|" "$CONF"
sed -i "s/^\($B\) = \(.*\)$/\1 = \2\nwww.\1 = \2/" "$CONF"
check "the renewal file now routes to the unserved webroot" grep -q "webroot-path=$UNSERVED" "$CONF"

ah_run renew
ah_expect_fail 1 "$B" "the first failed renewal exits 1"
check "one failure recorded" test "$(field failures)" = 1
check "no pause after one failure" test -z "$(field next_attempt)"

ah_run renew
ah_expect_fail 1 "$B" "the second failed renewal exits 1"
now=$(date +%s)
check "two failures recorded" test "$(field failures)" = 2
check "the record says renew pauses" test "$(field backoff)" = true
check "for an hour ($(field next_attempt) vs $now)" near "$(field next_attempt)" $((now + 3600))

before=$(orders)
ah_run renew
ah_expect_ok "renew during the pause exits 0"
check "it says why it skips, with the last error" \
  ah_output_matches "Certificate $B: 2 attempts in a row failed \(last: .+\); the next is not before [0-9-]+ [0-9:]+ UTC; skipping"
check "no order was placed during the pause" test "$(orders)" = "$before"
check "the skip is no new failure" test "$(field failures)" = 2
ah_run renew -q
ah_expect_ok "renew -q during the pause"
check "renew -q prints nothing during the pause" test -z "$AH_STDOUT$AH_STDERR"

ah_run certificates --json
check "certificates: next renewal reason is backoff" test "$(cert_field next_renewal_reason)" = backoff
check "certificates: two failures" test "$(cert_field failures)" = 2
check "certificates: next attempt reason is backoff" test "$(cert_field next_attempt_reason)" = backoff
check "certificates: the last outcome is failed" test "$(cert_field last_outcome)" = failed
ah_run certificates
check "certificates (text) says renew pauses" ah_output_matches "Next Attempt: not before .*renew pauses after failures in a row"

# The operator's certonly is not held back by the pause, and a third
# failure doubles it.
before=$(orders)
ah_run certonly --cert-name "$B" -d "$B" -d "www.$B" --webroot -w "$UNSERVED" -n --server "$AH_DIR_URL"
ah_expect_fail 1 "$B" "certonly during the pause tries, and fails again"
now=$(date +%s)
check "certonly placed an order" test "$(orders)" -gt "$before"
check "three failures recorded" test "$(field failures)" = 3
check "the pause is now two hours" near "$(field next_attempt)" $((now + 7200))

# Fixed: the pause still holds plain renew, --force-renewal renews now.
sed -i "s|webroot-path=$UNSERVED|webroot-path=$AH_WEBROOT|" "$CONF"
ah_run renew
ah_expect_ok "renew after the fix, still paused"
check "it still skips" ah_output_matches "3 attempts in a row failed"
ah_run renew --force-renewal
ah_expect_ok "renew --force-renewal after the fix"
ah_verify_cert "$B" "$B" "www.$B"
check "the record forgets the failures" test -z "$(field failures)"
check "and the pause" test -z "$(field next_attempt)$(field backoff)"
check "the last outcome is renewed" test "$(field last_outcome)" = renewed

ah_finish
