#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# bench/renew_noop.sh: `acmehook renew -q` with nothing due, over many
# lineages: the path a cron job or timer takes twice a day. Against a Pebble
# on loopback (tests/integration/lib.sh) it issues a few lineages, clones
# them into BENCH_LINEAGES lineages (default "100 1000") by copying their
# files under new names exactly as acmehook lays them out (archive/NAME,
# live/.NAME-v1 links, live/NAME, renewal/NAME.conf, status/NAME.json), runs
# one unmeasured renew, and then measures, for each count:
#   wall time of `renew -q` (hyperfine, median and mean over BENCH_RUNS runs,
#     or repeated runs with date when hyperfine is missing);
#   instructions (valgrind callgrind), exact and independent of load;
#   HTTP requests acmehook logged during one such run.
# and certonly's lookup of an existing lineage (below), timed and counted.
# It also times certonly's lookup of an existing lineage by its names
# (`certonly -d NAME -d www.NAME` of a seed's names, no --cert-name): the
# lineage is found and not due, so no order is placed; asking Pebble's
# directory for renewal information is part of the time.
#
# Environment: BENCH_LINEAGES ("100 1000"), BENCH_RUNS (20), BENCH_OUT (also
# write the markdown there), AH_BIN, AH_KEEP=1.
set -uo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
COUNTS=${BENCH_LINEAGES:-100 1000}
RUNS=${BENCH_RUNS:-20}
# shellcheck source=common.sh
. "$BENCH_DIR/common.sh"
# shellcheck source=../tests/integration/lib.sh
. "$REPO_DIR/tests/integration/lib.sh"
AH_TEST_NAME=bench-renew-noop
ah_setup
ah_require_bin
bench_snapshot_acmehook "$AH_T/acmehook-build" || ah_die "cannot copy $AH_BIN"
ah_start_all PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0
unset ACMEHOOK_CA_BUNDLE
OUT="$AH_T/renew-noop"
mkdir -p "$OUT"
LOG="$AH_LOGDIR/acmehook.log"
SEEDS=3

dirs() { printf '%s\n' --config-dir "$AH_CONFIG" --work-dir "$AH_WORK" --logs-dir "$AH_LOGDIR" \
  --ca-bundle "$AH_CA_BUNDLE"; }
mapfile -t DIRS < <(dirs)

blog "issuing $SEEDS lineages (not measured)"
for ((i = 1; i <= SEEDS; i++)); do
  "$AH_BIN" certonly --webroot -w "$AH_WEBROOT" -d "seed-$i.bench.example.test" \
    -d "www.seed-$i.bench.example.test" -n --agree-tos -m bench@example.test \
    --server "$AH_DIR_URL" --key-type ecdsa "${DIRS[@]}" >"$OUT/seed-$i.out" 2>&1 ||
    ah_die "seed issuance $i failed: $(tail -n 3 "$OUT/seed-$i.out")"
done

# clone SEED NAME: lineage NAME with SEED's files, laid out as acmehook lays
# out a lineage of one version.
clone() {
  local seed=$1 name=$2 c=$AH_CONFIG k
  mkdir -p "$c/archive/$name" "$c/live/.$name-v1"
  cp -p "$c/archive/$seed/"*1.pem "$c/archive/$name/"
  for k in cert chain fullchain privkey; do
    ln -s "../../archive/$name/${k}1.pem" "$c/live/.$name-v1/$k.pem"
  done
  ln -s ".$name-v1" "$c/live/$name"
  sed "s#/$seed/#/$name/#g; s#/$seed\.#/$name.#g" "$c/renewal/$seed.conf" >"$c/renewal/$name.conf"
  chmod 644 "$c/renewal/$name.conf"
  if [ -f "$c/status/$seed.json" ]; then cp -p "$c/status/$seed.json" "$c/status/$name.json"; fi
}

made=$SEEDS
# grow N: clone seeds until there are N lineages in all.
grow() {
  local n=$1 s
  while [ "$made" -lt "$n" ]; do
    made=$((made + 1))
    s=$(((made % SEEDS) + 1))
    clone "seed-$s.bench.example.test" "clone-$made.bench.example.test"
  done
}

log_lines() { wc -l <"$LOG" 2>/dev/null || echo 0; }
requests_since() { tail -n +"$(($1 + 1))" "$LOG" 2>/dev/null | grep -cE ' (GET|HEAD|POST) https?://'; }
RENEW=("$AH_BIN" renew -q --no-random-sleep-on-renew "${DIRS[@]}")

report_row() { printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$@"; }
{
  printf '### renew with nothing due\n\nDate %s; acmehook %s; %s.\n\n' \
    "$(date -u +%Y-%m-%dT%H:%MZ)" "$AH_LABEL" "$(nproc) CPUs"
  printf '| lineages | renew median ms | renew mean ms | renew instructions | renew HTTP requests | certonly median ms | certonly instructions |\n'
  printf '|---|---|---|---|---|---|---|\n'
} >"$OUT/report.md"

for n in $COUNTS; do
  grow "$n"
  blog "$n lineages: one unmeasured run"
  "${RENEW[@]}" </dev/null >"$OUT/warm-$n.out" 2>&1 || ah_die "renew failed: $(tail -n 3 "$OUT/warm-$n.out")"
  l0=$(log_lines)
  "${RENEW[@]}" </dev/null >/dev/null 2>&1
  reqs=$(requests_since "$l0")
  if command -v hyperfine >/dev/null 2>&1; then
    hyperfine -N -w 2 -r "$RUNS" --export-json "$OUT/hf-$n.json" \
      "${RENEW[*]}" >"$OUT/hf-$n.txt" 2>&1 </dev/null
    read -r med mean < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]
print("%.1f %.1f" % (r["median"]*1e3, r["mean"]*1e3))' "$OUT/hf-$n.json")
  else
    ts=()
    for ((r = 0; r < RUNS; r++)); do
      t0=$(date +%s%N); "${RENEW[@]}" </dev/null >/dev/null 2>&1; t1=$(date +%s%N)
      ts+=($(((t1 - t0) / 1000)))
    done
    read -r med mean < <(printf '%s\n' "${ts[@]}" | sort -n | awk '{a[NR]=$1; s+=$1}
      END {printf "%.1f %.1f\n", a[int((NR+1)/2)]/1000, s/NR/1000}')
  fi
  ir=?
  if command -v valgrind >/dev/null 2>&1; then
    valgrind --tool=callgrind --log-file="$OUT/cg-$n.log" --callgrind-out-file="$OUT/cg-$n.out" \
      "${RENEW[@]}" </dev/null >/dev/null 2>&1
    ir=$(awk '/Collected :/ {print $NF}' "$OUT/cg-$n.log" | tail -n 1)
  fi
  # certonly's choice of lineage for names that an existing lineage has
  # (the last seed's): measured up to the order, which the unreachable
  # server then refuses at once. The log says which lineage it chose.
  seedn="seed-$SEEDS.bench.example.test"
  lk=()
  for ((r = 0; r < 5; r++)); do
    t0=$(date +%s%N)
    "$AH_BIN" certonly --webroot -w "$AH_WEBROOT" -d "$seedn" -d "www.$seedn" -n \
      --server "$AH_DIR_URL" -v \
      --config-dir "$AH_CONFIG" --work-dir "$AH_WORK" --logs-dir "$AH_LOGDIR" \
      --ca-bundle "$AH_CA_BUNDLE" </dev/null >"$OUT/lookup-$n.out" 2>&1
    t1=$(date +%s%N)
    lk+=($(((t1 - t0) / 1000)))
  done
  grep -q "existing lineage" "$OUT/lookup-$n.out" || blog "certonly did not find the lineage: $(tail -n 2 "$OUT/lookup-$n.out")"
  lookup=$(printf '%s\n' "${lk[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1000}')
  lir=?
  if command -v valgrind >/dev/null 2>&1; then
    valgrind --tool=callgrind --log-file="$OUT/cg-lookup-$n.log" \
      --callgrind-out-file="$OUT/cg-lookup-$n.out" \
      "$AH_BIN" certonly --webroot -w "$AH_WEBROOT" -d "$seedn" -d "www.$seedn" -n \
      --server "$AH_DIR_URL" --config-dir "$AH_CONFIG" --work-dir "$AH_WORK" \
      --logs-dir "$AH_LOGDIR" --ca-bundle "$AH_CA_BUNDLE" </dev/null >/dev/null 2>&1
    lir=$(awk '/Collected :/ {print $NF}' "$OUT/cg-lookup-$n.log" | tail -n 1)
  fi
  blog "$n lineages: median $med ms, mean $mean ms, $ir instructions, $reqs requests, certonly $lookup ms ($lir instructions)"
  report_row "$n" "$med" "$mean" "$ir" "$reqs" "$lookup" "$lir" >>"$OUT/report.md"
done

cat "$OUT/report.md"
[ -z "${BENCH_OUT:-}" ] || cp "$OUT/report.md" "$BENCH_OUT"
AH_FINISHED=1
exit 0
