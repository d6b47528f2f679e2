#!/usr/bin/env bash
# A CA whose Replay-Nonce is sometimes not base64url (half of all answers,
# newNonce's included): the client never signs with such a nonce, fetches a
# fresh one, and every issuance succeeds. Pebble rejects half of all nonces.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all --eab PEBBLE_WFE_NONCEREJECT=50
ah_start_faultproxy --seed 64 --methods ALL --rate-bad-nonce 50

# The deploy hook lists the descriptors it inherited: the connections to
# the CA, still open for reuse, must not be among them (close-on-exec).
printf '#!/bin/sh\nls -l /proc/$$/fd/ >>"%s"\n' "$AH_T/hook-fds.txt" >"$AH_T/fds.sh"
chmod 755 "$AH_T/fds.sh"

t0=$(date +%s)
for i in $(seq 1 5); do
  name="n$i.badnonce.example.test"
  AH_ISSUE_EXTRA="--deploy-hook $AH_T/fds.sh" ah_issue "$name"
  ah_expect_ok "issuance $i ($name) despite malformed nonces"
  ah_verify_cert "$name"
done
ah_log "$(ah_proxy_count faults bad-nonce) malformed nonces in $(ah_proxy_count requests HEAD)" \
  "HEADs and $(ah_proxy_count requests POST) POSTs; $(( $(date +%s) - t0 )) s"
check "the proxy sent malformed nonces ($(ah_proxy_count faults bad-nonce))" \
  test "$(ah_proxy_count faults bad-nonce)" -ge 10
# Pebble logs the nonce of each JWS it rejects as malformed; none may be ours.
check "Pebble never saw the malformed nonce" \
  bash -c '! grep -q "not/base64url" "$1"' _ "$AH_PEBBLE_LOG"
check "the deploy hook ran five times" test "$(grep -c ' 0 -> ' "$AH_T/hook-fds.txt")" -eq 5
check "the deploy hook inherited no socket" bash -c '! grep -q "socket:" "$1"' _ "$AH_T/hook-fds.txt"
check "no challenge tokens left" ah_no_tokens
ah_finish
