#!/usr/bin/env bash
# A request the CA answers only after the run's time limit: the request is
# cut at the deadline (--timeout), not at the HTTP client's own timeout, and
# the run ends with exit 1, one clear line, and the challenge cleaned up.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all --eab PEBBLE_WFE_NONCEREJECT=50 PEBBLE_AUTHZREUSE=0
ah_start_faultproxy --seed 1 --delay-path '^/chalZ/' --delay 90

name=delay.example.test
t0=$(date +%s)
AH_ISSUE_EXTRA="--timeout 15" ah_issue "$name"
took=$(( $(date +%s) - t0 ))
ah_log "the run took $took s"
ah_expect_fail 1 'time limit|--timeout' "a challenge answer delayed past --timeout 15 fails the run"
check "the run ended near its 15 s limit, not at the 60 s request timeout ($took s)" \
  test "$took" -lt 25
check "the error is one line" test "$(grep -c 'acmehook: error:' "$AH_ERR")" -eq 1
check "the delay was injected" test "$(ah_proxy_count faults delay)" -ge 1
check "the token was removed" ah_no_tokens "$AH_WEBROOT"
check "nothing stored for $name" test ! -e "$AH_CONFIG/live/$name"
ah_finish
