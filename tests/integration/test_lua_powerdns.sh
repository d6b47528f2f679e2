#!/usr/bin/env bash
# dns-01 through the Lua provider examples/lua/providers/powerdns.lua against
# a real PowerDNS Authoritative (its HTTP API standing in for a commercial DNS
# provider; its DNS answers are what Pebble validates): an apex + wildcard
# order, a mixed http-01/dns-01 order, `script test`, a wrong API key, and
# the API key never reaching a log or the output.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=lib_pdns.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_pdns.sh"
ah_setup
ah_require_bin
ah_start_pdns
ah_start_nginx "$AH_T/webroot"
ah_start_pebble PEBBLE_AUTHZREUSE=0

SCRIPT="$AH_REPO_DIR/examples/lua/providers/powerdns.lua"
CRED="$AH_T/powerdns.ini"
ah_pdns_cred "$CRED"
DNSF=(--dns-resolver "127.0.0.1:$AH_PDNS_PORT" --dns-nameserver-port "$AH_PDNS_PORT"
  --dns-propagation-timeout 60)
ACCT=(-n --agree-tos -m admin@example.test --server "$AH_DIR_URL")

check "credentials file is 0600" test "$(stat -c %a "$CRED")" = 600

# --- apex + wildcard: two values at one record name, one rrset ---
ah_run certonly --dns-lua "$SCRIPT" --dns-lua-credentials "$CRED" \
  -d example.test -d '*.example.test' "${DNSF[@]}" "${ACCT[@]}" -v
ah_expect_ok "certonly example.test + *.example.test through the PowerDNS Lua provider"
ah_verify_cert example.test example.test '*.example.test'
check "no _acme-challenge TXT left in PowerDNS (API and dig)" ah_pdns_no_challenges
check "the provider logged its additions" \
  grep -rq "dns-lua.*added TXT" "$AH_LOGDIR"

# --- mixed: http-01 for www through nginx, dns-01 for the apex and wildcard ---
MIXED=www.example.test
ah_run certonly --webroot -w "$AH_WEBROOT" -d "$MIXED" \
  --dns-lua "$SCRIPT" --dns-lua-credentials "$CRED" -d example.test -d '*.example.test' \
  "${DNSF[@]}" "${ACCT[@]}" -v
ah_expect_ok "certonly mixed: --webroot for www, --dns-lua for apex and wildcard"
ah_verify_cert "$MIXED" "$MIXED" example.test '*.example.test'
check "no challenge tokens left in the webroot" ah_no_tokens "$AH_WEBROOT"
check "no _acme-challenge TXT left after the mixed order" ah_pdns_no_challenges

# --- script test ---
ah_run script test "$SCRIPT" --domain example.test --dns-lua-credentials "$CRED" \
  --dns-resolver "127.0.0.1:$AH_PDNS_PORT" --dns-nameserver-port "$AH_PDNS_PORT"
ah_expect_ok "script test passes against PowerDNS"
check "script test prints present with its time" ah_output_matches '^present: ok \([0-9]+ ms\)'
check "script test prints the propagation wait" ah_output_matches '^propagation: .*serves? the value \([0-9]+ ms\)'
check "script test prints cleanup and removal" \
  bash -c "grep -Eq '^cleanup: ok \([0-9]+ ms\)' '$AH_OUT' && grep -Eq '^removal: .*\([0-9]+ ms\)' '$AH_OUT'"
check "script test ends with result: ok" ah_output_matches '^result: ok'
check "script test left no TXT behind" ah_pdns_no_challenges

ah_run script test "$SCRIPT" --domain '*.example.test' --dns-lua-credentials "$CRED" \
  --dns-resolver "127.0.0.1:$AH_PDNS_PORT" --dns-nameserver-port "$AH_PDNS_PORT"
ah_expect_ok "script test of a wildcard name"

# --- a wrong API key fails clearly ---
BAD="$AH_T/powerdns-bad.ini"
BAD_KEY=wrong-$(openssl rand -hex 8)
ah_pdns_cred "$BAD" "$BAD_KEY"
ah_run script test "$SCRIPT" --domain example.test --dns-lua-credentials "$BAD" \
  --dns-resolver "127.0.0.1:$AH_PDNS_PORT" --dns-nameserver-port "$AH_PDNS_PORT"
ah_expect_fail 1 '401|unauthorized' "script test with a wrong api_key: exit 1 naming 401 Unauthorized"
check "the failure names the script and line" ah_output_matches 'powerdns\.lua:[0-9]+:'

ah_run certonly --dns-lua "$SCRIPT" --dns-lua-credentials "$BAD" -d bad.example.test \
  "${DNSF[@]}" "${ACCT[@]}"
ah_expect_fail 1 '401|unauthorized' "certonly with a wrong api_key: exit 1 naming 401 Unauthorized"
check "no lineage for the failed order" test ! -e "$AH_CONFIG/live/bad.example.test"
check "no TXT left after the failed order" ah_pdns_no_challenges

# --- a credentials file others can read is refused before anything runs ---
chmod 644 "$BAD"
ah_run script test "$SCRIPT" --domain example.test --dns-lua-credentials "$BAD" \
  --dns-resolver "127.0.0.1:$AH_PDNS_PORT"
ah_expect_fail 2 'chmod|group|others' "a world-readable credentials file is refused (exit 2)"

# --- the API keys never reach logs or output ---
leaks=$(grep -rlF -e "$AH_PDNS_API_KEY" -e "$BAD_KEY" "$AH_LOGDIR" "$AH_RUNS" 2>/dev/null || true)
check "the API keys appear in no log file and no output${leaks:+ (found in: $leaks)}" test -z "$leaks"
check "the logs dir has log files to search" test -n "$(find "$AH_LOGDIR" -type f | head -1)"

ah_finish
