#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# bench/renew_parallel.sh: `renew --force-renewal` over BENCH_LINEAGES
# lineages (default 100, one http-01 name each, webroot), as certificates
# per second: acmehook at each --parallel of BENCH_PARALLEL (default
# "1 4 16"), and certbot renewing as many lineages of its own.
#
# Pebble runs on loopback with PEBBLE_VA_NOSLEEP=1, PEBBLE_WFE_NONCEREJECT=0
# and PEBBLE_AUTHZREUSE=0 (every renewal validates its name). acmehook's
# lineages are issued by acmehook; certbot's are one lineage certbot issued
# itself plus copies of it renamed to the other names (renewal file, archive
# and live links, each holding a certificate Pebble issued for that name,
# taken from acmehook's first version), so that making them does not take
# certbot's 3 s an issuance. certbot renews each from its renewal file and
# certificate, as it renews any lineage.
#
# Each run is checked: every lineage has one more version than before, and
# the newest certificate of each verifies against Pebble's root.
#
# Prints a markdown table: wall s, certificates/s, the client's CPU s (user
# + system of its process tree) and Pebble's CPU s over the run, and the
# lineages that failed. BENCH_PROFILE=1 also runs the --parallel 4 case
# under `perf record` (when perf is installed) and reports where acmehook's
# CPU time goes, by library and by symbol.
#
# Environment: BENCH_LINEAGES, BENCH_PARALLEL, BENCH_CLIENTS (default
# "acmehook certbot"), BENCH_OUT (also write the markdown to this file),
# BENCH_NO_INSTALL=1 (never apt-get certbot), AH_BIN, AH_KEEP=1.
set -uo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
N=${BENCH_LINEAGES:-100}
read -ra PARALLEL <<<"${BENCH_PARALLEL:-1 4 16}"
read -ra CLIENTS <<<"${BENCH_CLIENTS:-acmehook certbot}"
case $N in '' | *[!0-9]* | 0) echo "BENCH_LINEAGES must be a positive integer" >&2; exit 2 ;; esac

# shellcheck source=common.sh
. "$BENCH_DIR/common.sh"

if ! command -v certbot >/dev/null 2>&1 && [ "${BENCH_NO_INSTALL:-0}" != 1 ] &&
  [ "$(id -u)" -eq 0 ]; then
  blog "installing certbot"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends certbot \
    >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null 2>&1 &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends certbot \
        >/dev/null 2>&1; } || blog "apt-get install certbot failed"
fi
if ! command -v pebble >/dev/null 2>&1 || ! command -v nginx >/dev/null 2>&1; then
  blog "Pebble/nginx missing: running tests/deps.sh"
  bash "$REPO_DIR/tests/deps.sh" >&2 || true
fi

# shellcheck source=../tests/integration/lib.sh
. "$REPO_DIR/tests/integration/lib.sh"
bench_servers bench-renew-parallel
bench_snapshot_acmehook "$B/acmehook-build" || ah_die "no acmehook binary at $AH_BIN"
AHC="$B/acmehook"
CBC="$B/certbot"
names=()
for ((i = 0; i < N; i++)); do names+=("rp-$i.bench.example.test"); done

ah() {
  env -u ACMEHOOK_CA_BUNDLE "$AH_BIN" "$@" --config-dir "$AHC/config" --work-dir "$AHC/work" \
    --logs-dir "$AHC/logs" --ca-bundle "$AH_CA_BUNDLE"
}
cb() {
  env REQUESTS_CA_BUNDLE="$AH_CA_BUNDLE" certbot "$@" --config-dir "$CBC/config" \
    --work-dir "$CBC/work" --logs-dir "$CBC/logs"
}

# ---------------------------------------------------------------- lineages

blog "issuing $N lineages with acmehook"
ah certonly --webroot -w "$AH_WEBROOT" -d "${names[0]}" -n --agree-tos \
  --server "$AH_DIR_URL" -q || ah_die "acmehook cannot issue ${names[0]}"
export -f ah
export AH_BIN AHC AH_CA_BUNDLE AH_WEBROOT AH_DIR_URL
printf '%s\n' "${names[@]:1}" |
  xargs -P 4 -I{} bash -c 'ah certonly --webroot -w "$AH_WEBROOT" -d {} -n -q --server "$AH_DIR_URL"' ||
  ah_die "acmehook cannot issue the lineages"

# versions DIR NAME: how many versions lineage NAME has in config dir DIR.
versions() { find "$1/archive/$2" -maxdepth 1 -name 'cert*.pem' 2>/dev/null | wc -l; }

if [[ " ${CLIENTS[*]} " == *" certbot "* ]] && command -v certbot >/dev/null 2>&1; then
  blog "issuing ${names[0]} with certbot, copying it to the other names"
  if cb certonly --webroot -w "$AH_WEBROOT" -d "${names[0]}" -n --agree-tos \
    --register-unsafely-without-email --server "$AH_DIR_URL" --key-type ecdsa -q \
    >"$B/certbot-issue.log" 2>&1; then
    for n in "${names[@]:1}"; do
      mkdir -p "$CBC/config/archive/$n" "$CBC/config/live/$n"
      for f in cert chain fullchain privkey; do
        cp "$AHC/config/archive/$n/${f}1.pem" "$CBC/config/archive/$n/${f}1.pem"
        ln -s "../../archive/$n/${f}1.pem" "$CBC/config/live/$n/$f.pem"
      done
      chmod 600 "$CBC/config/archive/$n/privkey1.pem"
      sed "s/${names[0]//./\\.}/$n/g" "$CBC/config/renewal/${names[0]}.conf" \
        >"$CBC/config/renewal/$n.conf"
    done
  else
    blog "certbot could not issue: $(tail -n 1 "$B/certbot-issue.log")"
  fi
fi

# ------------------------------------------------------------------ runs

# check_renewed DIR BEFORE: every lineage in DIR has BEFORE+1 versions and
# its newest certificate verifies. Prints how many do not.
check_renewed() {
  local dir=$1 want=$(($2 + 1)) bad=0 n
  for n in "${names[@]}"; do
    if [ "$(versions "$dir" "$n")" -ne "$want" ] ||
      ! openssl verify -CAfile "$ROOT_PEM" -untrusted "$dir/live/$n/chain.pem" \
        "$dir/live/$n/cert.pem" >/dev/null 2>&1; then
      bad=$((bad + 1))
    fi
  done
  echo "$bad"
}

# pebble_cpu: seconds of CPU Pebble (the process and its threads) has used.
pebble_cpu() {
  local pid
  pid=$(pgrep -f "^pebble -config $AH_T/" | head -n 1)
  [ -n "$pid" ] || { echo 0; return; }
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f", ($14 + $15) / hz }' "/proc/$pid/stat"
}

ROWS=()
# measure LABEL DIR CMD...: run CMD once, timed, and add a row.
measure() {
  local label=$1 dir=$2 before t0 t1 c0 c1 p0 p1 rc bad wall
  shift 2
  before=$(versions "$dir" "${names[0]}")
  p0=$(pebble_cpu)
  times >"$B/times0"
  t0=$(date +%s%N)
  "$@" >"$B/run.out" 2>"$B/run.err"
  rc=$?
  t1=$(date +%s%N)
  times >"$B/times1"
  p1=$(pebble_cpu)
  c0=$(awk 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] }; printf "%.3f", t }' "$B/times0")
  c1=$(awk 'NR == 2 { t = 0; for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] }; printf "%.3f", t }' "$B/times1")
  bad=$(check_renewed "$dir" "$before")
  wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1e9 }')
  ROWS+=("| $label | $N | $wall | $(awk -v w="$wall" -v n="$N" -v f="$bad" 'BEGIN { printf "%.1f", (n - f) / w }') | $(awk -v a="$c0" -v b="$c1" 'BEGIN { printf "%.2f", b - a }') | $(awk -v a="$p0" -v b="$p1" 'BEGIN { printf "%.2f", b - a }') | $bad (exit $rc) |")
  blog "$label: $wall s, $bad failed, exit $rc"
}

for c in "${CLIENTS[@]}"; do
  case $c in
    acmehook)
      for p in "${PARALLEL[@]}"; do
        measure "acmehook --parallel $p" "$AHC/config" \
          ah renew --force-renewal --no-random-sleep-on-renew -q --parallel "$p"
      done
      ;;
    certbot)
      if [ -f "$CBC/config/renewal/${names[0]}.conf" ]; then
        measure "certbot $(certbot --version 2>&1 | awk '{print $2}')" "$CBC/config" \
          cb renew --force-renewal --no-random-sleep-on-renew -n -q
      else
        ROWS+=("| certbot | $N | - | - | - | - | not run: no certbot lineages |")
      fi
      ;;
  esac
done

if [ "${BENCH_PROFILE:-0}" = 1 ] && command -v perf >/dev/null 2>&1; then
  blog "profiling acmehook --parallel 4 with perf"
  perf record -g -o "$B/perf.data" -- env -u ACMEHOOK_CA_BUNDLE "$AH_BIN" renew --force-renewal \
    --no-random-sleep-on-renew -q --parallel 4 --config-dir "$AHC/config" \
    --work-dir "$AHC/work" --logs-dir "$AHC/logs" --ca-bundle "$AH_CA_BUNDLE" \
    >/dev/null 2>&1
  { perf report -i "$B/perf.data" --no-children --sort dso --stdio -g none 2>/dev/null |
      grep -v '^#' | grep -v '^$' | head -n 8
    perf report -i "$B/perf.data" --no-children --sort dso,symbol --stdio -g none 2>/dev/null |
      grep -v '^#' | grep -v '^$' | head -n 15; } >"$B/perf.txt"
fi

report() {
  echo "## renew --force-renewal over $N lineages"
  echo
  echo "$(date -u +%Y-%m-%d), $(nproc) cores ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), acmehook ${AH_LABEL:-?}, Pebble $(dpkg-query -W -f='${Version}' pebble 2>/dev/null || echo '?')"
  echo
  echo "| client | lineages | wall s | certificates/s | client CPU s | Pebble CPU s | failed |"
  echo "|---|---|---|---|---|---|---|"
  printf '%s\n' "${ROWS[@]}"
  if [ -s "$B/perf.txt" ]; then
    echo
    echo "perf, acmehook --parallel 4 (self time by library and symbol):"
    echo
    echo '```'
    cat "$B/perf.txt"
    echo '```'
  fi
}
report
[ -z "${BENCH_OUT:-}" ] || report >"$BENCH_OUT"
AH_FINISHED=1
