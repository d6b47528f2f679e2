#!/usr/bin/env bash
# SIGTERM during renew --parallel 3 while three lineages have their
# challenges out (the proxy reads each challenge answer and never replies):
# the signal reaches one thread, which passes it on; every token is
# removed, no lineage gets a new version, no further lineage is started,
# and the run exits 1 saying it was interrupted.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=lib_testpoints.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_testpoints.sh"
ah_setup
ah_require_bin
# tp_start's helpers, without test points.
TP_DIR="$AH_T/testpoints"
mkdir -p "$TP_DIR"
ah_start_all PEBBLE_AUTHZREUSE=0

names=()
for i in 0 1 2 3 4 5; do names+=("s$i.parallel.example.test"); done
for n in "${names[@]}"; do
  ah_run certonly --webroot -w "$AH_WEBROOT" -d "$n" -n --agree-tos -m test@example.test \
    --server "$AH_DIR_URL"
  ah_expect_ok "certonly $n"
done
# The lineages renew through the proxy, which stalls every challenge answer.
ah_start_faultproxy --seed 1 --stall-path '^/chalZ/'

tokens() { find "$AH_WEBROOT/.well-known/acme-challenge" -type f 2>/dev/null | wc -l; }
stalled_at_least() { [ "$(ah_proxy_count faults stall)" -ge "$1" ]; }
tp_start pid run -- renew --force-renewal --parallel 3 --server "$AH_DIR_URL" --agree-tos
if tp_until 60 stalled_at_least 3; then
  pass "three challenge answers are stalled at once"
else
  fail "three challenge answers are stalled at once ($(ah_proxy_count faults stall))"
  tp_show run
fi
check "three tokens are out ($(tokens))" test "$(tokens)" -eq 3
kill -s TERM "$pid"
tp_wait "$pid"
check "renew exits 1 (rc $TP_RC)" test "$TP_RC" -eq 1
check "the error says it was interrupted" grep -qi "interrupted by a signal" "$AH_RUNS/run.err"
check "three lineages were stopped, three not started" \
  grep -q "3 of 6 renewals failed and 3 were not started" "$AH_RUNS/run.err"
check "every token was removed" ah_no_tokens
check "no more challenges were answered" test "$(ah_proxy_count faults stall)" -eq 3
for n in "${names[@]}"; do
  check "$n has no new version" test "$(ah_archive_versions "$n")" -eq 1
  ah_verify_cert "$n"
done
[ "$AH_FAILED" -eq 0 ] || tp_show run
ah_finish
