#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# bench/io.sh [LABEL=BINARY...]: the file-system work of one
# `certonly --webroot` issuance of a new name (existing account, with
# BENCH_LINEAGES lineages already stored, default 5), for each acmehook
# given (default: AH_BIN), side by side against one Pebble on loopback
# (tests/integration/lib.sh). For each binary it prints:
#   inodes    files, directories and links made: successful openat with
#             O_EXCL or O_TMPFILE (mkstemp's temporaries; lock and log files
#             that exist are opened with O_CREAT alone and are not counted),
#             mkdir, symlink and link
#   fsyncs    fsync, fdatasync, sync_file_range and syncfs calls
#   syscalls  every system call (strace -f -c), the process and its children
#   stats     stat, lstat, newfstatat, statx, readlink and access calls
#   task-clock  median ms of BENCH_N (default 10) issuances, perf stat -e
#             task-clock (CPU of the process and its children; with no perf,
#             "-"), in rounds that run every binary once each
# Each binary keeps its own config dir, so their lineage counts stay alike.
# A binary given by LABEL=PATH is copied with the plugins beside it
# (bench_snapshot_acmehook), as AH_BIN is.
#
# Environment: BENCH_N, BENCH_LINEAGES, AH_BIN, AH_KEEP=1 (keep the temp dir
# with each binary's strace output).
set -uo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
N=${BENCH_N:-10}
LINEAGES=${BENCH_LINEAGES:-5}
case $N in '' | *[!0-9]* | 0) echo "BENCH_N must be a positive integer" >&2; exit 2 ;; esac
case $LINEAGES in '' | *[!0-9]*) echo "BENCH_LINEAGES must be an integer" >&2; exit 2 ;; esac
# shellcheck source=common.sh
. "$BENCH_DIR/common.sh"
command -v strace >/dev/null 2>&1 || { blog "strace is required"; exit 1; }

# shellcheck source=../tests/integration/lib.sh
. "$REPO_DIR/tests/integration/lib.sh"
bench_servers bench-io
ah_require_bin
BINS=("$@")
[ ${#BINS[@]} -gt 0 ] || BINS=(acmehook="$AH_BIN")

# cmd LABEL BIN NAME: CMD is one issuance of NAME by BIN in LABEL's state.
cmd() {
  local st="$B/state-$1"
  CMD=(env -u ACMEHOOK_CA_BUNDLE "$2" certonly --webroot -w "$AH_WEBROOT" -d "$3" -n --agree-tos
    -m bench@example.test --server "$AH_DIR_URL" --key-type ecdsa --config-dir "$st/config"
    --work-dir "$st/work" --logs-dir "$st/logs" --ca-bundle "$AH_CA_BUNDLE")
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A ROW=() BIN_OF=()
LABELS=()
for lb in "${BINS[@]}"; do
  label=${lb%%=*} AH_BIN=${lb#*=}
  LABELS+=("$label")
  bench_snapshot_acmehook "$B/bin-$label" || ah_die "cannot copy $AH_BIN"
  bin=$AH_BIN
  BIN_OF[$label]=$bin
  for ((i = 0; i <= LINEAGES; i++)); do
    cmd "$label" "$bin" "setup$i.$label.io.bench.example.test"
    "${CMD[@]}" >"$B/$label.setup.out" 2>&1 || ah_die "$label: setup issuance failed: $(tail -n 3 "$B/$label.setup.out")"
  done
  tr="$B/$label.strace"
  cmd "$label" "$bin" "trace.$label.io.bench.example.test"
  strace -f -o "$tr" "${CMD[@]}" >/dev/null 2>&1 || ah_die "$label: traced issuance failed"
  inodes=$(grep -cE '^[0-9]+ +(openat\(.*O_(EXCL|TMPFILE)|mkdir(at)?\(|symlink(at)?\(|link(at)?\().*\) += [0-9]+$' "$tr")
  fsyncs=$(grep -cE '^[0-9]+ +(fsync|fdatasync|sync_file_range|syncfs)\(' "$tr")
  stats=$(grep -cE '^[0-9]+ +(stat|lstat|newfstatat|statx|readlink(at)?|access|faccessat2?)\(' "$tr")
  cmd "$label" "$bin" "count.$label.io.bench.example.test"
  strace -f -c -o "$B/$label.count" "${CMD[@]}" >/dev/null 2>&1 || ah_die "$label: counted issuance failed"
  syscalls=$(awk '$NF == "total" { print $(NF - 2) }' "$B/$label.count")
  ROW[$label]="$inodes | $fsyncs | $syscalls | $stats"
  : >"$B/$label.clock"
done

# task-clock: rounds that run every binary once each, so that drift in the
# machine's load hits all alike.
if command -v perf >/dev/null 2>&1; then
  for ((i = 1; i <= N; i++)); do
    for label in "${LABELS[@]}"; do
      cmd "$label" "${BIN_OF[$label]}" "clock$i.$label.io.bench.example.test"
      perf stat -x, -e task-clock -o "$B/$label.perf" "${CMD[@]}" >/dev/null 2>&1 ||
        ah_die "$label: issuance $i under perf failed"
      awk -F, '$3 ~ /^task-clock/ { print $1 }' "$B/$label.perf" >>"$B/$label.clock"
    done
  done
fi
ROWS=()
for label in "${LABELS[@]}"; do
  ROWS+=("| $label | ${ROW[$label]} | $(median <"$B/$label.clock") |")
done

printf '\nOne certonly --webroot of a new name, existing account, %s lineages stored (%s)\n\n' \
  "$LINEAGES" "$(date -u +%Y-%m-%d)"
printf '| acmehook | inodes made | fsyncs | syscalls | stat-like calls | task-clock ms (median of %s) |\n' "$N"
printf '|---|---|---|---|---|---|\n'
printf '%s\n' "${ROWS[@]}"
AH_FINISHED=1
