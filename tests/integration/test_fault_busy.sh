#!/usr/bin/env bash
# A busy CA: 30 % of POSTs are answered 503 with a rateLimited problem and
# Retry-After: 1 (through tests/integration/faultproxy.py), while Pebble
# itself rejects half of all nonces. Every one of ten fresh issuances must
# ride through and yield a certificate that verifies.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all --eab PEBBLE_WFE_NONCEREJECT=50
ah_start_faultproxy --seed 503 --methods POST --rate-503 30 --retry-after 1

retried=0
t0=$(date +%s)
for i in $(seq 1 10); do
  name="b$i.busy.example.test"
  ah_issue "$name"
  ah_expect_ok "issuance $i ($name) through a busy CA"
  ah_verify_cert "$name"
  if ah_output_matches 'CA busy \(HTTP 503\), retrying in 1 s \(attempt [0-9]+ of 20\)'; then
    retried=$((retried + 1))
  fi
done
ah_log "$retried of 10 issuances needed retries; $(ah_proxy_count faults 503) 503s injected" \
  "in $(ah_proxy_count requests POST) POSTs; $(( $(date +%s) - t0 )) s"
check "the proxy injected 503s ($(ah_proxy_count faults 503))" test "$(ah_proxy_count faults 503)" -ge 10
check "the retries were announced ($retried runs)" test "$retried" -ge 5
check "no challenge tokens left" ah_no_tokens
check "Pebble runs with PEBBLE_WFE_NONCEREJECT=50" \
  grep -qz 'PEBBLE_WFE_NONCEREJECT=50' "/proc/$AH_PEBBLE_PID/environ"
ah_finish
