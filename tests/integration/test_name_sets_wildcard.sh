#!/usr/bin/env bash
# A wildcard and its base name are different sets: `-d '*.W'` (dns-01)
# and then `-d W` (http-01) make W (the wildcard, untouched) and W-0001;
# the other way round, `-d V` and then `-d '*.V'` make V and V-0001. Both
# lineages of each pair verify, and `renew` finds all four not due.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=lib_dns.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_dns.sh"
ah_setup
ah_require_bin
ah_start_example_zone
ah_start_nginx "$AH_T/webroot"
ah_start_pebble

CREDS="$AH_T/example.ini"
ah_credentials "$CREDS" key-example 127.0.0.1
COMMON=(-n --agree-tos -m dns@example.test --server "$AH_DIR_URL" "${AH_DNS_FLAGS[@]}")
DNS=(--dns-rfc2136 --dns-rfc2136-credentials "$CREDS")
WEB=(--webroot -w "$AH_WEBROOT")
serial() { ah_serial "$AH_CONFIG/live/$1/cert.pem"; }

# --- the wildcard first ---
W=wild.example.test
ah_run certonly "${DNS[@]}" -d "*.$W" "${COMMON[@]}"
ah_expect_ok "certonly --dns-rfc2136 -d *.$W"
ah_verify_cert "$W" "*.$W"
s1=$(serial "$W")
ah_run certonly "${WEB[@]}" -d "$W" "${COMMON[@]}"
ah_expect_ok "certonly --webroot -d $W"
check "it said it makes the new lineage $W-0001" ah_output_matches "$W-0001: a new lineage for $W"
ah_verify_cert "$W" "*.$W"
check "the wildcard certificate is the same one" test "$(serial "$W")" = "$s1"
check "the wildcard lineage is still version 1" test "$(ah_archive_versions "$W")" -eq 1
ah_verify_cert "$W-0001" "$W"

# --- the base name first ---
V=apex.example.test
ah_run certonly "${WEB[@]}" -d "$V" "${COMMON[@]}"
ah_expect_ok "certonly --webroot -d $V"
s1=$(serial "$V")
ah_run certonly "${DNS[@]}" -d "*.$V" "${COMMON[@]}"
ah_expect_ok "certonly --dns-rfc2136 -d *.$V"
ah_verify_cert "$V" "$V"
check "the $V certificate is the same one" test "$(serial "$V")" = "$s1"
ah_verify_cert "$V-0001" "*.$V"

ah_run renew "${AH_DNS_FLAGS[@]}"
ah_expect_ok "renew"
for l in "$W" "$W-0001" "$V" "$V-0001"; do
  check "renew: $l is not yet due" ah_output_matches "certificate $l is not yet due"
done
ah_check_no_acme_txt
ah_finish
