#!/usr/bin/env bash
# A request that stalls while a challenge is out (the proxy reads the
# challenge answer and never replies; the run has SIGTERM blocked then so
# that cleanup runs): SIGTERM ends the run within 2 s, not at the transfer's
# timeout, and the token is gone from the webroot.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all --eab PEBBLE_WFE_NONCEREJECT=50 PEBBLE_AUTHZREUSE=0
ah_start_faultproxy --seed 1 --stall-path '^/chalZ/'

name=stall.example.test
tokens="$AH_WEBROOT/.well-known/acme-challenge"
setsid "$AH_BIN" certonly --webroot -w "$AH_WEBROOT" -d "$name" -n --agree-tos \
  -m test@example.test --eab-kid "$AH_EAB_KID" --eab-hmac-key "$AH_EAB_KEY" \
  --server "$AH_DIR_URL" --config-dir "$AH_CONFIG" --work-dir "$AH_WORK" \
  --logs-dir "$AH_LOGDIR" --ca-bundle "$AH_CA_BUNDLE" \
  >"$AH_T/stall.out" 2>"$AH_T/stall.err" </dev/null &
pid=$!
stalled=0
for _ in $(seq 1 300); do
  if [ "$(ah_proxy_count faults stall)" -ge 1 ]; then stalled=1; break; fi
  sleep 0.1
done
check "the challenge answer is stalled" test "$stalled" = 1
check "the token is out while the answer stalls" test -n "$(ls -A "$tokens" 2>/dev/null)"
t0=$(date +%s%N)
kill -s TERM "$pid"
rc=0
wait "$pid" || rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ah_log "exited $ms ms after SIGTERM (rc $rc)"
check "acmehook exits within 2 s of SIGTERM ($ms ms)" test "$ms" -lt 2000
check "acmehook exits 1 (rc $rc)" test "$rc" -eq 1
check "the error says it was interrupted" grep -qi "interrupted by signal" "$AH_T/stall.err"
check "the token was removed" ah_no_tokens "$AH_WEBROOT"
check "nothing stored for $name" test ! -e "$AH_CONFIG/live/$name"
ah_finish
