# shellcheck shell=bash
# Helpers for tests that steer acmehook through its test points (see
# core/base/testpoint.h) and run several acmehook processes at once.
# Source after lib.sh and ah_setup.
#
# A test that needs test points calls tp_require_testpoints first: a binary
# built without them (-DACMEHOOK_TESTPOINTS=ON) fails the test, it is not
# skipped. tests/CMakeLists.txt lists such tests as disabled in builds
# without the option, by this function's name at the start of a line.

tp_require_testpoints() {
  "$AH_BIN" --version 2>/dev/null | grep -q testpoints ||
    ah_die "$AH_BIN has no test points: configure with -DACMEHOOK_TESTPOINTS=ON (tests/run.sh does)"
  TP_DIR="$AH_T/testpoints"
  mkdir -p "$TP_DIR"
}

# tp_start VAR TAG [ENV=VALUE...] -- ARGS...: start acmehook ARGS in the
# background with this test's directories (AH_CONFIG, AH_WORK, AH_LOGDIR,
# read now) and the CA bundle, and ENV set (ACMEHOOK_TESTPOINT_DIR always).
# Stores the pid in VAR; stdout and stderr go to AH_RUNS/TAG.out and .err.
# The process is stopped at exit like the servers. TP_GATE, when set, is a
# file the process waits for before it starts, so that several start at
# the same instant.
tp_start() {
  local __var=$1 tag=$2
  shift 2
  local envs=(ACMEHOOK_TESTPOINT_DIR="${TP_DIR:-$AH_T}")
  while [ $# -gt 0 ] && [ "$1" != -- ]; do
    envs+=("$1")
    shift
  done
  [ "${1:-}" = -- ] && shift
  local argv=("$@" --config-dir "$AH_CONFIG" --work-dir "$AH_WORK" --logs-dir "$AH_LOGDIR"
    --ca-bundle "$AH_CA_BUNDLE")
  # No random sleep before renewing (see ah_run).
  if [ "${1:-}" = renew ]; then argv+=(--no-random-sleep-on-renew); fi
  printf 'acmehook %s\n' "${argv[*]}" >"$AH_RUNS/$tag.cmd"
  (
    if [ -n "${TP_GATE:-}" ]; then
      while [ ! -e "$TP_GATE" ]; do sleep 0.01; done
    fi
    exec env -u ACMEHOOK_CA_BUNDLE -u ACMEHOOK_TESTPOINT "${envs[@]}" \
      timeout -k 5 150 "$AH_BIN" "${argv[@]}"
  ) >"$AH_RUNS/$tag.out" 2>"$AH_RUNS/$tag.err" </dev/null &
  local __pid=$!
  AH_PIDS+=("$__pid")
  AH_PID_NAMES+=("acmehook $tag")
  echo "$__pid" >>"$AH_T/.pids"
  printf -v "$__var" '%s' "$__pid"
}

# tp_wait PID: wait for a process of tp_start; sets TP_RC to its status.
# shellcheck disable=SC2034 # TP_RC is read by the tests
tp_wait() {
  TP_RC=0
  wait "$1" || TP_RC=$?
  # Forget the pid: once reaped it may be reused by another test's
  # process, which the exit trap must not signal.
  local i keep=() names=()
  for i in "${!AH_PIDS[@]}"; do
    if [ "${AH_PIDS[$i]}" != "$1" ]; then
      keep+=("${AH_PIDS[$i]}")
      names+=("${AH_PID_NAMES[$i]}")
    fi
  done
  AH_PIDS=("${keep[@]}")
  AH_PID_NAMES=("${names[@]}")
  printf '%s\n' "${AH_PIDS[@]}" >"$AH_T/.pids"
}

# tp_show TAG: what run TAG printed (for failure messages).
tp_show() {
  printf '  run %s: %s\n' "$1" "$(cat "$AH_RUNS/$1.cmd" 2>/dev/null)"
  sed 's/^/  stdout| /' "$AH_RUNS/$1.out" 2>/dev/null | tail -n 10
  sed 's/^/  stderr| /' "$AH_RUNS/$1.err" 2>/dev/null | tail -n 20
}

# tp_until SECONDS CMD...: poll CMD every 50 ms until it succeeds; returns 1
# when the time runs out.
tp_until() {
  local n=0 max=$(($1 * 20))
  shift
  while [ $n -lt $max ]; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.05
    n=$((n + 1))
  done
  return 1
}

# tp_reached POINT: a paused process has reached POINT.
tp_reached() { [ -e "$TP_DIR/$1.reached" ]; }

# tp_release POINT: let the process paused at POINT go on.
tp_release() { : >"$TP_DIR/$1.go"; }

# tp_reset POINT: forget that POINT was reached and released.
tp_reset() { rm -f "$TP_DIR/$1.reached" "$TP_DIR/$1.go"; }

# tp_account_count FILENAME: how many files of that name AH_CONFIG/accounts holds.
tp_account_count() {
  find "$AH_CONFIG/accounts" -type f -name "$1" 2>/dev/null | wc -l
}

# tp_pair_matches NAME: live/NAME's private key is the key of its cert.
tp_pair_matches() {
  local kc kk
  kc=$(ah_pubkey "$AH_CONFIG/live/$1/cert.pem" cert)
  kk=$(ah_pubkey "$AH_CONFIG/live/$1/privkey.pem" key)
  [ -n "$kc" ] && [ "$kc" = "$kk" ]
}

# tp_orders_added: how many orders Pebble has created so far, counted by
# the "Added order" lines of its log (AH_PEBBLE_LOG).
tp_orders_added() {
  grep -c 'Added order' "$AH_PEBBLE_LOG" 2>/dev/null || true
}

# tp_order_record NAME / tp_order_key NAME: the record acmehook keeps in
# the work dir while lineage NAME's order runs, and the certificate key
# recorded with it.
tp_order_record() { printf '%s\n' "$AH_WORK/orders/$1.json"; }
tp_order_key() { printf '%s\n' "$AH_WORK/orders/$1.key.pem"; }
