#!/usr/bin/env bash
# http-01 served by the standalone plugin, with Pebble's httpPort pointed at
# --http-01-port: issuance and renewal (the port and address kept in the
# renewal file); nothing listens after a run; while an order is paused
# after answering, unknown tokens, other paths and other methods are
# refused and a client that never finishes its request blocks no one; a
# port in use fails with one line naming the port and address; standalone
# and webroot names in one order.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=lib_testpoints.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_testpoints.sh"
ah_setup
ah_require_bin
tp_require_testpoints
ah_start_dns
# No nginx yet: AH_HTTP_PORT is reserved by ah_start_pebble for us to serve.
ah_start_pebble
PORT=$AH_HTTP_PORT
COMMON=(-n --agree-tos -m standalone@example.test --server "$AH_DIR_URL")

# curl's exit code for http://ADDR:PORT/ (7: nothing listens).
curl_rc() {
  local rc=0
  curl -s -o /dev/null --max-time 5 "http://$1:$PORT/" || rc=$?
  echo "$rc"
}
port_closed() { [ "$(curl_rc 127.0.0.1)" = 7 ]; }
# http_code PATH [CURL-ARGS...]: the status of a request to the standalone port.
http_code() {
  local path=$1
  shift
  curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@" "http://127.0.0.1:$PORT$path" || true
}

# --- issuance on every address, then renewal from the renewal file ---
check "nothing listens on port $PORT before the run" port_closed
ah_run certonly --standalone --http-01-port "$PORT" -d sa.example.test "${COMMON[@]}"
ah_expect_ok "certonly --standalone --http-01-port $PORT"
ah_verify_cert sa.example.test
check "nothing listens on port $PORT after the run" port_closed
CONF="$AH_CONFIG/renewal/sa.example.test.conf"
check "the renewal file routes the name to standalone on port $PORT" \
  grep -qx "sa.example.test = standalone; http01_port=$PORT" "$CONF"
before=$(ah_serial "$AH_CONFIG/live/sa.example.test/cert.pem")
ah_run renew --force-renewal
ah_expect_ok "renew --force-renewal with the stored port"
ah_verify_cert sa.example.test
check "renewal made a new certificate" \
  test "$(ah_serial "$AH_CONFIG/live/sa.example.test/cert.pem")" != "$before"
check "nothing listens on port $PORT after the renewal" port_closed

# --- while the order is paused after answering, the server answers only
# its own tokens, and a stalled client does not hold it up ---
tp_start pid paused ACMEHOOK_TESTPOINT=challenges-answered:pause -- \
  certonly --standalone --http-01-port "$PORT" --http-01-address 127.0.0.1 \
  -d paused.example.test "${COMMON[@]}"
if tp_until 60 tp_reached challenges-answered; then
  pass "the order paused after answering its challenge"
  # A client that sends half a request line and then nothing.
  exec 3<>"/dev/tcp/127.0.0.1/$PORT"
  printf 'GET /.well-known/acme-chall' >&3
  check "an unknown token is 404 while a stalled client is connected" \
    test "$(http_code /.well-known/acme-challenge/unknownTokenAAAAAAAAAAAAAAA)" = 404
  check "a path outside acme-challenge is 404" test "$(http_code /index.html)" = 404
  check "a token with a dot is 404" \
    test "$(http_code /.well-known/acme-challenge/abc.def)" = 404
  check "POST is 405" test "$(http_code /.well-known/acme-challenge/x -X POST)" = 405
  exec 3>&-
  big=$(head -c 6000 /dev/zero | tr '\0' a)
  check "a 6000-byte header is refused with 431" \
    test "$(http_code / -H "X-Big: $big")" = 431
else
  fail "the order did not reach the pause point"
  tp_show paused
fi
tp_release challenges-answered
tp_wait "$pid"
check "the paused run went on to succeed (exit $TP_RC)" test "$TP_RC" = 0
ah_verify_cert paused.example.test
check "nothing listens on 127.0.0.1:$PORT after the paused run" port_closed

# --- the port is taken ---
ah_port BUSY
ah_spawn busy "$AH_LOGS/busy.log" python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen()
time.sleep(600)' "$BUSY"
ah_wait_for busy "$AH_LAST_PID" 20 bash -c "exec 3<>/dev/tcp/127.0.0.1/$BUSY" ||
  ah_die "the port-taking listener did not start on $BUSY"
ah_run certonly --standalone --http-01-port "$BUSY" -d busy.example.test "${COMMON[@]}"
ah_expect_fail 1 "port $BUSY on 0\.0\.0\.0 is in use" \
  "a port in use fails with exit 1 naming the port and the address"
check "the error is one line" test "$(grep -c error "$AH_ERR")" -eq 1
check "nothing stored for busy.example.test" test ! -e "$AH_CONFIG/live/busy.example.test"

# --- standalone and webroot in one order: the webroot name resolves to
# 127.0.0.2, where nginx listens on the same port Pebble fetches ---
ah_start_nginx "$AH_T/webroot" 127.0.0.2
curl -sf --max-time 5 -X POST -d '{"host":"web.example.test","addresses":["127.0.0.2"]}' \
  "$AH_DNS_MGMT/add-a" >/dev/null || ah_die "cannot point web.example.test at 127.0.0.2"
ah_run certonly --webroot -w "$AH_WEBROOT" -d web.example.test \
  --standalone --http-01-address 127.0.0.1 --http-01-port "$PORT" -d mixed.example.test \
  "${COMMON[@]}"
ah_expect_ok "one order with a webroot name and a standalone name"
ah_verify_cert web.example.test web.example.test mixed.example.test
CONF="$AH_CONFIG/renewal/web.example.test.conf"
check "the webroot name keeps its webroot route" \
  grep -qx "web.example.test = webroot; webroot-path=$AH_WEBROOT" "$CONF"
check "the standalone name keeps its address and port" \
  grep -qx "mixed.example.test = standalone; http01_address=127.0.0.1; http01_port=$PORT" "$CONF"
check "the webroot's token files are gone" ah_no_tokens
check "nothing listens on 127.0.0.1:$PORT after the mixed run" port_closed
ah_finish
