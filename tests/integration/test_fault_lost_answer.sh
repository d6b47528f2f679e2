#!/usr/bin/env bash
# The CA acts on a request that is not safe to repeat, and its answer is
# lost (the connection is reset after Pebble answered). A lost newOrder is
# found among the account's orders and adopted instead of placing a second
# one; a lost finalize is followed by polling the order, not by a second
# finalize. Both runs succeed, with Pebble rejecting half the nonces.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=lib_testpoints.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_testpoints.sh"
ah_setup
ah_require_bin
ah_start_all --eab PEBBLE_WFE_NONCEREJECT=50

# An account first, through Pebble directly, so the lost order is the only
# order the account has and the count below is this run's alone.
AH_ISSUE_EXTRA="--timeout 60" ah_issue first.lost.example.test
ah_expect_ok "a first issuance registers the account"
before=$(tp_orders_added)

ah_start_faultproxy --seed 21 --reset-after-forward-path '^/order-plz'
name=order.lost.example.test
AH_ISSUE_EXTRA="--timeout 60" ah_issue "$name" "www.$name"
ah_expect_ok "issuance succeeds although the newOrder answer was lost"
ah_verify_cert "$name" "$name" "www.$name"
check "the proxy reset the newOrder answer ($(ah_proxy_count faults reset-after-forward))" \
  test "$(ah_proxy_count faults reset-after-forward)" -ge 1
added=$(( $(tp_orders_added) - before ))
check "Pebble created exactly one order for $name ($added)" test "$added" -eq 1
check "Pebble accepted one newOrder ($(ah_proxy_count accepted newOrder))" \
  test "$(ah_proxy_count accepted newOrder)" -eq 1
check "the account's order list was read" \
  grep -q 'POST /list-orderz/' "$AH_PROXY_LOG"
check "the run says it adopted the order" \
  grep -q 'Adopting order https://127.0.0.1:[0-9]*/my-order/' "$AH_ERR" "$AH_OUT"

ah_start_faultproxy --seed 22 --reset-after-forward-path '^/finalize-order/'
name=finalize.lost.example.test
AH_ISSUE_EXTRA="--timeout 60" ah_issue "$name"
ah_expect_ok "issuance succeeds although the finalize answer was lost"
ah_verify_cert "$name"
check "the proxy reset the finalize answer ($(ah_proxy_count faults reset-after-forward))" \
  test "$(ah_proxy_count faults reset-after-forward)" -eq 1
check "Pebble accepted one finalize ($(ah_proxy_count accepted finalize))" \
  test "$(ah_proxy_count accepted finalize)" -eq 1
check "the run says it checked the order instead" \
  grep -q 'The answer to finalize was lost' "$AH_ERR" "$AH_OUT"
check "no challenge tokens left" ah_no_tokens
ah_finish
