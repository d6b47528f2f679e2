#!/usr/bin/env bash
# Pebble rejecting half of all nonces (PEBBLE_WFE_NONCEREJECT=50): the client
# must retry badNonce transparently. Ten issuances, ten valid certificates.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all --eab PEBBLE_WFE_NONCEREJECT=50

for i in $(seq 1 10); do
  name="n$i.nonce.example.test"
  if [ "$i" -eq 1 ]; then
    ah_issue "$name"
  else
    ah_run certonly --webroot -w "$AH_WEBROOT" -d "$name" -n --server "$AH_DIR_URL"
  fi
  ah_expect_ok "issuance $i ($name) despite rejected nonces"
  ah_verify_cert "$name"
done
check "no challenge tokens left" ah_no_tokens
nkeys=$(ah_account_keys | wc -l)
check "one account for all ten (found $nkeys)" test "$nkeys" -eq 1
# Pebble does not log its rejections; show that the setting reached it.
check "Pebble runs with PEBBLE_WFE_NONCEREJECT=50" \
  grep -qz 'PEBBLE_WFE_NONCEREJECT=50' "/proc/$AH_PEBBLE_PID/environ"

ah_finish
