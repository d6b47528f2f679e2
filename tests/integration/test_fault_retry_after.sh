#!/usr/bin/env bash
# A CA that asks for a wait far longer than the run may take (Retry-After of
# a billion seconds, then the same as an HTTP-date): the run stops at once,
# exit 1, naming the time the CA gave, and stores nothing.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all --eab PEBBLE_WFE_NONCEREJECT=50

for form in seconds date; do
  if [ "$form" = seconds ]; then ra=1000000000; else ra="date:+1000000000"; fi
  ah_start_faultproxy --seed 7 --methods POST --path '^/order-plz' --rate-503 100 \
    --retry-after "$ra"
  name="$form.later.example.test"
  t0=$(date +%s)
  AH_ISSUE_EXTRA="--timeout 30" ah_issue "$name"
  took=$(( $(date +%s) - t0 ))
  year=$(date -u -d "@$((t0 + 1000000000))" +%Y)
  ah_log "Retry-After as $form: the run took $took s"
  ah_expect_fail 1 "the CA asks to be tried again at $year-[0-9-]+ [0-9:]+ UTC" \
    "Retry-After as $form: exit 1 naming the CA's time ($year)"
  check "Retry-After as $form: the run ended at once ($took s)" test "$took" -lt 10
  check "Retry-After as $form: newOrder was sent once ($(ah_proxy_count kinds newOrder))" \
    test "$(ah_proxy_count kinds newOrder)" -eq 1
  check "Retry-After as $form: nothing stored" test ! -e "$AH_CONFIG/live/$name"
done
ah_finish
