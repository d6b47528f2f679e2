#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# bench/compare.sh: one http-01 (webroot) issuance of BENCH_NAMES names
# (default 1), timed, for acmehook and its Debian peers certbot, lego and
# uacme, all against the same Pebble on loopback (started by
# tests/integration/lib.sh with DNS and nginx).
#
# For every client, BENCH_N times each:
#   "new account"      fresh state directory: account key + registration + issuance
#   "existing account" the state directory of an account registered beforehand
# Runs are interleaved (round i runs every client once per scenario, in an order
# rotated each round) so that drift in Pebble or the machine hits all alike.
# One untimed warm-up issuance per client registers the "existing" account and
# warms the page cache. Each run is checked: exit 0 and a certificate for the
# name that verifies against Pebble's root.
#
# Prints markdown: issuance table (wall ms median/mean/min-max, CPU user+sys,
# peak RSS, successes) and a start-up table (`--version`, measured by hyperfine).
#
# Environment: BENCH_N (default 5), BENCH_NAMES (names per certificate,
# default 1), BENCH_SCENARIOS (default "fresh reuse"; "reuse" alone skips
# the new-account runs), BENCH_CLIENTS (default
# "acmehook certbot lego uacme"; two reference rows may be added: "floor",
# bench/floor.c, which only initialises libcurl and GETs the directory over
# one TLS connection, the least a libcurl-based client does, and "harness",
# `true` under the same wrappers), BENCH_TIMEOUT (seconds per run, default 120),
# BENCH_OUT (also write the markdown to this file), BENCH_RAW (write every
# sample as TSV to this file), BENCH_STARTUP=0 (no start-up table),
# BENCH_NO_INSTALL=1 (never apt-get), AH_BIN (the acmehook binary, default
# build/bin/acmehook), AH_KEEP=1 (keep the temp dir).
#
# A peer that is missing or fails gets a row that says why; the script itself
# exits 0 unless the servers cannot start. Everything it starts is stopped by
# lib.sh's EXIT trap.
set -uo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
N=${BENCH_N:-5}
read -ra CLIENTS <<<"${BENCH_CLIENTS:-acmehook certbot lego uacme}"
RUN_TIMEOUT=${BENCH_TIMEOUT:-120}
NAMES_PER=${BENCH_NAMES:-1}
read -ra SCENARIOS <<<"${BENCH_SCENARIOS:-fresh reuse}"
case $N in '' | *[!0-9]* | 0) echo "BENCH_N must be a positive integer" >&2; exit 2 ;; esac
case $NAMES_PER in '' | *[!0-9]* | 0) echo "BENCH_NAMES must be a positive integer" >&2; exit 2 ;; esac
for mode in "${SCENARIOS[@]}"; do
  case $mode in fresh | reuse) ;; *) echo "BENCH_SCENARIOS: unknown scenario $mode" >&2; exit 2 ;; esac
done

# shellcheck source=common.sh
. "$BENCH_DIR/common.sh"

# ------------------------------------------------------------ peers/tools

# Debian package that provides each command.
declare -A PKG_OF=([certbot]=certbot [lego]=lego [uacme]=uacme [hyperfine]=hyperfine
  [/usr/bin/time]=time [unshare]=util-linux)
declare -A INSTALL_ERR=()

install_missing() {
  local need=() c
  for c in certbot lego uacme hyperfine /usr/bin/time; do
    command -v "$c" >/dev/null 2>&1 || need+=("${PKG_OF[$c]}")
  done
  [ ${#need[@]} -gt 0 ] || return 0
  if [ "${BENCH_NO_INSTALL:-0}" = 1 ] || [ "$(id -u)" -ne 0 ]; then
    for c in "${need[@]}"; do INSTALL_ERR[$c]="not installed (BENCH_NO_INSTALL or not root)"; done
    return 0
  fi
  blog "installing: ${need[*]}"
  local log
  log=$(mktemp)
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    "${need[@]}" >"$log" 2>&1; then
    # The package lists may be missing or stale: refresh once and retry.
    apt-get update -q >>"$log" 2>&1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      "${need[@]}" >>"$log" 2>&1 || blog "apt-get install failed: $(tail -n 1 "$log")"
  fi
  for c in "${need[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$c" 2>/dev/null | grep -q 'install ok installed'; then
      INSTALL_ERR[$c]="not installed: apt-get install $c failed ($(tail -n 1 "$log" | cut -c1-80))"
    fi
  done
  rm -f "$log"
}

install_missing
if ! command -v pebble >/dev/null 2>&1 || ! command -v nginx >/dev/null 2>&1; then
  blog "Pebble/nginx missing: running tests/deps.sh"
  bash "$REPO_DIR/tests/deps.sh" >&2 || true
fi
[ -x /usr/bin/time ] || { blog "GNU time (/usr/bin/time) is required"; exit 1; }

# --------------------------------------------------------------- servers

# shellcheck source=../tests/integration/lib.sh
. "$REPO_DIR/tests/integration/lib.sh"
# Fair play: no injected badNonce rejections, no authorization reuse (every run
# uses a new name anyway), no artificial validation delay.
bench_servers bench-compare
export BENCH_WEBROOT=$AH_WEBROOT
# uacme (libcurl-gnutls) has no CA-file option and reads only /etc/ssl/certs;
# it runs in a private mount namespace where a directory holding only Pebble's
# TLS certificate is bind-mounted there. The system trust store is not touched.
UACME_CADIR="$B/uacme-cadir"
mkdir -p "$UACME_CADIR"
cp "$AH_CA_BUNDLE" "$UACME_CADIR/pebble-tls.pem"
cp "$AH_CA_BUNDLE" "$UACME_CADIR/ca-certificates.crt"
bench_snapshot_acmehook "$B/acmehook-build" || blog "no acmehook binary at $AH_BIN"
FLOOR_BIN="$B/floor"
FLOOR_ERR=""
if [[ " ${CLIENTS[*]} " == *" floor "* ]]; then
  # shellcheck disable=SC2046
  cc -O2 "$BENCH_DIR/floor.c" -o "$FLOOR_BIN" $(pkg-config --cflags --libs libcurl) \
    2>"$B/floor-cc.log" || FLOOR_ERR="cannot build bench/floor.c: $(tail -n 1 "$B/floor-cc.log")"
fi
blog "Pebble at $AH_DIR_URL, webroot $AH_WEBROOT (nginx :$AH_HTTP_PORT), DNS :$AH_DNS_PORT"

# ------------------------------------------------------------- clients

client_version() {
  case $1 in
    acmehook) echo "${AH_LABEL:-?}" ;;
    certbot) certbot --version 2>&1 | awk '{print $2; exit}' ;;
    lego) dpkg-query -W -f='${Version}' lego 2>/dev/null || lego --version 2>&1 | awk '{print $3}' ;;
    uacme) uacme -V 2>&1 | awk '/version/ {print $3; exit}' ;;
    floor) echo "libcurl $(pkg-config --modversion libcurl 2>/dev/null)" ;;
    harness) echo "-" ;;
  esac
}

# client_missing CLIENT: prints why CLIENT cannot run (nothing if it can).
client_missing() {
  case $1 in
    acmehook) [ -x "$AH_BIN" ] || echo "binary not found at $AH_BIN (build first)" ;;
    floor) [ -z "$FLOOR_ERR" ] || echo "$FLOOR_ERR" ;;
    harness) ;;
    uacme)
      if ! command -v uacme >/dev/null; then
        echo "${INSTALL_ERR[uacme]:-uacme not installed}"
      elif ! unshare -m sh -c "mount --bind '$UACME_CADIR' /etc/ssl/certs" 2>/dev/null; then
        echo "cannot trust Pebble's TLS cert: uacme reads only /etc/ssl/certs and a private mount namespace (unshare -m + bind mount) is not allowed here"
      fi
      ;;
    *) command -v "$1" >/dev/null || echo "${INSTALL_ERR[$1]:-$1 not installed}" ;;
  esac
}

# all_names NAME: NAME and, with BENCH_NAMES=K, K-1 more under it
# (n2.NAME ... nK.NAME), one a line.
all_names() {
  local k
  echo "$1"
  for ((k = 2; k <= NAMES_PER; k++)); do echo "n$k.$1"; done
}

# client_cmd CLIENT MODE STATE NAME: set CMD to the command line of one
# issuance of NAME's names (MODE fresh|reuse; STATE is the client's state
# directory).
client_cmd() {
  local client=$1 mode=$2 s=$3 name=$4 n
  local names=() flags=()
  mapfile -t names < <(all_names "$name")
  case $client in
    acmehook | certbot) for n in "${names[@]}"; do flags+=(-d "$n"); done ;;
    lego) for n in "${names[@]}"; do flags+=(--domains "$n"); done ;;
  esac
  case $client in
    acmehook)
      CMD=(env -u ACMEHOOK_CA_BUNDLE "$AH_BIN" certonly --webroot -w "$AH_WEBROOT" "${flags[@]}"
        -n --agree-tos --server "$AH_DIR_URL" --ca-bundle "$AH_CA_BUNDLE" --key-type ecdsa
        --config-dir "$s/config" --work-dir "$s/work" --logs-dir "$s/logs")
      ;;
    certbot)
      CMD=(env REQUESTS_CA_BUNDLE="$AH_CA_BUNDLE" certbot certonly --webroot -w "$AH_WEBROOT"
        "${flags[@]}" -n --agree-tos --register-unsafely-without-email --server "$AH_DIR_URL"
        --key-type ecdsa --config-dir "$s/config" --work-dir "$s/work" --logs-dir "$s/logs")
      ;;
    lego)
      CMD=(env LEGO_CA_CERTIFICATES="$AH_CA_BUNDLE" lego --server "$AH_DIR_URL" --accept-tos
        --email bench@example.test --key-type ec256 "${flags[@]}"
        --http --http.webroot "$AH_WEBROOT" --path "$s" run)
      ;;
    floor) CMD=("$FLOOR_BIN" "$AH_DIR_URL" "$AH_CA_BUNDLE") ;;
    harness) CMD=(true) ;;
    uacme)
      # "new" registers the account (fresh state only), then "issue".
      # shellcheck disable=SC2016
      CMD=(unshare -m sh -c '
        mount --bind "$1" /etc/ssl/certs || exit 3
        mode=$2 dir=$3 url=$4 name=$5 hook=$6
        if [ "$mode" = fresh ]; then
          uacme -c "$dir" -a "$url" -t EC -y new || exit $?
        fi
        shift 6
        exec uacme -c "$dir" -a "$url" -t EC -h "$hook" issue "$name" "$@"'
        sh "$UACME_CADIR" "$mode" "$s" "$AH_DIR_URL" "$name" "$BENCH_DIR/uacme-hook.sh"
        "${names[@]:1}")
      ;;
  esac
}

# cert_file CLIENT STATE NAME: where the client put the full chain.
cert_file() {
  case $1 in
    acmehook | certbot) echo "$2/config/live/$3/fullchain.pem" ;;
    lego) echo "$2/certificates/$3.crt" ;;
    uacme) echo "$2/$3/cert.pem" ;;
    floor | harness) ;; # they issue nothing: exit 0 is their success
  esac
}

# cert_ok FULLCHAIN NAME: the first certificate names exactly NAME's
# names and verifies against Pebble's root through the rest of the file.
cert_ok() {
  local fc=$1 name=$2 leaf="$B/leaf.pem" got want
  [ -s "$fc" ] || return 1
  openssl x509 -in "$fc" -out "$leaf" 2>/dev/null || return 1
  openssl verify -CAfile "$ROOT_PEM" -untrusted "$fc" "$leaf" >/dev/null 2>&1 || return 1
  got=$(openssl x509 -in "$leaf" -noout -ext subjectAltName 2>/dev/null |
    grep -oE 'DNS:[^,[:space:]]+' | sed 's/^DNS://' | sort)
  want=$(all_names "$name" | sort)
  [ "$got" = "$want" ]
}

# last_error FILE...: the last non-empty line of the given outputs, shortened.
last_error() {
  cat "$@" 2>/dev/null | grep -v '^[[:space:]]*$' | tail -n 1 | tr -d '|' | cut -c1-120
}

# measure CLIENT MODE STATE NAME TAG [STATS]: time one run; append a sample
# line "ok wall_ms rss_kib cpu_ms" to $B/CLIENT.STATS.samples (STATS defaults
# to MODE); on failure remember the first reason in $B/CLIENT.STATS.reason.
measure() {
  local client=$1 mode=$2 s=$3 name=$4 tag=$5 stats=${6:-$2}
  local p="$B/runs/$client.$tag" t0 t1 c0 c1 rc ok=1 wall rss cpu tl
  mkdir -p "$B/runs"
  client_cmd "$client" "$mode" "$s" "$name"
  printf '%q ' "${CMD[@]}" >"$p.cmd"
  times >"$p.times0"
  t0=$(date +%s%N)
  timeout -k 5 "$RUN_TIMEOUT" /usr/bin/time -f '%e %M' -o "$p.time" \
    "${CMD[@]}" >"$p.out" 2>"$p.err" </dev/null
  rc=$?
  t1=$(date +%s%N)
  times >"$p.times1"
  c0=$(children_cpu_ms "$p.times0")
  c1=$(children_cpu_ms "$p.times1")
  wall=$(((t1 - t0) / 1000000))
  cpu=$((c1 - c0))
  tl=$(tail -n 1 "$p.time" 2>/dev/null)
  rss=$(awk '{print $2}' <<<"$tl")
  local reason=""
  if [ "$rc" -ne 0 ]; then
    ok=0
    reason="exit $rc: $(last_error "$p.err" "$p.out")"
    [ "$rc" -eq 124 ] && reason="timed out after ${RUN_TIMEOUT}s"
  elif [ -n "$(cert_file "$client" "$s" "$name")" ] &&
    ! cert_ok "$(cert_file "$client" "$s" "$name")" "$name"; then
    ok=0
    reason="exit 0 but no certificate for $name that verifies against Pebble's root"
  fi
  if [ $ok = 0 ] && [ ! -s "$B/$client.$stats.reason" ]; then
    printf '%s\n' "$reason" >"$B/$client.$stats.reason"
  fi
  printf '%s %s %s %s\n' "$ok" "$wall" "${rss:-0}" "${cpu:-0}" >>"$B/$client.$stats.samples"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$client" "$mode" "$tag" "$ok" "$wall" "${rss:-0}" "${cpu:-0}" >>"$B/raw.tsv"
  blog "$client $mode $tag: ok=$ok ${wall}ms rss=${rss:-?}KiB cpu=${cpu:-?}ms${reason:+ ($reason)}"
  return $((1 - ok))
}

# Wall and CPU time include `timeout` and GNU time starting the client (about
# 1 ms, the same for all). GNU time's peak RSS is the largest member of the process tree
# it waited for, i.e. the client itself (env, sh, mount and hooks are smaller).

# ------------------------------------------------------------- the runs

declare -A SKIP=() VERSION=()
RUNNABLE=()
for c in "${CLIENTS[@]}"; do
  VERSION[$c]=$(client_version "$c" 2>/dev/null)
  reason=$(client_missing "$c")
  if [ -n "$reason" ]; then
    SKIP[$c]=$reason
    blog "$c skipped: $reason"
    continue
  fi
  # Warm-up: registers the account of the "existing account" scenario.
  mkdir -p "$B/$c/reuse"
  if ! measure "$c" fresh "$B/$c/reuse" "$c-warmup.bench.example.test" warmup warmup; then
    SKIP[$c]="warm-up issuance failed: $(cat "$B/$c.warmup.reason")"
    continue
  fi
  RUNNABLE+=("$c")
done

k=${#RUNNABLE[@]}
for ((i = 1; i <= N && k > 0; i++)); do
  for ((j = 0; j < k; j++)); do
    c=${RUNNABLE[$(((i + j) % k))]}
    for mode in "${SCENARIOS[@]}"; do
      if [ "$mode" = fresh ]; then
        mkdir -p "$B/$c/fresh$i"
        measure "$c" fresh "$B/$c/fresh$i" "$c-new-$i.bench.example.test" "fresh$i"
      else
        measure "$c" reuse "$B/$c/reuse" "$c-acct-$i.bench.example.test" "reuse$i"
      fi
    done
  done
done

# ------------------------------------------------------------- start-up

STARTUP_CSV="$B/startup.csv"
declare -A STARTUP=()
hf_names=()
if [ "${BENCH_STARTUP:-1}" != 0 ] && command -v hyperfine >/dev/null 2>&1; then
  hf_cmds=()
  for c in "${CLIENTS[@]}"; do
    case $c in
      acmehook) [ -x "$AH_BIN" ] && hf_cmds+=("$AH_BIN --version") && hf_names+=(acmehook) ;;
      uacme)
        command -v uacme >/dev/null && hf_cmds+=("uacme -V") && hf_names+=(uacme)
        # What the namespace wrapper around every uacme run costs by itself.
        [ -z "$(client_missing uacme)" ] &&
          hf_cmds+=("unshare -m sh -c 'mount --bind $UACME_CADIR /etc/ssl/certs && exec true'") &&
          hf_names+=("(uacme's wrapper: unshare -m + bind mount, no uacme)")
        ;;
      *) command -v "$c" >/dev/null && hf_cmds+=("$c --version") && hf_names+=("$c") ;;
    esac
  done
  # -i: `uacme -V` exits 2 by design. -N: no intermediate shell.
  if [ ${#hf_cmds[@]} -gt 0 ] && hyperfine -N -i --style none --warmup 3 --runs 30 \
    --export-csv "$STARTUP_CSV" "${hf_cmds[@]}" >"$B/hyperfine.log" 2>&1; then
    # CSV: command,mean,stddev,median,user,system,min,max (seconds)
    idx=0
    while IFS=, read -r _cmd mean _sd median _u _s _min _max; do
      STARTUP[${hf_names[$idx]}]=$(awk -v m="$median" -v a="$mean" 'BEGIN{printf "%.1f | %.1f", m*1000, a*1000}')
      idx=$((idx + 1))
    done < <(tail -n +2 "$STARTUP_CSV")
  else
    blog "hyperfine failed: $(tail -n 2 "$B/hyperfine.log" 2>/dev/null)"
  fi
fi

# ------------------------------------------------------------- report

# stats FILE: "ok median mean min max rss_max cpu_median slow" over successful
# samples; slow counts the runs that took 1 s or more.
stats() {
  awk '$1 == 1 {n++; w[n] = $2; s += $2; if ($3 > r) r = $3; c[n] = $4; if ($2 >= 1000) slow++}
    END {
      if (n == 0) { print 0; exit }
      # insertion sort (n is small)
      for (i = 2; i <= n; i++) { v = w[i]; j = i - 1; while (j > 0 && w[j] > v) { w[j+1] = w[j]; j-- } w[j+1] = v }
      for (i = 2; i <= n; i++) { v = c[i]; j = i - 1; while (j > 0 && c[j] > v) { c[j+1] = c[j]; j-- } c[j+1] = v }
      med = (n % 2) ? w[(n+1)/2] : (w[n/2] + w[n/2+1]) / 2
      cm = (n % 2) ? c[(n+1)/2] : (c[n/2] + c[n/2+1]) / 2
      printf "%d %d %d %d %d %d %d %d\n", n, med, s / n, w[1], w[n], r, cm, slow
    }' "$1"
}

report() {
  local c mode label st n med mean mn mx rss cpu slow reason note
  printf '### Issuance: %s, http-01 webroot, Pebble on loopback\n\n' \
    "$([ "$NAMES_PER" = 1 ] && echo "one name" || echo "$NAMES_PER names in one certificate")"
  printf 'Date %s; %s; %s CPUs; N=%s runs per row.\n\n' "$(date -u +%Y-%m-%dT%H:%MZ)" \
    "$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)" "$(nproc)" "$N"
  printf '| client | version | scenario | ok | median ms | mean ms | min-max ms | CPU ms (median) | peak RSS KiB | notes |\n'
  printf '|---|---|---|---|---|---|---|---|---|---|\n'
  for c in "${CLIENTS[@]}"; do
    if [ -n "${SKIP[$c]:-}" ]; then
      printf '| %s | %s | - | 0/%s | - | - | - | - | - | %s |\n' "$c" "${VERSION[$c]:-?}" "$N" "${SKIP[$c]}"
      continue
    fi
    for mode in "${SCENARIOS[@]}"; do
      [ "$mode" = fresh ] && label="new account" || label="existing account"
      st=$(stats "$B/$c.$mode.samples")
      reason=$(cat "$B/$c.$mode.reason" 2>/dev/null)
      read -r n med mean mn mx rss cpu slow <<<"$st"
      # A client whose time is bimodal (a poll that comes too early
      # waits seconds) has a median that hides it: say how often.
      note=""
      [ "${slow:-0}" -gt 0 ] && [ "$med" -lt 1000 ] && note="$slow of $n runs took 1 s or more"
      if [ "$n" -eq 0 ]; then
        printf '| %s | %s | %s | 0/%s | - | - | - | - | - | %s |\n' "$c" "${VERSION[$c]}" "$label" "$N" "$reason"
      else
        printf '| %s | %s | %s | %s/%s | %s | %s | %s-%s | %s | %s | %s |\n' "$c" "${VERSION[$c]}" \
          "$label" "$n" "$N" "$med" "$mean" "$mn" "$mx" "$cpu" "$rss" \
          "$note${note:+${reason:+; }}${reason:+first failure: $reason}"
      fi
    done
  done
  if [ ${#STARTUP[@]} -gt 0 ]; then
    # shellcheck disable=SC2016
    printf '\n### Start-up: `--version` (hyperfine, 30 runs after 3 warm-ups)\n\n'
    printf '| client | median ms | mean ms |\n|---|---|---|\n'
    for c in "${hf_names[@]}"; do
      [ -n "${STARTUP[$c]:-}" ] && printf '| %s | %s |\n' "$c" "${STARTUP[$c]}"
    done
  fi
}

report >"$B/report.md"
cat "$B/report.md"
[ -z "${BENCH_OUT:-}" ] || cp "$B/report.md" "$BENCH_OUT"
[ -z "${BENCH_RAW:-}" ] || { printf 'client\tmode\ttag\tok\twall_ms\trss_kib\tcpu_ms\n'; cat "$B/raw.tsv"; } >"$BENCH_RAW"

AH_FINISHED=1
exit 0
