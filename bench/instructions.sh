#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# bench/instructions.sh: instructions executed by acmehook, counted by
# valgrind's callgrind (exact and independent of machine load, unlike time), to
# track acmehook's own cost from commit to commit. Against a Pebble on loopback
# (tests/integration/lib.sh), with BENCH_LINEAGES (default 20) lineages made
# beforehand by ordinary, unmeasured issuances, it measures:
#   version       `acmehook --version` (start-up and exit)
#   certificates  `acmehook certificates --json` over the lineages
#   renew         `acmehook renew` with nothing due
#   issue         `acmehook certonly --webroot` of one more name, account exists
# and prints a markdown table (instructions, wall seconds under callgrind, the
# number of HTTP requests acmehook logged) plus the top functions by own
# instructions for `issue` and `certificates`.
#
# Instructions of `issue` move with the number of polls acmehook needed (shown
# as HTTP requests) and with key generation; compare like with like.
# perf (`perf stat -e instructions:u`) would be faster but needs a hardware
# PMU, which virtual machines often lack; callgrind works everywhere.
#
# Environment: BENCH_LINEAGES, BENCH_OUT (also write the markdown there),
# BENCH_NO_INSTALL=1, AH_BIN, AH_KEEP=1 (keep the temp dir with the
# callgrind.out files for callgrind_annotate / kcachegrind).
set -uo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
LINEAGES=${BENCH_LINEAGES:-20}
# shellcheck source=common.sh
. "$BENCH_DIR/common.sh"
case $LINEAGES in '' | *[!0-9]* | 0) echo "BENCH_LINEAGES must be a positive integer" >&2; exit 2 ;; esac

if ! command -v valgrind >/dev/null 2>&1 || ! command -v callgrind_annotate >/dev/null 2>&1; then
  if [ "${BENCH_NO_INSTALL:-0}" != 1 ] && [ "$(id -u)" -eq 0 ]; then
    blog "installing valgrind"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends valgrind >&2 ||
      { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        --no-install-recommends valgrind >&2; }
  fi
  command -v valgrind >/dev/null 2>&1 || { blog "valgrind is required"; exit 1; }
fi

# shellcheck source=../tests/integration/lib.sh
. "$REPO_DIR/tests/integration/lib.sh"
AH_TEST_NAME=bench-instructions
ah_setup
ah_require_bin
bench_snapshot_acmehook "$AH_T/acmehook-build" || ah_die "cannot copy $AH_BIN"
ah_start_all PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0
OUT="$AH_T/instructions"
mkdir -p "$OUT"
LOG="$AH_LOGDIR/acmehook.log"

# Pebble's TLS certificate goes in with --ca-bundle only.
unset ACMEHOOK_CA_BUNDLE

# acmehook ARGS...: run acmehook on this run's directories (no measurement).
acmehook() {
  "$AH_BIN" "$@" --config-dir "$AH_CONFIG" --work-dir "$AH_WORK" \
    --logs-dir "$AH_LOGDIR" --ca-bundle "$AH_CA_BUNDLE"
}

issue_args() {
  ISSUE=(certonly --webroot -w "$AH_WEBROOT" -d "$1" -n --agree-tos -m bench@example.test
    --server "$AH_DIR_URL" --key-type ecdsa)
}

blog "issuing $LINEAGES lineages (not measured)"
for ((i = 1; i <= LINEAGES; i++)); do
  issue_args "lineage-$i.bench.example.test"
  acmehook "${ISSUE[@]}" >"$OUT/setup-$i.out" 2>&1 ||
    ah_die "setup issuance $i failed: $(tail -n 3 "$OUT/setup-$i.out")"
done

# requests_since LINES: HTTP requests acmehook logged after line LINES of its log.
log_lines() { wc -l <"$LOG" 2>/dev/null || echo 0; }
requests_since() {
  tail -n +"$(($1 + 1))" "$LOG" 2>/dev/null | grep -cE ' (GET|HEAD|POST) https?://'
}

declare -A IR=() WALL=() REQS=() STATUS=()
NAMES=()

# cg NAME ARGS...: acmehook ARGS under callgrind.
cg() {
  local name=$1 l0 t0 t1 rc
  shift
  NAMES+=("$name")
  l0=$(log_lines)
  t0=$(date +%s%N)
  valgrind --tool=callgrind --log-file="$OUT/$name.valgrind.log" \
    --callgrind-out-file="$OUT/$name.callgrind.out" \
    "$AH_BIN" "$@" --config-dir "$AH_CONFIG" --work-dir "$AH_WORK" \
    --logs-dir "$AH_LOGDIR" --ca-bundle "$AH_CA_BUNDLE" >"$OUT/$name.out" 2>"$OUT/$name.err" </dev/null
  rc=$?
  t1=$(date +%s%N)
  WALL[$name]=$(awk -v n=$((t1 - t0)) 'BEGIN{printf "%.1f", n / 1e9}')
  # "==PID== Collected : N" is the total of the event counted (Ir).
  IR[$name]=$(awk '/Collected :/ {print $NF}' "$OUT/$name.valgrind.log" | tail -n 1)
  REQS[$name]=$(requests_since "$l0")
  if [ "$rc" -eq 0 ]; then STATUS[$name]=ok; else STATUS[$name]="exit $rc: $(tail -n 1 "$OUT/$name.err")"; fi
  blog "$name: ${IR[$name]:-?} instructions, ${WALL[$name]}s, ${REQS[$name]} requests, ${STATUS[$name]}"
}

cg version --version
cg certificates certificates --json
n=$(grep -o '"lineage-[0-9]*\.bench\.example\.test"' "$OUT/certificates.out" | sort -u | wc -l)
[ "$n" -eq "$LINEAGES" ] || STATUS[certificates]="listed $n of $LINEAGES lineages"
cg renew renew
issue_args "measured.bench.example.test"
cg issue "${ISSUE[@]}"
[ -s "$AH_CONFIG/live/measured.bench.example.test/fullchain.pem" ] || STATUS[issue]="no certificate"

# top FILE N: the N functions with the most own instructions.
top() {
  callgrind_annotate --threshold=100 "$1" 2>/dev/null |
    awk '/^-+$/ {sep++; next} sep >= 4 && NF >= 2 && $1 ~ /^[0-9,]+$/ && !/PROGRAM TOTALS/' |
    head -n "$2" |
    sed -E 's/^ *([0-9,]+) +(\([^)]*\))? *(.*)$/| \1 | \3 |/; s#[^ |]*/([^/ ]+:)#\1#; s#\[[^]]*/([^]/]+)\]#[\1]#'
}

commas() { sed -E ':a; s/([0-9])([0-9]{3})($|,)/\1,\2\3/; ta' <<<"$1"; }

report() {
  local n
  printf '### acmehook instructions (callgrind, %s lineages)\n\n' "$LINEAGES"
  printf 'Date %s; acmehook %s.\n\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$AH_LABEL"
  printf '| what | instructions | wall s (under callgrind) | HTTP requests | status |\n'
  printf '|---|---|---|---|---|\n'
  for n in "${NAMES[@]}"; do
    printf '| %s | %s | %s | %s | %s |\n' "$n" \
      "$(commas "${IR[$n]:-?}")" \
      "${WALL[$n]}" "${REQS[$n]}" "${STATUS[$n]}"
  done
  for n in issue certificates; do
    [ -s "$OUT/$n.callgrind.out" ] || continue
    printf '\n#### Top functions by own instructions: %s\n\n| instructions | function |\n|---|---|\n' "$n"
    top "$OUT/$n.callgrind.out" 8
  done
}

report >"$OUT/report.md"
cat "$OUT/report.md"
[ -z "${BENCH_OUT:-}" ] || cp "$OUT/report.md" "$BENCH_OUT"
AH_FINISHED=1
exit 0
