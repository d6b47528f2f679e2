#!/usr/bin/env bash
# 429 is handled like 503: 30 % of POSTs are answered 429 with a rateLimited
# problem and Retry-After: 1, Pebble rejects half of all nonces, and five
# fresh issuances all succeed.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all --eab PEBBLE_WFE_NONCEREJECT=50
ah_start_faultproxy --seed 429 --methods POST --rate-429 30 --retry-after 1

retried=0
t0=$(date +%s)
for i in $(seq 1 5); do
  name="r$i.limited.example.test"
  ah_issue "$name"
  ah_expect_ok "issuance $i ($name) through 429 answers"
  ah_verify_cert "$name"
  if ah_output_matches 'CA rate limit \(HTTP 429\), retrying in 1 s \(attempt [0-9]+ of 20\)'; then
    retried=$((retried + 1))
  fi
done
ah_log "$retried of 5 issuances needed retries; $(ah_proxy_count faults 429) 429s injected; $(( $(date +%s) - t0 )) s"
check "the proxy injected 429s ($(ah_proxy_count faults 429))" test "$(ah_proxy_count faults 429)" -ge 3
check "the retries were announced ($retried runs)" test "$retried" -ge 2
check "no challenge tokens left" ah_no_tokens
ah_finish
