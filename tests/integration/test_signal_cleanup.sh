#!/usr/bin/env bash
# Cleanup on signals: while the CA is still validating (its http-01 fetch
# goes to a server that accepts and never answers), SIGTERM or SIGINT makes
# acmehook remove the token it placed, exit non-zero and store nothing.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_dns

# A TCP server that accepts connections and never answers keeps Pebble's
# validation, and so the order, pending for as long as the test needs.
ah_port AH_HTTP_PORT
export AH_HTTP_PORT
ah_spawn blackhole "$AH_LOGS/blackhole.log" python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(64)
held = []
while True:
    c, _ = s.accept()
    held.append(c)
' "$AH_HTTP_PORT"
ah_start_pebble PEBBLE_AUTHZREUSE=0

AH_WEBROOT="$AH_T/webroot"
mkdir -p "$AH_WEBROOT"
tokens="$AH_WEBROOT/.well-known/acme-challenge"

for sig in TERM INT; do
  name="sig$(echo "$sig" | tr 'A-Z' 'a-z').example.test"
  setsid "$AH_BIN" certonly --webroot -w "$AH_WEBROOT" -d "$name" -n --agree-tos \
    --server "$AH_DIR_URL" --config-dir "$AH_CONFIG" --work-dir "$AH_WORK" \
    --logs-dir "$AH_LOGDIR" --ca-bundle "$AH_CA_BUNDLE" \
    >"$AH_T/$sig.out" 2>"$AH_T/$sig.err" </dev/null &
  pid=$!
  seen=0
  for _ in $(seq 1 300); do
    if [ -n "$(ls -A "$tokens" 2>/dev/null)" ]; then seen=1; break; fi
    sleep 0.1
  done
  check "SIG$sig: the token was placed while validation is pending" test "$seen" = 1
  sleep 1
  kill -s "$sig" "$pid"
  rc=0
  wait "$pid" || rc=$?
  check "SIG$sig: acmehook exits non-zero (rc $rc)" test "$rc" -ne 0
  check "SIG$sig: the error says it was interrupted" grep -qi "signal" "$AH_T/$sig.err"
  check "SIG$sig: the token was removed" ah_no_tokens "$AH_WEBROOT"
  check "SIG$sig: nothing stored for $name" test ! -e "$AH_CONFIG/live/$name"
done
ah_finish
