#!/usr/bin/env bash
# An order that stays "processing" after finalize: without a Retry-After
# the run polls until its --timeout and ends within it with exit 1 and one
# line; with a Retry-After far past the deadline it ends at once, naming
# the time the CA gave. Pebble rejects half the nonces.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all --eab PEBBLE_WFE_NONCEREJECT=50

ah_start_faultproxy --seed 41 --order-processing
name=stuck.processing.example.test
t0=$(date +%s)
AH_ISSUE_EXTRA="--timeout 20" ah_issue "$name"
took=$(( $(date +%s) - t0 ))
ah_log "stuck in processing: the run took $took s"
ah_expect_fail 1 'waiting for the certificate: https://127.0.0.1:[0-9]+/my-order/[^ ]+ is still processing at this run.s time limit \(--timeout\)' \
  "an order stuck in processing fails with exit 1 at the deadline"
check "the run ended within the deadline ($took s)" test "$took" -lt 30
check "the proxy held the order in processing ($(ah_proxy_count faults order-processing))" \
  test "$(ah_proxy_count faults order-processing)" -ge 2
check "the error is one line" test "$(grep -c 'error' "$AH_ERR")" -eq 1
check "nothing stored for $name" test ! -e "$AH_CONFIG/live/$name"

ah_start_faultproxy --seed 42 --order-processing --processing-retry-after 1000000000
name=later.processing.example.test
t0=$(date +%s)
AH_ISSUE_EXTRA="--timeout 20" ah_issue "$name"
took=$(( $(date +%s) - t0 ))
year=$(date -u -d "@$((t0 + 1000000000))" +%Y)
ah_log "processing with a far Retry-After: the run took $took s"
ah_expect_fail 1 "is still processing at this run.s time limit \(--timeout\); the CA asks to be tried again at $year-[0-9-]+ [0-9:]+ UTC" \
  "a far Retry-After on the processing order fails at once naming the CA's time ($year)"
check "the run ended at once ($took s)" test "$took" -lt 10
check "the proxy answered processing once ($(ah_proxy_count faults order-processing))" \
  test "$(ah_proxy_count faults order-processing)" -eq 1
check "nothing stored for $name" test ! -e "$AH_CONFIG/live/$name"
ah_finish
