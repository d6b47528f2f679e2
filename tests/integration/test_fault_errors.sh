#!/usr/bin/env bash
# A failing front end: 15 % of all requests are answered 500 with an HTML
# body and 10 % of all connections are reset before the TLS handshake (every
# answer closes its connection, so each request opens one), while Pebble
# rejects half of all nonces. Ten of ten fresh issuances must succeed.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all --eab PEBBLE_WFE_NONCEREJECT=50
ah_start_faultproxy --seed 500 --methods ALL --rate-500 15 --rate-reset 10 \
  --reset-stage accept --close

retried=0
t0=$(date +%s)
for i in $(seq 1 10); do
  name="e$i.errors.example.test"
  ah_issue "$name"
  ah_expect_ok "issuance $i ($name) through 500s and resets"
  ah_verify_cert "$name"
  if ah_output_matches 'retrying in [0-9.]+ s \(attempt ([2-9]|1[0-2]) of 12\)'; then
    retried=$((retried + 1))
  fi
done
ah_log "$retried of 10 issuances needed retries; $(ah_proxy_count faults 500) 500s and" \
  "$(ah_proxy_count faults reset) resets in $(ah_proxy_count requests POST) POSTs," \
  "$(ah_proxy_count requests HEAD) HEADs, $(ah_proxy_count requests GET) GETs; $(( $(date +%s) - t0 )) s"
check "the proxy answered 500s ($(ah_proxy_count faults 500))" test "$(ah_proxy_count faults 500)" -ge 10
check "the proxy reset connections ($(ah_proxy_count faults reset))" test "$(ah_proxy_count faults reset)" -ge 5
check "a 500 was announced as a CA error" \
  grep -qE 'CA error \(HTTP 500\), retrying in [0-9.]+ s \(attempt 2 of 12\)' "$AH_RUNS"/*.err
check "a reset was announced as unreachable" \
  grep -qE 'cannot reach https://127.0.0.1:[0-9]+/.*; retrying in [0-9.]+ s \(attempt 2 of 12\)' "$AH_RUNS"/*.err
check "no challenge tokens left" ah_no_tokens
ah_finish
