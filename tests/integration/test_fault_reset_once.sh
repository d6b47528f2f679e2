#!/usr/bin/env bash
# Resets after the request was read, when the CA may have acted: requests
# that are safe to repeat (POST-as-GET, challenge answers) are sent again
# and the issuance succeeds; a newOrder is sent again only after the
# account's orders show that the CA did not create it, and when that one
# is lost too the run fails with exit 1 naming the lost connection.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all --eab PEBBLE_WFE_NONCEREJECT=50

ah_start_faultproxy --seed 11 --methods POST --path '^/(authZ|chalZ|my-order|certZ)/' \
  --rate-reset 40 --reset-stage request
for i in 1 2 3; do
  name="s$i.safe.example.test"
  ah_issue "$name"
  ah_expect_ok "issuance $i ($name) through resets of repeatable requests"
  ah_verify_cert "$name"
done
check "the proxy reset requests ($(ah_proxy_count faults reset))" \
  test "$(ah_proxy_count faults reset)" -ge 3

ah_start_faultproxy --seed 12 --methods POST --path '^/order-plz' --rate-reset 100 \
  --reset-stage request
name=once.example.test
ah_issue "$name"
ah_expect_fail 1 'placing the order: cannot reach https://127.0.0.1:[0-9]+/order-plz' \
  "a reset newOrder fails the run with exit 1"
# After each reset the account's orders are searched; only when the CA has
# no such order is it placed again, once.
check "newOrder was sent twice ($(ah_proxy_count kinds newOrder))" \
  test "$(ah_proxy_count kinds newOrder)" -eq 2
check "the account's orders were searched before placing it again" \
  grep -q 'The CA has no such order; placing it again' "$AH_ERR"
check "nothing stored for $name" test ! -e "$AH_CONFIG/live/$name"
check "no challenge tokens left" ah_no_tokens

# A CA's http:// address is the server's problem, not a usage error.
ah_run certonly --webroot -w "$AH_WEBROOT" -d plain.example.test -n \
  --server "http://127.0.0.1:$AH_PEBBLE_PORT/dir"
ah_expect_fail 1 'only https:// URLs are allowed' "an http:// server fails with exit 1"
ah_finish
