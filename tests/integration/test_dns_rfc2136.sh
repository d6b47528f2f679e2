#!/usr/bin/env bash
# dns-01 through the dns-rfc2136 plugin against BIND (RFC 2136 + TSIG):
# an apex and its wildcard in one order (both values at one owner at once,
# each deleted alone); webroot and rfc2136 mixed in one order, and renewed
# with the same routes; a CNAME-delegated name written in the delegated zone
# with that zone's key; a wrong TSIG secret; a wildcard routed to the webroot
# refused before any order; a lagging authoritative server named on timeout;
# the credentials file's permissions. After each: no _acme-challenge TXT left.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=lib_dns.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_dns.sh"
ah_setup
ah_require_bin
ah_dns_init

# example.test and lag.test take key-example; delegated.test, where
# _acme-challenge.cname.example.test points, takes only key-delegated.
ah_tsig_key key-example
ah_tsig_key key-delegated
ah_bind_zone example.test key-example
ah_bind_zone delegated.test key-delegated
ah_bind_zone lag.test key-example
ah_zone_add example.test '_acme-challenge.cname CNAME _acme-challenge.cname.delegated.test.'
# www.mix gets its own address: _acme-challenge.mix makes mix.example.test a
# node, which the zone's wildcard no longer covers below.
ah_zone_add example.test 'www.mix A 127.0.0.1'
ah_start_stale_secondary lag.test
ah_start_bind
ah_start_resolver
ah_start_nginx "$AH_T/webroot"
ah_start_pebble

CREDS="$AH_T/example.ini"
ah_credentials "$CREDS" key-example 127.0.0.1
ah_credentials "$AH_T/delegated.ini" key-delegated 127.0.0.1
COMMON=(-n --agree-tos -m dns@example.test --server "$AH_DIR_URL" "${AH_DNS_FLAGS[@]}")
check "servers up: example.test NS reachable through the resolver" \
  test "$(dig +short @127.0.0.1 -p "$AH_DNS_PORT" example.test NS)" = ns1.example.test.

# --- the credentials file must be private ---
chmod 644 "$CREDS"
orders=$(ah_pebble_orders)
ah_run certonly --dns-rfc2136 --dns-rfc2136-credentials "$CREDS" -d perm.example.test "${COMMON[@]}"
ah_dns_expect_fail 2 "$(printf '%s' "$CREDS" | sed 's/[.]/\\./g')" \
  "a group/world-readable credentials file is refused (exit 2, naming it)"
check "no order placed with a readable credentials file" test "$(ah_pebble_orders)" = "$orders"
chmod 600 "$CREDS"

# --- apex + wildcard in one order: two values at _acme-challenge.example.test
# at once, and a value that is not ours survives both cleanups ---
ah_nsupdate key-example 127.0.0.1 example.test \
  'add _acme-challenge.example.test 60 TXT not-ours' >/dev/null ||
  ah_die "cannot add a foreign TXT value with nsupdate"
ah_run certonly --dns-rfc2136 --dns-rfc2136-credentials "$CREDS" \
  -d example.test -d '*.example.test' "${COMMON[@]}"
ah_expect_ok "certonly --dns-rfc2136 example.test + *.example.test"
ah_verify_cert example.test example.test '*.example.test'
# BIND's journal holds every change: the two values must have been in the
# zone together, and each deletion must remove a value the run added.
ACME=_acme-challenge.example.test
max=$(ah_txt_max_at_once example.test "$ACME" not-ours)
check "the apex's and the wildcard's values were served side by side (max at once: $max)" \
  test "$max" -eq 2
added=$(ah_txt_changed example.test "$ACME" add not-ours)
deleted=$(ah_txt_changed example.test "$ACME" del not-ours)
check "two values added at $ACME ($(echo "$added" | tr '\n' ' '))" test "$(echo "$added" | grep -c .)" -eq 2
check "exactly those two values deleted" test "$added" = "$deleted"
if ah_txt_history example.test "$ACME" | grep -qx 'del not-ours'; then
  fail "the value that is not ours was never deleted"
else
  pass "the value that is not ours was never deleted"
fi
check "the foreign value at _acme-challenge.example.test survived cleanup" \
  test "$(ah_txt _acme-challenge.example.test)" = not-ours
check "cleanup deleted single values, never the whole TXT RRset" \
  test "$(ah_bind_rrset_deleted example.test _acme-challenge.example.test)" = 0
check "two values deleted at _acme-challenge.example.test" \
  test "$(ah_bind_deleted example.test _acme-challenge.example.test)" -ge 2
ah_nsupdate key-example 127.0.0.1 example.test \
  'delete _acme-challenge.example.test TXT not-ours' >/dev/null
ah_check_no_acme_txt "no _acme-challenge TXT left after apex + wildcard"
check "the secret is in no log or output" bash -c \
  "! grep -rqF -- '$(ah_tsig_secret key-example)' '$AH_LOGDIR' '$AH_RUNS' 2>/dev/null"

# --- mixed: webroot for www, rfc2136 for the name and its wildcard ---
MIX=mix.example.test
ah_run certonly --webroot -w "$AH_WEBROOT" -d "www.$MIX" \
  --dns-rfc2136 --dns-rfc2136-credentials "$CREDS" -d "$MIX" -d "*.$MIX" \
  --cert-name "$MIX" "${COMMON[@]}"
ah_expect_ok "certonly --webroot www.$MIX + --dns-rfc2136 $MIX, *.$MIX"
ah_verify_cert "$MIX" "www.$MIX" "$MIX" "*.$MIX"
check "$MIX and *.$MIX went through DNS (2 values added)" \
  test "$(ah_txt_changed example.test "_acme-challenge.$MIX" add | grep -c .)" -eq 2
check "www.$MIX did not go through DNS" \
  test "$(ah_bind_added example.test "_acme-challenge.www.$MIX")" = 0
check "www.$MIX went through the webroot (nginx served a token)" \
  grep -q 'GET /.well-known/acme-challenge/[A-Za-z0-9_-]* HTTP/1.1" 200' "$AH_LOGS/nginx-access.log"
check "no challenge tokens left in the webroot" ah_no_tokens "$AH_WEBROOT"
ah_check_no_acme_txt "no _acme-challenge TXT left after the mixed order"
RENEWAL=$(ah_renewal_conf "$MIX")
check "renewal/$MIX.conf routes www.$MIX to the webroot" \
  grep -Eq "^[[:space:]]*www\.mix\.example\.test[[:space:]]*=.*webroot" "$RENEWAL"
check "renewal/$MIX.conf routes $MIX to dns-rfc2136" \
  grep -Eq "^[[:space:]]*mix\.example\.test[[:space:]]*=.*dns-rfc2136" "$RENEWAL"
check "renewal/$MIX.conf routes *.$MIX to dns-rfc2136" \
  grep -Eq "^[[:space:]]*\*\.mix\.example\.test[[:space:]]*=.*dns-rfc2136" "$RENEWAL"
check "renewal/$MIX.conf records the credentials file" grep -qF "$CREDS" "$RENEWAL"
check "renewal/$MIX.conf holds no TSIG secret" \
  bash -c "! grep -qF -- '$(ah_tsig_secret key-example)' '$RENEWAL'"

# --- renew --force-renewal: the same routes, from the renewal file alone ---
added_before=$(ah_bind_added example.test "_acme-challenge.$MIX")
ah_run renew --force-renewal
ah_expect_ok "renew --force-renewal of the mixed lineage"
check "renew made version 2 of $MIX" test "$(ah_archive_versions "$MIX")" -eq 2
ah_verify_cert "$MIX" "www.$MIX" "$MIX" "*.$MIX"
check "the renewed certificate is new" \
  bash -c "test -s '$AH_CONFIG/archive/$MIX/cert2.pem' &&
    ! cmp -s '$AH_CONFIG/archive/$MIX/cert1.pem' '$AH_CONFIG/archive/$MIX/cert2.pem'"
# Pebble may reuse valid authorizations, so a renewal may need no new record;
# when it did need some, they went to DNS again (never to the webroot).
added_after=$(ah_bind_added example.test "_acme-challenge.$MIX")
ah_log "renew added $((added_after - added_before)) TXT values at _acme-challenge.$MIX"
check "renew wrote no DNS record for the webroot name" \
  test "$(ah_bind_added example.test "_acme-challenge.www.$MIX")" = 0
check "no challenge tokens left after renew" ah_no_tokens "$AH_WEBROOT"
ah_check_no_acme_txt "no _acme-challenge TXT left after renew"

# --- CNAME: _acme-challenge.cname.example.test points into delegated.test,
# which only key-delegated may change. example.test's key is refused there:
# the record is written in the delegated zone, not at the CNAME ---
CN=cname.example.test
ah_run certonly --dns-rfc2136 --dns-rfc2136-credentials "$CREDS" -d "$CN" "${COMMON[@]}"
ah_dns_expect_fail 1 "delegated\.test" "example.test's key cannot write the CNAME's target zone (exit 1, names delegated.test)"
check "the refusal names BIND's rcode (REFUSED)" ah_said "REFUSED"
check "nothing was written at the CNAME's owner" \
  test "$(ah_bind_added example.test "_acme-challenge.$CN")" = 0
check "no lineage for $CN after the refused update" test ! -e "$AH_CONFIG/live/$CN"
ah_check_no_acme_txt "no _acme-challenge TXT left after the refused CNAME update"

ah_run certonly --dns-rfc2136 --dns-rfc2136-credentials "$AH_T/delegated.ini" -d "$CN" \
  "${COMMON[@]}"
ah_expect_ok "certonly $CN with delegated.test's key"
ah_verify_cert "$CN"
check "the TXT was added in delegated.test at the CNAME's target" \
  test "$(ah_txt_changed delegated.test _acme-challenge.cname.delegated.test add | grep -c .)" -eq 1
check "it was added with key-delegated" \
  grep -q "/key key-delegated: updating zone 'delegated.test/IN': adding an RR at '_acme-challenge.cname.delegated.test' TXT" "$AH_BIND_LOG"
check "and the same value deleted again" test \
  "$(ah_txt_changed delegated.test _acme-challenge.cname.delegated.test add)" = \
  "$(ah_txt_changed delegated.test _acme-challenge.cname.delegated.test del)"
ah_check_no_acme_txt "no _acme-challenge TXT left after the CNAME order"

# --- a wrong TSIG secret: BIND says NOTAUTH (BADSIG), exit 1, nothing left ---
ah_credentials "$AH_T/wrong.ini" key-example 127.0.0.1
sed -i "s|^dns_rfc2136_secret = .*|dns_rfc2136_secret = $(openssl rand -base64 32)|" "$AH_T/wrong.ini"
ah_run certonly --dns-rfc2136 --dns-rfc2136-credentials "$AH_T/wrong.ini" -d bad.example.test \
  "${COMMON[@]}"
ah_dns_expect_fail 1 "BADSIG|NOTAUTH" "a wrong TSIG secret fails with BIND's rcode named (exit 1)"
check "the failure names the server" ah_said "127\.0\.0\.1"
check "no lineage for bad.example.test" test ! -e "$AH_CONFIG/live/bad.example.test"
check "the wrong secret is in no log or output" bash -c \
  "! grep -rqF -- \"\$(sed -n 's/^dns_rfc2136_secret = //p' '$AH_T/wrong.ini')\" '$AH_LOGDIR' '$AH_RUNS'"
ah_check_no_acme_txt "no _acme-challenge TXT left after the wrong secret"

# --- a wildcard routed to the webroot: exit 2 before any order ---
orders=$(ah_pebble_orders)
ah_run certonly --webroot -w "$AH_WEBROOT" -d web.example.test -d '*.web.example.test' \
  "${COMMON[@]}"
ah_dns_expect_fail 2 "\*\.web\.example\.test" "a wildcard routed to --webroot is refused (exit 2, naming it)"
check "the refusal says dns-01 is needed" ah_said "dns-01|dns"
check "Pebble saw no new order (before: $orders, after: $(ah_pebble_orders))" \
  test "$(ah_pebble_orders)" = "$orders"

# --- a lagging authoritative server: lag.test's NS set is BIND (127.0.0.1)
# and a stale secondary (127.0.0.2) that never gets the record ---
ah_run certonly --dns-rfc2136 --dns-rfc2136-credentials "$CREDS" -d lag.test \
  --dns-propagation-timeout 3 "${COMMON[@]}"
ah_dns_expect_fail 1 "127\.0\.0\.2" "propagation timeout names the lagging server 127.0.0.2 (exit 1)"
check "the timeout names the record" ah_said "_acme-challenge\.lag\.test|lag\.test"
check "the primary got the record during the run" \
  test "$(ah_bind_added lag.test _acme-challenge.lag.test)" -ge 1
check "and it was cleaned up after the timeout" \
  test "$(ah_bind_deleted lag.test _acme-challenge.lag.test)" -ge 1
check "no lineage for lag.test" test ! -e "$AH_CONFIG/live/lag.test"
ah_check_no_acme_txt "no _acme-challenge TXT left after the propagation timeout"

ah_finish
