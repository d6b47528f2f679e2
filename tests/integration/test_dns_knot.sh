#!/usr/bin/env bash
# dns-01 through the dns-rfc2136 plugin against Knot DNS as the RFC 2136
# server (other.test on 127.0.0.3), next to BIND (example.test on
# 127.0.0.1); the resolver Pebble asks forwards each zone to its primary.
# Checked: apex + wildcard on Knot; two zones on two servers with two keys
# in one order, routed by cli.ini's [instance]/[routes]; a wrong key against
# Knot names Knot's rcode; a CNAME into a zone the configured server does
# not serve is refused before any order. After each: no _acme-challenge TXT
# left in either server's zones.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=lib_dns.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_dns.sh"
ah_setup
ah_require_bin
ah_dns_init

ah_tsig_key key-example
ah_tsig_key key-other
ah_bind_zone example.test key-example
ah_knot_zone other.test key-other
# away.example.test delegates its challenge into Knot's zone.
ah_zone_add example.test '_acme-challenge.away CNAME _acme-challenge.away.other.test.'
ah_start_knot
ah_start_bind
ah_start_resolver
ah_start_pebble

EXAMPLE="$AH_T/example.ini"
OTHER="$AH_T/other.ini"
ah_credentials "$EXAMPLE" key-example 127.0.0.1
ah_credentials "$OTHER" key-other 127.0.0.3
COMMON=(-n --agree-tos -m knot@example.test --server "$AH_DIR_URL" "${AH_DNS_FLAGS[@]}")
check "Knot's zone is visible through the resolver" \
  test "$(dig +short @127.0.0.1 -p "$AH_DNS_PORT" other.test NS)" = ns1.other.test.

# --- apex + wildcard on Knot ---
ah_run certonly --dns-rfc2136 --dns-rfc2136-credentials "$OTHER" \
  -d other.test -d '*.other.test' "${COMMON[@]}"
ah_expect_ok "certonly --dns-rfc2136 other.test + *.other.test against Knot"
ah_verify_cert other.test other.test '*.other.test'
# Knot's journal holds every change (kjournalprint).
max=$(ah_txt_max_at_once other.test _acme-challenge.other.test)
check "Knot served the apex's and the wildcard's values side by side (max at once: $max)" \
  test "$max" -eq 2
added=$(ah_txt_changed other.test _acme-challenge.other.test add)
check "two values added in Knot's zone" test "$(echo "$added" | grep -c .)" -eq 2
check "exactly those two deleted" \
  test "$added" = "$(ah_txt_changed other.test _acme-challenge.other.test del)"
ah_check_no_acme_txt "no _acme-challenge TXT left after apex + wildcard on Knot"

# --- two zones, two servers, two keys, one order: cli.ini routes ---
cat >"$AH_T/cli.ini" <<EOF
[instance zone-a]
plugin = dns-rfc2136
credentials = $EXAMPLE

[instance zone-b]
plugin = dns-rfc2136
credentials = $OTHER

[routes]
two.example.test = zone-a
*.two.example.test = zone-a
two.other.test = zone-b
EOF
knot_before=$(ah_knot_updates)
ah_run certonly -c "$AH_T/cli.ini" -d two.example.test -d '*.two.example.test' \
  -d two.other.test --cert-name two "${COMMON[@]}"
ah_expect_ok "one order over BIND (key-example) and Knot (key-other) via [instance]/[routes]"
ah_verify_cert two two.example.test '*.two.example.test' two.other.test
check "BIND took two.example.test's values with key-example" \
  grep -q "/key key-example: updating zone 'example.test/IN': adding an RR at '_acme-challenge.two.example.test' TXT" "$AH_BIND_LOG"
check "BIND was not asked to change other.test" \
  bash -c "! grep -q \"updating zone 'other.test\" '$AH_BIND_LOG'"
check "Knot took two.other.test's value (and its deletion)" \
  test "$(ah_knot_updates)" -ge $((knot_before + 2)) -a \
  "$(ah_txt_changed other.test _acme-challenge.two.other.test add | grep -c .)" -eq 1
RENEWAL=$(ah_renewal_conf two)
check "renewal/two.conf routes two.example.test to zone-a" \
  grep -Eq "^[[:space:]]*two\.example\.test[[:space:]]*=.*(zone-a|$(printf '%s' "$EXAMPLE" | sed 's/[.]/\\./g'))" "$RENEWAL"
check "renewal/two.conf routes two.other.test to zone-b" \
  grep -Eq "^[[:space:]]*two\.other\.test[[:space:]]*=.*(zone-b|$(printf '%s' "$OTHER" | sed 's/[.]/\\./g'))" "$RENEWAL"
ah_check_no_acme_txt "no _acme-challenge TXT left on either server after the two-server order"

# --- -a INSTANCE selects a named instance positionally ---
ah_run certonly -c "$AH_T/cli.ini" -a zone-b -d three.other.test "${COMMON[@]}"
ah_expect_ok "-a zone-b routes three.other.test to Knot"
ah_verify_cert three.other.test
ah_check_no_acme_txt "no _acme-challenge TXT left after -a zone-b"

# --- a wrong key against Knot: Knot's rcode named, exit 1, nothing left ---
ah_credentials "$AH_T/other-wrong.ini" key-other 127.0.0.3
sed -i "s|^dns_rfc2136_secret = .*|dns_rfc2136_secret = $(openssl rand -base64 32)|" \
  "$AH_T/other-wrong.ini"
ah_run certonly --dns-rfc2136 --dns-rfc2136-credentials "$AH_T/other-wrong.ini" \
  -d wrong.other.test "${COMMON[@]}"
ah_dns_expect_fail 1 "BADSIG|NOTAUTH" "a wrong secret against Knot fails with the rcode named (exit 1)"
check "the failure names Knot's address" ah_said "127\.0\.0\.3"
check "no lineage for wrong.other.test" test ! -e "$AH_CONFIG/live/wrong.other.test"
ah_check_no_acme_txt "no _acme-challenge TXT left after the wrong key"

# The right key's name with BIND's key (a key Knot knows but does not allow
# for other.test): refused as well.
ah_credentials "$AH_T/other-notallowed.ini" key-example 127.0.0.3
ah_run certonly --dns-rfc2136 --dns-rfc2136-credentials "$AH_T/other-notallowed.ini" \
  -d notallowed.other.test "${COMMON[@]}"
ah_dns_expect_fail 1 "NOTAUTH|REFUSED|BADKEY" "a key Knot does not allow for other.test is refused (exit 1)"
ah_check_no_acme_txt "no _acme-challenge TXT left after the key Knot does not allow"

# --- _acme-challenge.away.example.test is a CNAME into other.test, which
# BIND (this instance's server) does not serve: refused before any order ---
orders=$(ah_pebble_orders)
ah_run certonly --dns-rfc2136 --dns-rfc2136-credentials "$EXAMPLE" -d away.example.test \
  "${COMMON[@]}"
if [ "$AH_RC" -eq 1 ] || [ "$AH_RC" -eq 2 ]; then
  pass "a CNAME into a zone BIND does not serve is refused (exit $AH_RC)"
else
  fail "a CNAME into a zone BIND does not serve is refused (exit $AH_RC, want 1 or 2)"
fi
check "the refusal names the target zone other.test" ah_said "other\.test"
check "Pebble saw no new order (before: $orders, after: $(ah_pebble_orders))" \
  test "$(ah_pebble_orders)" = "$orders"
check "nothing was written at the CNAME's owner" \
  test "$(ah_bind_added example.test _acme-challenge.away.example.test)" = 0
ah_check_no_acme_txt "no _acme-challenge TXT left after the refused CNAME"

# With Knot's credentials the same name works: the record lands in other.test.
ah_run certonly --dns-rfc2136 --dns-rfc2136-credentials "$OTHER" -d away.example.test \
  "${COMMON[@]}"
ah_expect_ok "away.example.test through the CNAME into Knot's zone with key-other"
ah_verify_cert away.example.test
ah_check_no_acme_txt "no _acme-challenge TXT left after the CNAME into Knot"

ah_finish
