# shellcheck shell=bash
# Shared harness for acmehook integration tests. Source it, then call ah_setup.
#
# Every test runs its own servers (pebble-challtestsrv for DNS, nginx for the
# webroot, Pebble as the CA) on free loopback ports in its own temporary
# directory, so tests can run in parallel (ctest -j). Everything started here is
# stopped by the EXIT trap; the directory is removed unless AH_KEEP=1.
#
# Environment read: AH_BIN (the acmehook binary; defaults to build/bin/acmehook
# of this checkout), AH_KEEP=1 (keep the temp dir), AH_RUN_TIMEOUT (seconds per
# acmehook run, default 240), TMPDIR.

AH_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
AH_REPO_DIR=$(cd "$AH_LIB_DIR/../.." && pwd)
: "${AH_BIN:=$AH_REPO_DIR/build/bin/acmehook}"
: "${AH_TESTS_DIR:=$AH_REPO_DIR/tests}"
: "${AH_TEST_DATA:=$AH_TESTS_DIR/data}"
export AH_BIN AH_TESTS_DIR AH_TEST_DATA

AH_PASSED=0
AH_FAILED=0
AH_PIDS=()          # process ids (each its own process group via setsid)
AH_PID_NAMES=()
AH_PORT_LOCKS=()    # reservation dirs to remove at exit
AH_PORT_LOCK_ROOT="${TMPDIR:-/tmp}/acmehook-test-ports"
AH_TEST_NAME=$(basename "${0%.sh}")

# ---------------------------------------------------------------- reporting

ah_log() { printf '%s: %s\n' "$AH_TEST_NAME" "$*" >&2; }

pass() {
  AH_PASSED=$((AH_PASSED + 1))
  printf 'PASS: %s\n' "$*"
}

fail() {
  AH_FAILED=$((AH_FAILED + 1))
  printf 'FAIL: %s\n' "$*"
  # Show what the last acmehook run said: that is usually why.
  if [ -n "${AH_OUT:-}" ] && [ -f "${AH_OUT:-}" ] && [ "${AH_SHOWN_RUN:-}" != "$AH_RUN_SEQ" ]; then
    AH_SHOWN_RUN=$AH_RUN_SEQ
    printf '  last run: %s (exit %s)\n' "${AH_LAST_CMD:-?}" "${AH_RC:-?}"
    sed 's/^/  stdout| /' "$AH_OUT" | tail -n 20
    sed 's/^/  stderr| /' "$AH_ERR" | tail -n 30
  fi
}

# check DESCRIPTION COMMAND...: pass if COMMAND succeeds, else fail.
check() {
  local desc=$1
  shift
  if "$@"; then pass "$desc"; else fail "$desc"; fi
}

# Fatal: count a failure and stop the test (the EXIT trap still cleans up).
ah_die() {
  fail "$*"
  exit 1
}

# ah_finish: the closing line; exit status says whether anything failed.
ah_finish() {
  local total=$((AH_PASSED + AH_FAILED))
  if [ "$total" -eq 0 ]; then
    AH_FAILED=1
    printf 'FAIL: no checks ran\n'
  fi
  printf 'integration: %d passed, %d failed\n' "$AH_PASSED" "$AH_FAILED"
  AH_FINISHED=1
  [ "$AH_FAILED" -eq 0 ]
}

# ------------------------------------------------------------------ setup

ah_setup() {
  umask 022
  AH_T=$(mktemp -d "${TMPDIR:-/tmp}/acmehook-${AH_TEST_NAME}.XXXXXX")
  chmod 755 "$AH_T"
  AH_LOGS="$AH_T/server-logs"
  AH_CONFIG="$AH_T/config"
  AH_WORK="$AH_T/work"
  AH_LOGDIR="$AH_T/logs"
  AH_RUNS="$AH_T/runs"
  mkdir -p "$AH_LOGS" "$AH_RUNS"
  AH_RUN_SEQ=0
  export AH_T AH_CONFIG AH_WORK AH_LOGDIR
  trap ah_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 129' HUP
  ah__start_watchdog
  for tool in openssl curl dig ss setsid timeout; do
    command -v "$tool" >/dev/null 2>&1 || ah_die "missing tool: $tool (run tests/deps.sh)"
  done
  ah_log "temp dir $AH_T"
}

# If this shell is killed outright (SIGKILL from a test runner's timeout), the
# EXIT trap never runs: a detached watchdog then stops the servers listed in
# AH_T/.pids and removes AH_T.
ah__start_watchdog() {
  : >"$AH_T/.pids"
  setsid bash -c '
    parent=$1 t=$2 keep=$3 locks=$4
    while kill -0 "$parent" 2>/dev/null; do sleep 2; done
    for f in "$locks"/*/pid; do
      [ "$(cat "$f" 2>/dev/null)" = "$parent" ] && rm -rf "${f%/pid}"
    done
    [ -f "$t/.pids" ] || exit 0
    while read -r p; do kill -KILL -- "-$p" 2>/dev/null || kill -KILL "$p" 2>/dev/null; done <"$t/.pids"
    [ "$keep" = 1 ] || rm -rf "$t"
  ' ah-watchdog "$$" "$AH_T" "${AH_KEEP:-0}" "$AH_PORT_LOCK_ROOT" </dev/null >/dev/null 2>&1 &
  AH_WATCHDOG_PID=$!
}

ah_cleanup() {
  local rc=$? i pid
  trap - EXIT INT TERM HUP
  # Output may go to a closed pipe (`| head`): keep cleaning up regardless.
  trap '' PIPE
  set +e
  # Stop in reverse start order: the CA first, then the services it talks to.
  for ((i = ${#AH_PIDS[@]} - 1; i >= 0; i--)); do
    pid=${AH_PIDS[$i]}
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
  done
  for ((i = ${#AH_PIDS[@]} - 1; i >= 0; i--)); do
    pid=${AH_PIDS[$i]}
    local n=0
    while kill -0 "$pid" 2>/dev/null && [ $n -lt 50 ]; do
      sleep 0.1
      n=$((n + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
      ah_log "${AH_PID_NAMES[$i]} (pid $pid) ignored SIGTERM; killing"
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
    fi
    # Children left in the group (nginx workers) get the same treatment.
    kill -KILL -- "-$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  for d in "${AH_PORT_LOCKS[@]}"; do rm -rf "$d"; done
  if [ "$rc" -ne 0 ] || [ "$AH_FAILED" -ne 0 ]; then
    ah_dump_logs 2>/dev/null
  fi
  if [ "${AH_FINISHED:-0}" != 1 ]; then
    [ "$rc" -eq 0 ] || [ "$AH_FAILED" -ne 0 ] || AH_FAILED=1
    printf 'integration: %d passed, %d failed\n' "$AH_PASSED" "$AH_FAILED" 2>/dev/null
  fi
  if [ -n "${AH_T:-}" ] && [ -d "$AH_T" ]; then
    if [ "${AH_KEEP:-0}" = 1 ]; then
      ah_log "kept $AH_T"
    else
      rm -rf "$AH_T"
    fi
  fi
  if [ -n "${AH_WATCHDOG_PID:-}" ]; then
    kill "$AH_WATCHDOG_PID" 2>/dev/null
    wait "$AH_WATCHDOG_PID" 2>/dev/null
  fi
  if [ "$rc" -eq 0 ] && [ "$AH_FAILED" -ne 0 ]; then rc=1; fi
  exit "$rc"
}

ah_dump_logs() {
  local f
  [ -d "${AH_LOGS:-}" ] || return 0
  for f in "$AH_LOGS"/*.log; do
    [ -s "$f" ] || continue
    printf -- '----- tail of %s -----\n' "$(basename "$f")"
    tail -n 25 "$f"
  done
  if [ -d "${AH_LOGDIR:-}" ]; then
    for f in "$AH_LOGDIR"/*; do
      [ -f "$f" ] || continue
      printf -- '----- tail of acmehook log %s -----\n' "$(basename "$f")"
      tail -n 40 "$f"
    done
  fi
}

# ------------------------------------------------------------------ ports

# ah_free_port: print a loopback port that nothing listens on (TCP or UDP)
# and that no other test of this suite has reserved. Ports come from below
# the kernel's ephemeral range so outgoing connections cannot take them.
ah_free_port() {
  local p d owner tries=0
  mkdir -p "$AH_PORT_LOCK_ROOT" 2>/dev/null
  while [ $tries -lt 500 ]; do
    tries=$((tries + 1))
    p=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
    d="$AH_PORT_LOCK_ROOT/$p"
    if ! mkdir "$d" 2>/dev/null; then
      # Reclaim reservations of test processes that no longer exist.
      owner=$(cat "$d/pid" 2>/dev/null || true)
      if [ -n "$owner" ] && ! kill -0 "$owner" 2>/dev/null; then
        rm -rf "$d"
      fi
      continue
    fi
    echo $$ >"$d/pid"
    if ss -Htauln 2>/dev/null | awk '{print $5}' | grep -qE "[:.]$p\$"; then
      rm -rf "$d"
      continue
    fi
    AH_PORT_LOCKS+=("$d")
    echo "$p"
    return 0
  done
  echo "ah_free_port: no free port found" >&2
  return 1
}

# ah_port VAR: like ah_free_port but stores into VAR, so the reservation is
# remembered by this shell (a $(...) subshell would lose it).
ah_port() {
  local __p
  __p=$(ah_free_port) || ah_die "no free port"
  AH_PORT_LOCKS+=("$AH_PORT_LOCK_ROOT/$__p")
  printf -v "$1" '%s' "$__p"
}

# ------------------------------------------------------------- processes

# ah_spawn NAME LOGFILE CMD...: start CMD in its own session/process group.
ah_spawn() {
  local name=$1 log=$2
  shift 2
  setsid "$@" >>"$log" 2>&1 </dev/null &
  local pid=$!
  AH_PIDS+=("$pid")
  AH_PID_NAMES+=("$name")
  echo "$pid" >>"$AH_T/.pids"
  AH_LAST_PID=$pid
}

# ah_wait_for NAME PID SECONDS CMD...: poll CMD until it succeeds; fail if
# the process dies or the time runs out.
ah_wait_for() {
  local name=$1 pid=$2 secs=$3
  shift 3
  local n=0 max=$((secs * 10))
  while [ $n -lt $max ]; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      ah_log "$name exited during startup"
      return 1
    fi
    sleep 0.1
    n=$((n + 1))
  done
  ah_log "$name did not become ready in ${secs}s"
  return 1
}

# ---------------------------------------------------------------- servers

# ah_start_dns: pebble-challtestsrv with only its DNS server; every A query
# answers 127.0.0.1, AAAA answers nothing. Exports AH_DNS_PORT, AH_DNS_MGMT.
ah_start_dns() {
  ah_port AH_DNS_PORT
  ah_port AH_DNS_MGMT_PORT
  AH_DNS_MGMT="http://127.0.0.1:$AH_DNS_MGMT_PORT"
  export AH_DNS_PORT AH_DNS_MGMT
  ah_spawn challtestsrv "$AH_LOGS/challtestsrv.log" \
    pebble-challtestsrv -http01 "" -https01 "" -tlsalpn01 "" \
    -dns01 "127.0.0.1:$AH_DNS_PORT" -management "127.0.0.1:$AH_DNS_MGMT_PORT" \
    -defaultIPv4 127.0.0.1 -defaultIPv6 ""
  ah_wait_for challtestsrv "$AH_LAST_PID" 20 ah__dns_ready ||
    ah_die "DNS server (pebble-challtestsrv) did not start on port $AH_DNS_PORT"
}

ah__dns_ready() {
  [ "$(dig +short +time=1 +tries=1 @127.0.0.1 -p "$AH_DNS_PORT" probe.example.test A)" = 127.0.0.1 ]
}

# ah_start_nginx ROOT [ADDR]: nginx serving ROOT on 127.0.0.1:AH_HTTP_PORT, a
# port reserved now. With ADDR (another loopback address) it listens on
# ADDR:AH_HTTP_PORT instead, keeping a port already chosen: Pebble fetches
# every http-01 token at one port, so a name whose A record is ADDR reaches
# nginx while names at 127.0.0.1 reach whatever else listens there (the
# standalone plugin).
ah_start_nginx() {
  local root=$1 d="$AH_T/nginx"
  AH_NGINX_ADDR=${2:-127.0.0.1}
  [ -n "$root" ] || ah_die "ah_start_nginx: no webroot given"
  mkdir -p "$root" "$d/tmp"
  if [ -z "${2:-}" ] || [ -z "${AH_HTTP_PORT:-}" ]; then ah_port AH_HTTP_PORT; fi
  export AH_HTTP_PORT AH_WEBROOT="$root"
  local userline=""
  if [ "$(id -u)" -eq 0 ]; then userline="user root root;"; fi
  cat >"$d/nginx.conf" <<EOF
$userline
worker_processes 1;
pid $d/nginx.pid;
error_log $AH_LOGS/nginx-error.log info;
events { worker_connections 64; }
http {
  access_log $AH_LOGS/nginx-access.log;
  client_body_temp_path $d/tmp/body;
  proxy_temp_path $d/tmp/proxy;
  fastcgi_temp_path $d/tmp/fastcgi;
  uwsgi_temp_path $d/tmp/uwsgi;
  scgi_temp_path $d/tmp/scgi;
  default_type application/octet-stream;
  server {
    listen $AH_NGINX_ADDR:$AH_HTTP_PORT default_server;
    server_name _;
    root $root;
    location / { try_files \$uri =404; }
  }
}
EOF
  ah_spawn nginx "$AH_LOGS/nginx.log" \
    nginx -e "$AH_LOGS/nginx-error.log" -p "$d" -c "$d/nginx.conf" -g 'daemon off;'
  ah_wait_for nginx "$AH_LAST_PID" 20 ah__http_ready ||
    ah_die "nginx did not start on port $AH_HTTP_PORT"
}

ah__http_ready() {
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$AH_NGINX_ADDR:$AH_HTTP_PORT/") || true
  [ -n "$code" ] && [ "$code" != 000 ]
}

ah_b64url_key() {
  openssl rand 32 | openssl base64 -A | tr '+/' '-_' | tr -d '='
}

# ah_start_pebble [--eab] [VAR=VALUE...]: Pebble on loopback, resolving names
# through ah_start_dns's server and fetching http-01 from port AH_HTTP_PORT:
# nginx's when it runs, else a port reserved here for the test to serve
# (the standalone plugin's --http-01-port).
# Pebble's own faults stay at their defaults unless overridden by VAR=VALUE
# (e.g. PEBBLE_WFE_NONCEREJECT=50, PEBBLE_AUTHZREUSE=0).
ah_start_pebble() {
  local eab=false
  local envs=(PEBBLE_VA_NOSLEEP=1)
  while [ $# -gt 0 ]; do
    case $1 in
      --eab) eab=true ;;
      *=*) envs+=("$1") ;;
      *) ah_die "ah_start_pebble: unknown argument $1" ;;
    esac
    shift
  done
  [ -n "${AH_DNS_PORT:-}" ] || ah_start_dns
  if [ -z "${AH_HTTP_PORT:-}" ]; then
    ah_port AH_HTTP_PORT
    export AH_HTTP_PORT
  fi
  local d="$AH_T/pebble"
  mkdir -p "$d"
  ah_port AH_PEBBLE_PORT
  ah_port AH_PEBBLE_MGMT_PORT
  ah_port AH_PEBBLE_TLS_PORT
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$d/tls-key.pem" -out "$d/tls-cert.pem" -subj /CN=localhost \
    -addext subjectAltName=IP:127.0.0.1,DNS:localhost -days 3 \
    >"$AH_LOGS/pebble-tls-openssl.log" 2>&1 || ah_die "cannot make Pebble's TLS certificate"
  AH_EAB_KID=kid-1
  AH_EAB_KEY=$(ah_b64url_key)
  AH_EAB_KID2=kid-2
  AH_EAB_KEY2=$(ah_b64url_key)
  cat >"$d/pebble.json" <<EOF
{
  "pebble": {
    "listenAddress": "127.0.0.1:$AH_PEBBLE_PORT",
    "managementListenAddress": "127.0.0.1:$AH_PEBBLE_MGMT_PORT",
    "certificate": "$d/tls-cert.pem",
    "privateKey": "$d/tls-key.pem",
    "httpPort": $AH_HTTP_PORT,
    "tlsPort": $AH_PEBBLE_TLS_PORT,
    "ocspResponderURL": "",
    "externalAccountBindingRequired": $eab,
    "externalAccountMACKeys": {
      "$AH_EAB_KID": "$AH_EAB_KEY",
      "$AH_EAB_KID2": "$AH_EAB_KEY2"
    }
  }
}
EOF
  AH_CA_BUNDLE="$d/tls-cert.pem"
  AH_DIR_URL="https://127.0.0.1:$AH_PEBBLE_PORT/dir"
  AH_MGMT="https://127.0.0.1:$AH_PEBBLE_MGMT_PORT"
  AH_PEBBLE_LOG="$AH_LOGS/pebble.log"
  export AH_CA_BUNDLE AH_DIR_URL AH_MGMT AH_EAB_KID AH_EAB_KEY AH_EAB_KID2 AH_EAB_KEY2 \
    AH_PEBBLE_PORT AH_PEBBLE_LOG
  ah_spawn pebble "$AH_PEBBLE_LOG" \
    env "${envs[@]}" pebble -config "$d/pebble.json" -dnsserver "127.0.0.1:$AH_DNS_PORT"
  AH_PEBBLE_PID=$AH_LAST_PID
  ah_wait_for pebble "$AH_LAST_PID" 30 \
    curl -sf --max-time 2 --cacert "$AH_CA_BUNDLE" "$AH_DIR_URL" ||
    ah_die "Pebble did not start on port $AH_PEBBLE_PORT"
  ah_wait_for pebble-mgmt "$AH_LAST_PID" 30 \
    curl -sf --max-time 2 --cacert "$AH_CA_BUNDLE" "$AH_MGMT/roots/0" ||
    ah_die "Pebble's management API did not answer on port $AH_PEBBLE_MGMT_PORT"
}

# ah_start_all [--eab] [VAR=VALUE...]: DNS + nginx on AH_T/webroot + Pebble.
ah_start_all() {
  ah_start_dns
  ah_start_nginx "$AH_T/webroot"
  ah_start_pebble "$@"
}

# ah_pebble_root FILE: Pebble's root certificate (a fresh one per Pebble run).
ah_pebble_root() {
  curl -sf --max-time 10 --cacert "$AH_CA_BUNDLE" "$AH_MGMT/roots/0" -o "$1"
}

# ah_pebble_intermediate FILE
ah_pebble_intermediate() {
  curl -sf --max-time 10 --cacert "$AH_CA_BUNDLE" "$AH_MGMT/intermediates/0" -o "$1"
}

# --------------------------------------------------------------- acmehook

# ah_run ARGS...: run acmehook with this test's directories and CA bundle.
# Never aborts the script; sets AH_RC, AH_OUT, AH_ERR (files) and
# AH_STDOUT/AH_STDERR (contents). Set AH_NO_DIRS=1 to pass ARGS verbatim.
# Pebble's TLS certificate goes in with --ca-bundle; with AH_CA_VIA_ENV=1 it
# goes in through ACMEHOOK_CA_BUNDLE instead (and no --ca-bundle flag).
# A non-empty array AH_WRAP is a command acmehook runs under (strace ...).
ah_run() {
  AH_RUN_SEQ=$((AH_RUN_SEQ + 1))
  AH_OUT="$AH_RUNS/$AH_RUN_SEQ.out"
  AH_ERR="$AH_RUNS/$AH_RUN_SEQ.err"
  local argv=("$@")
  # Without a terminal, renew first sleeps up to 8 minutes, as certbot's
  # does; tests of that sleep call acmehook themselves.
  if [ "${1:-}" = renew ]; then argv+=(--no-random-sleep-on-renew); fi
  if [ "${AH_NO_DIRS:-0}" != 1 ]; then
    argv+=(--config-dir "$AH_CONFIG" --work-dir "$AH_WORK" --logs-dir "$AH_LOGDIR")
    if [ -n "${AH_CA_BUNDLE:-}" ] && [ "${AH_CA_VIA_ENV:-0}" != 1 ]; then
      argv+=(--ca-bundle "$AH_CA_BUNDLE")
    fi
  fi
  AH_LAST_CMD="${AH_WRAP[*]:+${AH_WRAP[*]} }acmehook ${argv[*]}"
  if [ "${AH_CA_VIA_ENV:-0}" = 1 ]; then AH_LAST_CMD="ACMEHOOK_CA_BUNDLE=... $AH_LAST_CMD"; fi
  printf '%s\n' "$AH_LAST_CMD" >"$AH_RUNS/$AH_RUN_SEQ.cmd"
  local env_ca=(-u ACMEHOOK_CA_BUNDLE)
  if [ -n "${AH_CA_BUNDLE:-}" ] && [ "${AH_CA_VIA_ENV:-0}" = 1 ]; then
    env_ca=(ACMEHOOK_CA_BUNDLE="$AH_CA_BUNDLE")
  fi
  set +e
  env "${env_ca[@]}" timeout -k 10 "${AH_RUN_TIMEOUT:-240}" ${AH_WRAP[@]+"${AH_WRAP[@]}"} \
    "$AH_BIN" "${argv[@]}" \
    >"$AH_OUT" 2>"$AH_ERR" </dev/null
  AH_RC=$?
  set -e
  AH_STDOUT=$(cat "$AH_OUT")
  AH_STDERR=$(cat "$AH_ERR")
  if [ "$AH_RC" -eq 124 ]; then ah_log "acmehook timed out: $AH_LAST_CMD"; fi
  return 0
}

# ah_issue NAME... : certonly --webroot for the names, registering with EAB
# (harmless when Pebble does not require it). Extra flags via AH_ISSUE_EXTRA.
ah_issue() {
  local args=(certonly --webroot -w "$AH_WEBROOT")
  local n
  for n in "$@"; do args+=(-d "$n"); done
  args+=(-n --agree-tos -m "test@example.test" --server "$AH_DIR_URL"
    --eab-kid "$AH_EAB_KID" --eab-hmac-key "$AH_EAB_KEY")
  # shellcheck disable=SC2206
  args+=(${AH_ISSUE_EXTRA:-})
  ah_run "${args[@]}"
}

# ah_expect_ok DESC: pass if the last run exited 0.
ah_expect_ok() {
  if [ "$AH_RC" -eq 0 ]; then pass "$1"; else fail "$1 (exit $AH_RC, want 0)"; fi
}

# ah_expect_fail CODE REGEX DESC: last run exited CODE (or any non-zero when
# CODE is "nz") and stdout+stderr match the extended REGEX (case-insensitive).
ah_expect_fail() {
  local code=$1 re=$2 desc=${3:-"exit $1 matching /$2/"}
  local ok=1
  if [ "$code" = nz ]; then
    [ "$AH_RC" -ne 0 ] || ok=0
  else
    [ "$AH_RC" -eq "$code" ] || ok=0
  fi
  if [ $ok = 1 ] && [ -n "$re" ]; then
    grep -Eqi -- "$re" "$AH_ERR" "$AH_OUT" || ok=0
  fi
  if [ $ok = 1 ]; then
    pass "$desc"
  else
    fail "$desc (exit $AH_RC, want $code; output must match /$re/)"
  fi
}

# ah_output_matches REGEX: stdout+stderr of the last run match (case-insens.)
ah_output_matches() {
  grep -Eqi -- "$1" "$AH_ERR" "$AH_OUT"
}

# ------------------------------------------------------------ assertions

ah_root_file() {
  if [ ! -s "$AH_T/pebble-root.pem" ]; then
    ah_pebble_root "$AH_T/pebble-root.pem" || return 1
  fi
  echo "$AH_T/pebble-root.pem"
}

# ah_sans CERT: sorted DNS SANs, one a line.
ah_sans() {
  openssl x509 -in "$1" -noout -ext subjectAltName 2>/dev/null |
    tr ',' '\n' | sed -n 's/^ *DNS://p' | sort -u
}

# ah_pubkey FILE [cert|key|csr]: the DER public key as hex, for comparisons.
ah_pubkey() {
  case ${2:-cert} in
    cert) openssl x509 -in "$1" -noout -pubkey ;;
    key) openssl pkey -in "$1" -pubout ;;
    csr) openssl req -in "$1" -noout -pubkey ;;
  esac 2>/dev/null | openssl pkey -pubin -outform DER 2>/dev/null | od -An -tx1 | tr -d ' \n'
}

# ah_mode PATH: octal mode of the file behind PATH (symlinks followed).
ah_mode() { stat -L -c %a "$1"; }

# ah_verify_cert NAME [SAN...]: the lineage NAME verifies against Pebble's
# root, has exactly the SANs given (default: NAME), its key matches, and
# permissions are private. Records pass/fail and sets AH_OK=1/0; always
# returns 0 so that `set -e` scripts go on checking.
ah_verify_cert() {
  local name=$1
  shift
  local want=("$@")
  [ ${#want[@]} -gt 0 ] || want=("$name")
  local live="$AH_CONFIG/live/$name" ok=1 why=() root f
  if [ ! -d "$live" ]; then
    ok=0
    why+=("live/$name does not exist")
  fi
  for f in cert chain fullchain privkey; do
    [ $ok = 1 ] || break
    if [ ! -L "$live/$f.pem" ]; then ok=0; why+=("live/$name/$f.pem is not a symlink"); fi
    if [ ! -s "$live/$f.pem" ]; then ok=0; why+=("live/$name/$f.pem missing/empty"); fi
  done
  if [ $ok = 1 ]; then
    root=$(ah_root_file) || { ok=0; why+=("cannot fetch Pebble root"); }
    if [ $ok = 1 ] && ! openssl verify -CAfile "$root" -untrusted "$live/chain.pem" \
      "$live/cert.pem" >"$AH_T/verify.out" 2>&1; then
      ok=0; why+=("openssl verify: $(tr '\n' ' ' <"$AH_T/verify.out")")
    fi
    # fullchain = cert followed by chain
    if ! cat "$live/cert.pem" "$live/chain.pem" | cmp -s - "$live/fullchain.pem"; then
      # tolerate a missing/extra newline between the two
      local a b
      a=$(cat "$live/cert.pem" "$live/chain.pem" | grep -v '^$' | md5sum)
      b=$(grep -v '^$' "$live/fullchain.pem" | md5sum)
      [ "$a" = "$b" ] || { ok=0; why+=("fullchain.pem is not cert.pem + chain.pem"); }
    fi
    local got exp
    got=$(ah_sans "$live/cert.pem" | tr '\n' ' ')
    exp=$(printf '%s\n' "${want[@]}" | tr 'A-Z' 'a-z' | sort -u | tr '\n' ' ')
    [ "$got" = "$exp" ] || { ok=0; why+=("SANs are '$got', want '$exp'"); }
    local kc kk
    kc=$(ah_pubkey "$live/cert.pem" cert)
    kk=$(ah_pubkey "$live/privkey.pem" key)
    if [ -z "$kc" ] || [ "$kc" != "$kk" ]; then ok=0; why+=("privkey.pem does not match cert.pem"); fi
    local m
    m=$(ah_mode "$live/privkey.pem")
    [ "$m" = 600 ] || { ok=0; why+=("privkey mode $m, want 600"); }
    for f in "$AH_CONFIG/archive" "$AH_CONFIG/live" "$AH_CONFIG/archive/$name"; do
      m=$(ah_mode "$f" 2>/dev/null || echo none)
      [ "$m" = 700 ] || { ok=0; why+=("${f#"$AH_CONFIG"/} mode $m, want 700"); }
    done
  fi
  AH_OK=$ok
  if [ $ok = 1 ]; then
    pass "certificate $name verifies (SANs ${want[*]})"
  else
    fail "certificate $name: $(printf '%s; ' "${why[@]}")"
  fi
  return 0
}

# ah_serial FILE: serial as lower-case hex without leading zeros.
ah_serial() {
  local s
  s=$(openssl x509 -in "$1" -noout -serial | sed 's/^serial=//' | tr 'A-F' 'a-f' | sed 's/^0*//')
  echo "${s:-0}"
}

# ah_cert_status SERIAL: Pebble's JSON status for a serial.
ah_cert_status() {
  curl -s --max-time 10 --cacert "$AH_CA_BUNDLE" "$AH_MGMT/cert-status-by-serial/$1"
}

# ah_revoked SERIAL: Pebble says the certificate is revoked.
ah_revoked() {
  ah_cert_status "$1" | grep -q '"Status": *"Revoked"'
}

# ah_no_tokens [ROOT]: no challenge files left in ROOT/.well-known/acme-challenge.
ah_no_tokens() {
  local root=${1:-$AH_WEBROOT} d
  d="$root/.well-known/acme-challenge"
  [ ! -d "$d" ] || [ -z "$(find "$d" -mindepth 1 -type f -print -quit)" ]
}

# ah_archive_versions NAME: number of certN.pem files in archive/NAME.
ah_archive_versions() {
  find "$AH_CONFIG/archive/$1" -maxdepth 1 -name 'cert*.pem' 2>/dev/null | wc -l
}

# ah_snapshot: listing of everything under live/ and archive/ (for "nothing
# changed" checks).
ah_snapshot() {
  (cd "$AH_CONFIG" 2>/dev/null && find live archive -print 2>/dev/null | sort) || true
}

# ah_account_keys: account private keys under CONFIG/accounts (one a line).
ah_account_keys() {
  find "$AH_CONFIG/accounts" -type f \( -name 'private_key.pem' -o -name 'private_key.json' \) 2>/dev/null | sort
}

# ah_account_files: account files under CONFIG/accounts (one a line).
ah_account_files() {
  find "$AH_CONFIG/accounts" -type f 2>/dev/null | sort
}

# ah_require_bin: skip-free hard failure when the binary is missing.
ah_require_bin() {
  [ -x "$AH_BIN" ] || ah_die "acmehook binary not found at $AH_BIN (build first)"
}

# ah_require_tool CMD...: every CMD is on PATH (tests/deps.sh installs them).
ah_require_tool() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null || ah_die "missing tool: $c (run tests/deps.sh)"
  done
}

# ah_chain_verifies CERT CHAIN: CERT verifies against Pebble's root via CHAIN.
ah_chain_verifies() {
  local root
  root=$(ah_root_file) || return 1
  openssl verify -CAfile "$root" -untrusted "$2" "$1" >/dev/null 2>&1
}

# ah_use_config NAME: switch to a separate set of client directories
# (AH_T/NAME/{config,work,logs}), e.g. for a second, independent account.
ah_use_config() {
  AH_CONFIG="$AH_T/$1/config"
  AH_WORK="$AH_T/$1/work"
  AH_LOGDIR="$AH_T/$1/logs"
  mkdir -p "$AH_T/$1"
  export AH_CONFIG AH_WORK AH_LOGDIR
}

# ah_closed_port VAR: a reserved loopback port with nothing listening.
ah_closed_port() { ah_port "$1"; }

# ah_realpath PATH: canonical path (PATH need not exist).
ah_realpath() { realpath -m -- "$1"; }

# ------------------------------------------------------------ fault proxy

# ah_start_faultproxy ARGS...: tests/integration/faultproxy.py in front of a
# running Pebble (ah_start_pebble first), with ARGS choosing the faults
# (see the script). The client then talks to the proxy: AH_DIR_URL becomes
# the proxy's directory and AH_CA_BUNDLE a bundle trusting both the proxy's
# and Pebble's TLS certificates; Pebble's own address stays in
# AH_PEBBLE_DIR_URL. AH_PROXY_LOG is its log, AH_PROXY_COUNTS its counters.
ah_start_faultproxy() {
  [ -n "${AH_PEBBLE_PORT:-}" ] || ah_die "ah_start_faultproxy: start Pebble first"
  local d
  ah_port AH_PROXY_PORT
  d="$AH_T/faultproxy-$AH_PROXY_PORT"
  mkdir -p "$d"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$d/tls-key.pem" -out "$d/tls-cert.pem" -subj /CN=faultproxy \
    -addext subjectAltName=IP:127.0.0.1,DNS:localhost -days 3 \
    >"$AH_LOGS/faultproxy-openssl.log" 2>&1 || ah_die "cannot make the fault proxy's TLS certificate"
  AH_PEBBLE_DIR_URL="https://127.0.0.1:$AH_PEBBLE_PORT/dir"
  AH_PEBBLE_CA_BUNDLE="$AH_T/pebble/tls-cert.pem"
  cat "$AH_PEBBLE_CA_BUNDLE" "$d/tls-cert.pem" >"$d/bundle.pem"
  AH_PROXY_LOG="$AH_LOGS/faultproxy-$AH_PROXY_PORT.log"
  AH_PROXY_COUNTS="$d/counts.json"
  rm -f "$d/port"
  ah_spawn faultproxy "$AH_LOGS/faultproxy-$AH_PROXY_PORT-stderr.log" \
    python3 "$AH_LIB_DIR/faultproxy.py" --port "$AH_PROXY_PORT" --port-file "$d/port" \
    --upstream "https://127.0.0.1:$AH_PEBBLE_PORT" --upstream-ca "$AH_PEBBLE_CA_BUNDLE" \
    --cert "$d/tls-cert.pem" --key "$d/tls-key.pem" --log "$AH_PROXY_LOG" \
    --counts "$AH_PROXY_COUNTS" "$@"
  AH_PROXY_PID=$AH_LAST_PID
  ah_wait_for faultproxy "$AH_LAST_PID" 20 test -s "$d/port" ||
    ah_die "the fault proxy did not start on port $AH_PROXY_PORT"
  AH_CA_BUNDLE="$d/bundle.pem"
  AH_DIR_URL="https://127.0.0.1:$AH_PROXY_PORT/dir"
  export AH_CA_BUNDLE AH_DIR_URL AH_PEBBLE_DIR_URL AH_PROXY_LOG AH_PROXY_COUNTS AH_PROXY_PORT
}

# ah_proxy_count GROUP KEY: a counter of the fault proxy (0 when absent),
# e.g. `ah_proxy_count faults 503`, `ah_proxy_count kinds newOrder`.
ah_proxy_count() {
  python3 -c 'import json, sys
try:
    d = json.load(open(sys.argv[1]))
except FileNotFoundError:
    d = {}
v = d.get(sys.argv[2], 0)
print(v.get(sys.argv[3], 0) if isinstance(v, dict) else v)' "$AH_PROXY_COUNTS" "$1" "${2:-}"
}
