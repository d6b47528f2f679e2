#!/usr/bin/env bash
# renew --parallel: ten lineages renewed four at a time over one directory
# fetch, one account, one nonce pool and a connection per thread (one
# connection for each single issuance before them); then the same with one lineage
# broken (the CA refuses its name): the nine others renew, each lineage's
# results stay together on stdout, the pre and post hooks run once, and the
# exit is 1 naming the broken one, whose certificate is untouched.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=lib_testpoints.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_testpoints.sh"
ah_setup
ah_require_bin
tp_require_testpoints
# Every renewal presents its challenge: no authorization is reused.
ah_start_all PEBBLE_AUTHZREUSE=0
# The broken lineage is one whose name the CA refuses once REFUSED lists
# it: unlike a failing validation, that cannot be passed by an
# authorization the CA reuses.
REFUSED="$AH_T/refused-names"
ah_start_faultproxy --seed 1 --refuse-names-file "$REFUSED"

names=()
for i in 0 1 2 3 4 5 6 7 8 9; do names+=("p$i.parallel.example.test"); done
BROKEN=${names[6]}
for n in "${names[@]}"; do
  conns0=$(ah_proxy_count connections tls)
  ah_run certonly --webroot -w "$AH_WEBROOT" -d "$n" -n --agree-tos -m test@example.test \
    --server "$AH_DIR_URL"
  ah_expect_ok "certonly $n"
  conns=$(($(ah_proxy_count connections tls) - conns0))
  # One kept-alive connection carries the whole issuance, newOrder and
  # finalize included.
  check "certonly $n used one connection ($conns)" test "$conns" -eq 1
done

tokens() { find "$AH_WEBROOT/.well-known/acme-challenge" -type f 2>/dev/null | wc -l; }
tokens_at_least() { [ "$(tokens)" -ge "$1" ]; }

# --- four at once, proven by four challenges out together ---
# Each worker pauses once its challenge is answered, before it is cleaned
# up: run one after another, there is never more than one token out.
# The account record is set aside, so the run has to look the account up
# by its key: once for all ten lineages.
find "$AH_CONFIG/accounts" -name regr.json -exec mv {} {}.aside \;
dirs0=$(ah_proxy_count kinds dir)
nonces0=$(ah_proxy_count kinds nonce)
accts0=$(ah_proxy_count accepted newAccount)
orders0=$(ah_proxy_count accepted newOrder)
challs0=$(ah_proxy_count accepted challenge)
conns0=$(ah_proxy_count connections tls)
# Orders placed and challenges answered by this run so far (requests the CA
# took: a rejected nonce is retried and counted once). A paused worker
# holds its order open, so orders in flight are the lineages renewed at
# once. Pebble 2.4 hands back an already valid authorization about once in
# a hundred even at PEBBLE_AUTHZREUSE=0, so tokens are checked against the
# challenges answered.
# A lineage whose authorization Pebble reused has no challenge to pause
# at: its worker stores it and takes the next lineage, so orders of
# lineages already renewed are not in flight.
renewed() {
  local n k=0
  for n in "${names[@]}"; do
    [ "$(ah_archive_versions "$n")" -ge 2 ] && k=$((k + 1))
  done
  echo "$k"
}
in_flight() { echo $(($(ah_proxy_count accepted newOrder) - orders0 - $(renewed))); }
answered() { echo $(($(ah_proxy_count accepted challenge) - challs0)); }
four_in_flight() { [ "$(in_flight)" -ge 4 ] && [ "$(tokens)" -ge "$(answered)" ]; }
tp_start pid run1 ACMEHOOK_TESTPOINT=challenges-answered -- \
  renew --force-renewal --parallel 4
if tp_until 60 tp_reached challenges-answered && tp_until 60 four_in_flight; then
  pass "four lineages had their orders and challenges out at once"
else
  fail "four lineages had their orders and challenges out at once ($(in_flight) orders, $(tokens) tokens)"
  tp_show run1
fi
# Such a worker may still be storing its lineage when the others pause;
# once it pauses at its next one, four are in flight, never five.
four_exactly() { [ "$(in_flight)" -eq 4 ]; }
if tp_until 30 four_exactly; then
  pass "no more than four at once ($(in_flight) orders)"
else
  fail "no more than four at once ($(in_flight) orders)"
fi
check "every challenge answered is still out ($(tokens) tokens, $(answered) answered)" \
  test "$(tokens)" -eq "$(answered)" -a "$(tokens)" -ge 2
tp_release challenges-answered
tp_wait "$pid"
check "renew --parallel 4 over ten lineages exits 0 (rc $TP_RC)" test "$TP_RC" -eq 0
[ "$TP_RC" -eq 0 ] || tp_show run1
for n in "${names[@]}"; do
  check "$n has version 2" test "$(ah_archive_versions "$n")" -eq 2
  ah_verify_cert "$n"
done
dirs=$(($(ah_proxy_count kinds dir) - dirs0))
nonces=$(($(ah_proxy_count kinds nonce) - nonces0))
accts=$(($(ah_proxy_count accepted newAccount) - accts0))
check "the directory was fetched once for ten lineages ($dirs)" test "$dirs" -eq 1
check "the account was looked up once for ten lineages ($accts)" test "$accts" -eq 1
check "at most one nonce asked for per thread ($nonces)" test "$nonces" -le 4
conns=$(($(ah_proxy_count connections tls) - conns0))
check "at most one connection per thread ($conns)" test "$conns" -ge 1 -a "$conns" -le 4
check "the account record is back" test -n "$(find "$AH_CONFIG/accounts" -name regr.json)"
check "no tokens left" ah_no_tokens

# --- one broken lineage among ten ---
echo "$BROKEN" >"$REFUSED"
cp "$AH_CONFIG/live/$BROKEN/cert.pem" "$AH_T/broken-cert.pem"
cp "$AH_CONFIG/live/$BROKEN/privkey.pem" "$AH_T/broken-key.pem"
HOOKLOG="$AH_T/hooks.log"
: >"$HOOKLOG"
ah_run renew --force-renewal --parallel 4 \
  --pre-hook "echo pre >>'$HOOKLOG'" --post-hook "echo post >>'$HOOKLOG'" \
  --deploy-hook "echo \"deploy \$RENEWED_LINEAGE\" >>'$HOOKLOG'"
ah_expect_fail 1 "renewing $BROKEN failed" "renew with $BROKEN broken exits 1 naming it"
check "the run says one renewal failed" ah_output_matches '1 of the renewals failed'
for n in "${names[@]}"; do
  [ "$n" = "$BROKEN" ] && continue
  check "$n has version 3" test "$(ah_archive_versions "$n")" -eq 3
  ah_verify_cert "$n"
done
check "$BROKEN has no new version" test "$(ah_archive_versions "$BROKEN")" -eq 2
check "$BROKEN's live certificate is unchanged" \
  cmp -s "$AH_T/broken-cert.pem" "$AH_CONFIG/live/$BROKEN/cert.pem"
check "$BROKEN's live key is unchanged" \
  cmp -s "$AH_T/broken-key.pem" "$AH_CONFIG/live/$BROKEN/privkey.pem"
check "the pre-hook ran once" test "$(grep -c '^pre$' "$HOOKLOG")" -eq 1
check "the post-hook ran once" test "$(grep -c '^post$' "$HOOKLOG")" -eq 1
check "the pre-hook ran first and the post-hook last" \
  test "$(head -n 1 "$HOOKLOG") $(tail -n 1 "$HOOKLOG")" = "pre post"
check "the deploy hook ran for each of the nine" test "$(grep -c '^deploy ' "$HOOKLOG")" -eq 9
# Each lineage's results are one block: its "saved at" lines follow each
# other, whatever the other threads printed meanwhile.
block_whole() {
  grep -A1 "^Certificate is saved at: .*/live/$1/fullchain.pem$" "$AH_OUT" |
    tail -n 1 | grep -q "^Key is saved at: .*/live/$1/privkey.pem$"
}
for n in "${names[@]}"; do
  [ "$n" = "$BROKEN" ] && continue
  check "$n's results are printed together" block_whole "$n"
done
check "log lines name their lineage" grep -q "^$BROKEN: " "$AH_ERR"
check "the CA's refusal is named" grep -q "rejectedIdentifier\|policy forbids issuing for $BROKEN" "$AH_ERR"
check "no tokens left" ah_no_tokens
ah_finish
