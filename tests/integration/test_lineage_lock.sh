#!/usr/bin/env bash
# The lineage lock lives in the config dir: two runs that share
# --config-dir but not --work-dir exclude each other. Run A renews while
# held at "lineage-locked"; run B (another work dir) with --lock-timeout 2
# fails after about 2 s with exit 1, naming the lock, and changes nothing;
# run C with a longer timeout waits for A and then renews. live/ ends with
# a key that matches its certificate.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=lib_testpoints.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_testpoints.sh"
ah_setup
ah_require_bin
tp_require_testpoints
ah_start_all

L=lock.example.test
W1=$AH_WORK
W2="$AH_T/work2"
pid_a='' pid_c=''

ah_issue "$L"
ah_expect_ok "certonly $L"
ah_verify_cert "$L"

# Run A, work dir 1, held once it holds the lineage lock.
tp_start pid_a A ACMEHOOK_TESTPOINT=lineage-locked -- renew --force-renewal --cert-name "$L"
tp_until 30 tp_reached lineage-locked || { tp_show A; ah_die "run A did not reach lineage-locked"; }
pass "run A holds the lock of $L"
before=$(ah_snapshot)

# Run B, work dir 2, gives up after 2 s.
t0=$(date +%s%N)
AH_WORK=$W2 ah_run certonly --webroot -w "$AH_WEBROOT" -d "$L" -n --server "$AH_DIR_URL" \
  --force-renewal --lock-timeout 2
took=$((($(date +%s%N) - t0) / 1000000))
ah_expect_fail 1 "lock.*\.locks/$L\.lock" "run B (other work dir, --lock-timeout 2) fails naming the lock"
check "run B gave up after 2 to 4.5 s (${took} ms)" test "$took" -ge 2000 -a "$took" -lt 4500
check "run B's error is one line" test "$(grep -c 'acmehook: error:' "$AH_ERR")" -eq 1
check "run B's error says to raise --lock-timeout" grep -q -- '--lock-timeout' "$AH_ERR"
check "run B said it waits, naming the lineage" grep -q "Waiting for another acmehook run.*$L" "$AH_ERR"
check "run B changed nothing under live/ and archive/" test "$before" = "$(ah_snapshot)"

# Run C, work dir 2, waits long enough.
AH_WORK=$W2 tp_start pid_c C -- certonly --webroot -w "$AH_WEBROOT" -d "$L" -n \
  --server "$AH_DIR_URL" --force-renewal --lock-timeout 60
c_waits() { grep -q 'Waiting for another acmehook run' "$AH_RUNS/C.err"; }
if tp_until 20 c_waits; then pass "run C waits for run A"; else fail "run C does not wait"; tp_show C; fi
check "run C is still waiting" kill -0 "$pid_c"
check "nothing changed while A is held" test "$before" = "$(ah_snapshot)"

tp_release lineage-locked
tp_wait "$pid_a"
rc_a=$TP_RC
tp_wait "$pid_c"
rc_c=$TP_RC
if [ "$rc_a" -eq 0 ]; then pass "run A renewed"; else fail "run A exit $rc_a"; tp_show A; fi
if [ "$rc_c" -eq 0 ]; then pass "run C succeeded after A"; else fail "run C exit $rc_c"; tp_show C; fi
check "A and C each added a version (3 in all)" test "$(ah_archive_versions "$L")" -eq 3
check "live/$L key matches its certificate" tp_pair_matches "$L"
ah_verify_cert "$L"
check "no lock under the work dirs" test -z "$(find "$W1" "$W2" -name '*.lock' 2>/dev/null)"
check "the lineage lock is in the config dir" test -f "$AH_CONFIG/.locks/$L.lock"

ah_finish
