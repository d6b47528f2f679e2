#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# bench/run.sh: regenerates bench/RESULTS.md in one run.
#
# 1. compare.sh, existing account, one name (BENCH_N1 runs per client,
#    default 15) and ten names in one certificate (BENCH_N10, default 7):
#    acmehook, uacme, certbot and lego side by side against one Pebble.
# 2. The summary: median wall time, median CPU time and peak RSS per
#    client, and acmehook's ratios to uacme (wall) and lego (CPU).
# 3. Where acmehook's memory goes: the peak RSS of a program that only
#    links libcurl and calls curl_global_init, against acmehook's.
# 4. acmehook alone against its own Pebble: fsyncs per issuance (strace),
#    HTTP requests per issuance, wall and CPU time when it trusts the
#    system's store (no --ca-bundle; BENCH_N1 runs, in a private mount
#    namespace whose /etc/ssl/certs is a copy of this machine's with
#    Pebble's TLS certificate added), and the instruction counts of
#    bench/instructions.sh (BENCH_INSTRUCTIONS=0 leaves them out). With
#    BENCH_BASELINE=BINARY (an acmehook built from an earlier checkout,
#    its plugins beside it as for AH_BIN), the fsyncs and the system-store
#    runs are measured for it too, as "before" (BENCH_BASELINE_LABEL names
#    it in the report).
# 5. bench/renew_parallel.sh and bench/renew_noop.sh, when they exist.
#
# Everything runs on a fresh ext4 file system (bench_fresh_fs in common.sh,
# BENCH_FRESH_FS=0 to use TMPDIR as it is).
#
# Environment: BENCH_N1, BENCH_N10, BENCH_INSTRUCTIONS, BENCH_BASELINE(_LABEL),
# BENCH_RESULTS (the file written, default bench/RESULTS.md), AH_BIN,
# BENCH_NO_INSTALL, and what compare.sh reads. Nothing here asserts a time.
set -uo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
N1=${BENCH_N1:-15}
N10=${BENCH_N10:-7}
RESULTS=${BENCH_RESULTS:-$BENCH_DIR/RESULTS.md}
: "${AH_BIN:=$REPO_DIR/build/bin/acmehook}"
export AH_BIN
for v in "$N1" "$N10"; do
  case $v in '' | *[!0-9]* | 0) echo "BENCH_N1 and BENCH_N10 must be positive integers" >&2; exit 2 ;; esac
done
# shellcheck source=common.sh
. "$BENCH_DIR/common.sh"
[ -x "$AH_BIN" ] || { blog "no acmehook binary at $AH_BIN: build first"; exit 1; }

bench_fresh_fs
W=$(mktemp -d "${TMPDIR:-/tmp}/acmehook-bench-run.XXXXXX")
trap 'rm -rf "$W"; eval "$BENCH_FS_CLEANUP"' EXIT
START=$(date -u +%Y-%m-%dT%H:%MZ)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

# ------------------------------------------------------------ the peers

blog "one name, $N1 runs per client"
BENCH_N=$N1 BENCH_NAMES=1 BENCH_SCENARIOS=reuse BENCH_RAW="$W/raw1.tsv" \
  BENCH_CLIENTS="acmehook certbot lego uacme floor harness" \
  BENCH_OUT="$W/compare1.md" bash "$BENCH_DIR/compare.sh" >/dev/null
blog "ten names, $N10 runs per client"
BENCH_N=$N10 BENCH_NAMES=10 BENCH_SCENARIOS=reuse BENCH_STARTUP=0 BENCH_RAW="$W/raw10.tsv" \
  BENCH_OUT="$W/compare10.md" bash "$BENCH_DIR/compare.sh" >/dev/null

# med FILE CLIENT COLUMN: the median of COLUMN (wall_ms, rss_kib, cpu_ms;
# "max" of it with COLUMN:max) over CLIENT's successful timed runs in the
# raw TSV FILE; "-" when there are none.
med() {
  local col=${3%%:*} how=median
  [ "$3" = "${3%:max}" ] || how=max
  awk -F'\t' -v c="$2" -v col="$col" -v how="$how" '
    NR == 1 { for (i = 1; i <= NF; i++) idx[$i] = i; next }
    $1 == c && $4 == 1 && $3 !~ /warmup/ { v[++n] = $idx[col] + 0 }
    END {
      if (!n) { print "-"; exit }
      for (i = 2; i <= n; i++) { x = v[i]; j = i - 1; while (j > 0 && v[j] > x) { v[j+1] = v[j]; j-- } v[j+1] = x }
      if (how == "max") print v[n]
      else print (n % 2) ? v[(n+1)/2] : (v[n/2] + v[n/2+1]) / 2
    }' "$1" 2>/dev/null || echo "-"
}
count() {
  awk -F'\t' -v c="$2" 'NR > 1 && $1 == c && $3 !~ /warmup/ { n++; if ($4 == 1) ok++ }
    END { printf "%d/%d", ok, n }' "$1" 2>/dev/null
}
# slow FILE CLIENT: CLIENT's successful runs in FILE that took 1 s or more.
slow() {
  awk -F'\t' -v c="$2" 'NR > 1 && $1 == c && $3 !~ /warmup/ && $4 == 1 && $5 >= 1000 { n++ }
    END { print n + 0 }' "$1" 2>/dev/null
}

# ratio A B: A/B to two decimals, or "-".
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f", a / b }'; }
mib() { awk -v k="$1" 'BEGIN { if (k == "-") print "-"; else printf "%.1f", k / 1024 }'; }
secs() { awk -v m="$1" 'BEGIN { if (m == "-") print "-"; else printf "%.3f", m / 1000 }'; }
# verdict VALUE OP LIMIT: "met" or "not met".
verdict() { awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN { if (v == "-") print "?"; else if ((op == "<=" && v <= l) || (op == ">=" && v >= l)) print "met"; else print "not met" }'; }

# ----------------------------------------------------- memory baseline

# The peak RSS of programs that do nothing but start: plain C, linked
# with OpenSSL and initialising it, linked with libcurl and calling
# curl_global_init (what every libcurl program pays before its first
# request).
rss_of() {
  local i
  for i in 1 2 3 4 5 6 7 8 9; do /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n 1; done |
    sort -n | sed -n 5p
}
cat >"$W/bare.c" <<'EOF'
int main(void) { return 0; }
EOF
cat >"$W/ossl.c" <<'EOF'
#include <openssl/ssl.h>
int main(void) { return OPENSSL_init_ssl(0, NULL) ? 0 : 1; }
EOF
cat >"$W/curl.c" <<'EOF'
#include <curl/curl.h>
int main(void)
{
	CURL *h;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(h = curl_easy_init()))
		return 1;
	curl_easy_cleanup(h);
	curl_global_cleanup();
	return 0;
}
EOF
RSS_BARE=- RSS_OSSL=- RSS_CURL=-
if command -v cc >/dev/null && cc -O2 "$W/bare.c" -o "$W/bare" 2>/dev/null; then
  RSS_BARE=$(rss_of "$W/bare")
  cc -O2 "$W/ossl.c" -o "$W/ossl" -lssl -lcrypto 2>/dev/null && RSS_OSSL=$(rss_of "$W/ossl")
  # shellcheck disable=SC2046
  cc -O2 "$W/curl.c" -o "$W/curl" $(pkg-config --cflags --libs libcurl 2>/dev/null || echo -lcurl) \
    2>/dev/null && RSS_CURL=$(rss_of "$W/curl")
fi
RSS_VERSION=$(rss_of "$AH_BIN" --version)

# ----------------------------------------------- acmehook by itself

# fsyncs and requests of one issuance (existing account), and the
# instruction counts, against a Pebble of its own.
(
  # shellcheck source=../tests/integration/lib.sh
  . "$REPO_DIR/tests/integration/lib.sh"
  AH_TEST_NAME=bench-run
  ah_setup >/dev/null 2>&1
  ah_start_all PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0 >/dev/null 2>&1 || exit 1
  # cmd TAG BIN NAME...: CMD is one issuance of the names by BIN in the
  # state directory STATE of TAG, whose first run registers the account.
  # With SYSTEM_TRUST set, no --ca-bundle.
  cmd() {
    local n
    STATE="$W/state-$1"
    CMD=(env -u ACMEHOOK_CA_BUNDLE "$2" certonly --webroot -w "$AH_WEBROOT" -n --agree-tos
      --server "$AH_DIR_URL" --key-type ecdsa --config-dir "$STATE/config"
      --work-dir "$STATE/work" --logs-dir "$STATE/logs")
    [ -n "${SYSTEM_TRUST:-}" ] || CMD+=(--ca-bundle "$AH_CA_BUNDLE")
    shift 2
    for n in "$@"; do CMD+=(-d "$n"); done
  }
  BINS=(after:"$AH_BIN")
  [ -z "${BENCH_BASELINE:-}" ] || BINS+=(before:"$BENCH_BASELINE")
  for tb in "${BINS[@]}"; do
    tag=${tb%%:*} bin=${tb#*:}
    cmd "$tag" "$bin" "warmup.$tag.run.bench.example.test"
    "${CMD[@]}" >/dev/null 2>&1
    if command -v strace >/dev/null; then
      cmd "$tag" "$bin" "fsync.$tag.run.bench.example.test"
      strace -f -o "$W/fsync.strace" -e trace=fsync,fdatasync,sync_file_range,syncfs "${CMD[@]}" \
        >/dev/null 2>&1 &&
        grep -cE '^[0-9]+ +(fsync|fdatasync|sync_file_range|syncfs)\(' "$W/fsync.strace" \
          >"$W/fsyncs.$tag"
    fi
  done
  for k in 1 10; do
    names=()
    for ((i = 1; i <= k; i++)); do names+=("n$i.req$k.run.bench.example.test"); done
    cmd after "$AH_BIN" "${names[@]}"
    l0=$(wc -l <"$STATE/logs/acmehook.log")
    "${CMD[@]}" >/dev/null 2>&1
    tail -n +"$((l0 + 1))" "$STATE/logs/acmehook.log" | grep -cE ' (GET|HEAD|POST) https://' \
      >"$W/requests$k"
  done
  # Trusting the system's store, as acmehook runs outside tests: its
  # certificate directory is copied, Pebble's TLS certificate added to the
  # bundle file and as a hashed link, and the copy bind-mounted over
  # /etc/ssl/certs in a mount namespace of each run's own. The system's
  # directory is never changed.
  sys="$W/system-certs"
  if unshare -m sh -c "mount --bind '$W' /etc/ssl/certs" 2>/dev/null &&
    cp -a /etc/ssl/certs "$sys" 2>/dev/null; then
    cp "$AH_CA_BUNDLE" "$sys/zz-pebble-tls.pem"
    cat "$AH_CA_BUNDLE" >>"$sys/ca-certificates.crt"
    h=$(openssl x509 -hash -noout -in "$AH_CA_BUNDLE")
    k=0
    while [ -e "$sys/$h.$k" ]; do k=$((k + 1)); done
    ln -s zz-pebble-tls.pem "$sys/$h.$k"
    SYSTEM_TRUST=1
    printf 'client\tmode\ttag\tok\twall_ms\trss_kib\tcpu_ms\n' >"$W/rawsys.tsv"
    for ((i = 1; i <= N1; i++)); do
      for tb in "${BINS[@]}"; do
        tag=${tb%%:*} bin=${tb#*:}
        cmd "$tag" "$bin" "sys$i.$tag.run.bench.example.test"
        times >"$W/t0"
        t0=$(date +%s%N)
        unshare -m sh -c 'mount --bind "$0" /etc/ssl/certs && exec "$@"' "$sys" "${CMD[@]}" \
          >/dev/null 2>&1 </dev/null
        rc=$?
        t1=$(date +%s%N)
        times >"$W/t1"
        printf '%s\t%s\t%s\t%s\t%s\t0\t%s\n' "acmehook-$tag" system "sys$i" $((rc == 0)) \
          $(((t1 - t0) / 1000000)) \
          $(($(children_cpu_ms "$W/t1") - $(children_cpu_ms "$W/t0"))) >>"$W/rawsys.tsv"
      done
    done
    unset SYSTEM_TRUST
  fi
  AH_FINISHED=1
) || blog "acmehook's own measurements failed"
FSYNCS=$(cat "$W/fsyncs.after" 2>/dev/null || echo -)
FSYNCS_BEFORE=$(cat "$W/fsyncs.before" 2>/dev/null || echo -)
REQ1=$(cat "$W/requests1" 2>/dev/null || echo -)
REQ10=$(cat "$W/requests10" 2>/dev/null || echo -)

if [ "${BENCH_INSTRUCTIONS:-1}" != 0 ]; then
  blog "instruction counts (bench/instructions.sh)"
  BENCH_OUT="$W/instructions.md" bash "$BENCH_DIR/instructions.sh" >/dev/null
fi

# The scripts of the renewal benchmarks, when this checkout has them.
for s in renew_parallel renew_noop; do
  if [ -f "$BENCH_DIR/$s.sh" ]; then
    blog "bench/$s.sh"
    bash "$BENCH_DIR/$s.sh" >"$W/$s.md" 2>"$W/$s.err" || echo "(exit $?: $(tail -n 1 "$W/$s.err"))" >>"$W/$s.md"
  fi
done

# ---------------------------------------------------------------- report

R1=$W/raw1.tsv R10=$W/raw10.tsv
declare -A W1 W10 C1 RSS OK1 OK10
for c in acmehook uacme certbot lego floor harness; do
  W1[$c]=$(med "$R1" "$c" wall_ms)
  W10[$c]=$(med "$R10" "$c" wall_ms)
  C1[$c]=$(med "$R1" "$c" cpu_ms)
  RSS[$c]=$(med "$R1" "$c" rss_kib:max)
  OK1[$c]=$(count "$R1" "$c")
  OK10[$c]=$(count "$R10" "$c")
done
r1=$(ratio "${W1[acmehook]}" "${W1[uacme]}")
r10=$(ratio "${W10[acmehook]}" "${W10[uacme]}")
rc=$(ratio "${C1[acmehook]}" "${C1[lego]}")
rss_ah=$(mib "${RSS[acmehook]}")
label=$(grep -m1 -oE '0\.[0-9.]+ \(checkout [^)]*\)' "$W/compare1.md" || echo "?")
ver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "not installed"; }

{
  printf '# Benchmark results\n\n'
  printf 'Written by `bash bench/run.sh` (see bench/README.md); every figure below comes from\n'
  printf 'that one run. Medians of many runs, Pebble on loopback with `PEBBLE_VA_NOSLEEP=1`,\n'
  printf 'no injected badNonce, fresh names and an existing account.\n\n'
  printf '## Machine and versions\n\n'
  printf -- '- date: %s to %s\n' "$START" "$(date -u +%Y-%m-%dT%H:%MZ)"
  printf -- '- machine: %s, %s CPUs, %s MiB RAM, Linux %s, Debian %s\n' \
    "$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)" "$(nproc)" \
    "$(awk '/MemTotal/ {printf "%d", $2 / 1024}' /proc/meminfo)" "$(uname -r)" \
    "$(cat /etc/debian_version 2>/dev/null || echo ?)"
  printf -- '- file system: %s\n' "$BENCH_FS"
  printf -- '- load average (1, 5, 15 min): %s at the start, %s at the end (the machine is shared)\n' \
    "$LOAD_START" "$(cut -d' ' -f1-3 /proc/loadavg)"
  printf -- '- acmehook %s; libcurl %s; OpenSSL %s\n' "$label" "$(ver libcurl4)" "$(ver libssl3)"
  printf -- '- peers (Debian packages): uacme %s, certbot %s, lego %s; Pebble %s\n\n' \
    "$(ver uacme)" "$(ver certbot)" "$(ver lego)" "$(ver pebble)"

  printf '## Summary\n\n'
  printf '| client | 1 name, wall | 10 names, wall | CPU, 1 name | peak RSS, 1 name | runs ok (1 / 10 names) |\n'
  printf '|---|---|---|---|---|---|\n'
  for c in acmehook uacme certbot lego; do
    printf '| %s | %s s | %s s | %s s | %s MiB | %s, %s |\n' "$c" "$(secs "${W1[$c]}")" \
      "$(secs "${W10[$c]}")" "$(secs "${C1[$c]}")" "$(mib "${RSS[$c]}")" "${OK1[$c]}" "${OK10[$c]}"
  done
  printf '\nWall and CPU: medians (CPU is user + system of the process tree); peak RSS: the\n'
  printf 'largest over the runs. %s runs per client with one name, %s with ten.\n\n' "$N1" "$N10"

  printf '### Targets\n\n'
  printf '| target | measured | |\n|---|---|---|\n'
  printf '| 1 name: wall time at most 0.15x uacme'"'"'s | %sx | %s |\n' "$r1" "$(verdict "$r1" '<=' 0.15)"
  printf '| 10 names: wall time at most 0.06x uacme'"'"'s | %sx | %s |\n' "$r10" "$(verdict "$r10" '<=' 0.06)"
  printf '| CPU per issuance at most half of lego'"'"'s | %sx | %s |\n' "$rc" "$(verdict "$rc" '<=' 0.5)"
  printf '| peak RSS at most 11 MiB | %s MiB | %s |\n' "$rss_ah" "$(verdict "$rss_ah" '<=' 11)"
  printf '\nOther ratios of acmehook: 1 name %sx lego'"'"'s and %sx certbot'"'"'s wall time; ' \
    "$(ratio "${W1[acmehook]}" "${W1[lego]}")" "$(ratio "${W1[acmehook]}" "${W1[certbot]}")"
  printf '10 names %sx lego'"'"'s and %sx certbot'"'"'s; CPU %sx uacme'"'"'s.\n\n' \
    "$(ratio "${W10[acmehook]}" "${W10[lego]}")" "$(ratio "${W10[acmehook]}" "${W10[certbot]}")" \
    "$(ratio "${C1[acmehook]}" "${C1[uacme]}")"

  printf 'uacme'"'"'s wall time has two modes: it polls a challenge once, right after answering\n'
  printf 'it, and when Pebble has not validated it by then it waits 5 s (or the CA'"'"'s\n'
  printf 'Retry-After) before the next poll. In this run %s of its %s one-name runs and %s of\n' \
    "$(slow "$R1" uacme)" "${OK1[uacme]%%/*}" "$(slow "$R10" uacme)"
  printf 'its %s ten-name runs took 1 s or more; the medians above are over all its runs.\n\n' \
    "${OK10[uacme]%%/*}"

  printf '### The floor under these targets\n\n'
  printf 'Timed in the same runs, interleaved with the clients: `bench/floor.c`, which only\n'
  printf 'initialises libcurl, opens one TLS connection to Pebble and GETs the directory (the\n'
  printf 'least any client built on libcurl does), and `true` under the same wrappers.\n\n'
  printf '| | wall | CPU | peak RSS | runs ok |\n|---|---|---|---|---|\n'
  printf '| libcurl, one HTTPS GET (floor.c) | %s s | %s s | %s MiB | %s |\n' "$(secs "${W1[floor]}")" \
    "$(secs "${C1[floor]}")" "$(mib "${RSS[floor]}")" "${OK1[floor]}"
  printf '| `true` (timeout, GNU time) | %s s | %s s | %s MiB | %s |\n' "$(secs "${W1[harness]}")" \
    "$(secs "${C1[harness]}")" "$(mib "${RSS[harness]}")" "${OK1[harness]}"
  printf '| the targets | %s s (0.15x uacme'"'"'s) | %s s (half of lego'"'"'s) | 11.0 MiB | |\n\n' \
    "$(awk -v w="${W1[uacme]}" 'BEGIN { if (w == "-") print "-"; else printf "%.3f", w * 0.15 / 1000 }')" \
    "$(awk -v c="${C1[lego]}" 'BEGIN { if (c == "-") print "-"; else printf "%.3f", c / 2000 }')"
  printf 'Where the floor is above a target, no client on Debian'"'"'s libcurl meets it, since\n'
  printf 'an issuance needs that request and about eight more. Over the floor, acmehook'"'"'s\n'
  printf 'issuance takes %s ms more wall time, %s ms more CPU and %s MiB more memory.\n\n' \
    "$(awk -v a="${W1[acmehook]}" -v b="${W1[floor]}" 'BEGIN { if (a == "-" || b == "-") print "-"; else print a - b }')" \
    "$(awk -v a="${C1[acmehook]}" -v b="${C1[floor]}" 'BEGIN { if (a == "-" || b == "-") print "-"; else print a - b }')" \
    "$(awk -v a="${RSS[acmehook]}" -v b="${RSS[floor]}" 'BEGIN { if (a == "-" || b == "-") print "-"; else printf "%.1f", (a - b) / 1024 }')"

  printf '### Memory\n\n'
  printf 'Peak RSS (GNU time, median of 9) of programs that only start:\n\n'
  printf '| program | peak RSS |\n|---|---|\n'
  printf '| `int main(void) { return 0; }` | %s MiB |\n' "$(mib "$RSS_BARE")"
  printf '| linked with OpenSSL, `OPENSSL_init_ssl` | %s MiB |\n' "$(mib "$RSS_OSSL")"
  printf '| linked with libcurl, `curl_global_init` + `curl_easy_init` | %s MiB |\n' "$(mib "$RSS_CURL")"
  printf '| `acmehook --version` | %s MiB |\n' "$(mib "$RSS_VERSION")"
  printf '| acmehook, one issuance (above) | %s MiB |\n\n' "$rss_ah"
  printf 'Of acmehook'"'"'s peak during an issuance, %s MiB is what libcurl costs any program\n' \
    "$(mib "$RSS_CURL")"
  printf 'before its first request (mostly the pages of the 30-odd shared libraries Debian'"'"'s\n'
  printf 'libcurl links, GnuTLS through librtmp among them); %s MiB is left for the issuance.\n\n' \
    "$(awk -v a="${RSS[acmehook]}" -v b="$RSS_CURL" 'BEGIN { if (a == "-" || b == "-") print "-"; else printf "%.1f", (a - b) / 1024 }')"

  printf '### acmehook per issuance\n\n'
  printf -- '- fsync calls (strace -f, one name, existing account): %s' "$FSYNCS"
  [ -z "${BENCH_BASELINE:-}" ] || printf ' (before: %s)' "$FSYNCS_BEFORE"
  printf '\n- HTTP requests: %s for one name, %s for ten names\n\n' "$REQ1" "$REQ10"
  if [ -s "$W/rawsys.tsv" ]; then
    printf '### acmehook trusting the system store\n\n'
    printf 'One name, existing account, no `--ca-bundle`: this machine'"'"'s /etc/ssl/certs\n'
    printf '(%s certificates in its bundle file) with Pebble'"'"'s TLS certificate added, in a\n' \
      "$(grep -c 'BEGIN CERTIFICATE' /etc/ssl/certs/ca-certificates.crt)"
    printf 'private mount namespace (its cost, a few ms, is in the wall time). Medians of %s runs.\n\n' "$N1"
    printf '| acmehook | wall | CPU | runs ok |\n|---|---|---|---|\n'
    for tag in after before; do
      grep -q "^acmehook-$tag	" "$W/rawsys.tsv" || continue
      printf '| %s | %s s | %s s | %s |\n' "$([ $tag = after ] && echo "this checkout" || echo "before: ${BENCH_BASELINE_LABEL:-$BENCH_BASELINE}")" \
        "$(secs "$(med "$W/rawsys.tsv" "acmehook-$tag" wall_ms)")" \
        "$(secs "$(med "$W/rawsys.tsv" "acmehook-$tag" cpu_ms)")" "$(count "$W/rawsys.tsv" "acmehook-$tag")"
    done
    printf '\n'
  fi

  printf '## Details\n\n'
  sed 's/^### /### /' "$W/compare1.md"
  printf '\n'
  cat "$W/compare10.md"
  printf '\n'
  if [ -s "$W/instructions.md" ]; then cat "$W/instructions.md"; printf '\n'; fi
  for s in renew_parallel renew_noop; do
    if [ -f "$W/$s.md" ]; then
      printf '## bench/%s.sh\n\n' "$s"
      cat "$W/$s.md"
      printf '\n'
    fi
  done
} >"$RESULTS"
blog "wrote $RESULTS"
cat "$RESULTS"
