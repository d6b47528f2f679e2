#!/usr/bin/env bash
# A request's set of names picks its certificate as certbot does, and a
# changed set never replaces a certificate unasked: -d a -d b then -d a
# makes a second lineage (a-0001) and leaves the first with both names;
# the same set again, in another order and case, is "not yet due";
# --expand grows the lineage whose names are a subset, under the same
# name; --cert-name replaces a lineage's names with -n, and on a terminal
# only after a yes (a no: exit 1, nothing changed); --duplicate makes
# NAME-0001, NAME-0002 and leaves NAME as it was; --expand with
# --duplicate is a usage error. Two runs at once: a run paused while it
# makes a new lineage keeps its name from a run with other names (which
# takes NAME-0001 without waiting), and shares it with a run with the
# same names (which waits, then finds it not due).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=lib_testpoints.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_testpoints.sh"
ah_setup
ah_require_bin
tp_require_testpoints
ah_start_all

# on_tty ANSWER ARGS...: run acmehook on a pseudo-terminal (script(1)),
# typing ANSWER; sets TTY_RC and TTY_OUT.
on_tty() {
  local answer=$1
  shift
  local cmd
  cmd=$(printf '%q ' "$AH_BIN" "$@" --config-dir "$AH_CONFIG" --work-dir "$AH_WORK" \
    --logs-dir "$AH_LOGDIR" --ca-bundle "$AH_CA_BUNDLE")
  TTY_OUT="$AH_T/tty.$RANDOM.out"
  TTY_RC=0
  printf '%s\n' "$answer" | timeout 120 script -qec "$cmd" /dev/null >"$TTY_OUT" 2>&1 || TTY_RC=$?
}
serial() { ah_serial "$AH_CONFIG/live/$1/cert.pem"; }
lineages() { find "$AH_CONFIG/renewal" -name '*.conf' -printf '%f\n' | sort | tr '\n' ' '; }
# uses VERSION NAME: live/NAME/cert.pem points at version VERSION.
uses() { [ "$(readlink "$AH_CONFIG/live/$2/cert.pem")" = "../../archive/$2/cert$1.pem" ]; }
WEB=(--webroot -w "$AH_WEBROOT")
COMMON=(-n --agree-tos -m names@example.test --server "$AH_DIR_URL")

# --- a smaller set makes a new lineage ---
A=shrink.example.test
ah_issue "$A" "www.$A"
ah_expect_ok "certonly -d $A -d www.$A"
ah_issue "$A"
ah_expect_ok "certonly -d $A alone"
check "it said it makes the new lineage $A-0001" ah_output_matches "$A-0001: a new lineage"
ah_verify_cert "$A" "$A" "www.$A"
check "$A is still version 1" test "$(ah_archive_versions "$A")" -eq 1
ah_verify_cert "$A-0001" "$A"
check "two lineages: $A and $A-0001" test "$(lineages)" = "$A-0001.conf $A.conf "

# --- the same set again (other order, other case): not due ---
ah_issue "WWW.$A" "$A"
ah_expect_ok "certonly -d WWW.$A -d $A"
check "the same set is not yet due" ah_output_matches "$A is not yet due"
check "it said it uses the existing lineage $A" ah_output_matches "$A: the existing lineage"
check "$A is still version 1 after the same set" test "$(ah_archive_versions "$A")" -eq 1
ah_issue "$A"
ah_expect_ok "certonly -d $A again"
check "-d $A again goes to $A-0001, not due" ah_output_matches "$A-0001 is not yet due"
check "still two lineages" test "$(lineages)" = "$A-0001.conf $A.conf "

# --- --expand grows the subset lineage in place ---
E=grow.example.test
ah_issue "$E"
ah_expect_ok "certonly -d $E"
s1=$(serial "$E")
AH_ISSUE_EXTRA=--expand ah_issue "$E" "www.$E"
ah_expect_ok "certonly --expand -d $E -d www.$E"
check "it said it expands $E" ah_output_matches "$E: expanding it from $E to $E, www.$E"
ah_verify_cert "$E" "$E" "www.$E"
check "$E is version 2, live/$E points at it" uses 2 "$E"
check "$E has a new certificate" test "$(serial "$E")" != "$s1"
check "no $E-0001" test ! -e "$AH_CONFIG/renewal/$E-0001.conf"

# --- --cert-name replaces the names with -n ---
C=rename.example.test
ah_issue "$C" "www.$C"
ah_expect_ok "certonly -d $C -d www.$C"
AH_ISSUE_EXTRA="--cert-name $C" ah_issue "$C" "other.$C"
ah_expect_ok "certonly --cert-name $C -d $C -d other.$C -n"
check "it said it changes the names of $C" \
  ah_output_matches "$C: changing its names from $C, www.$C to $C, other.$C"
ah_verify_cert "$C" "$C" "other.$C"
check "$C is version 2" uses 2 "$C"
check "no $C-0001" test ! -e "$AH_CONFIG/renewal/$C-0001.conf"

# ... and on a terminal only after a yes.
before=$(ah_snapshot)
s1=$(serial "$C")
on_tty n certonly "${WEB[@]}" --cert-name "$C" -d "$C" -d "third.$C" --server "$AH_DIR_URL"
check "the terminal was asked" grep -q "Update certificate $C to the names $C, third.$C? \[y/N\]" "$TTY_OUT"
check "answering no: exit 1 (got $TTY_RC)" test "$TTY_RC" -eq 1
check "answering no: the error says the change was not confirmed" \
  grep -q "acmehook: error: certificate $C keeps its names ($C, other.$C): changing them to $C, third.$C was not confirmed" "$TTY_OUT"
check "answering no: nothing changed under live/ and archive/" test "$before" = "$(ah_snapshot)"
check "answering no: same certificate" test "$(serial "$C")" = "$s1"
on_tty y certonly "${WEB[@]}" --cert-name "$C" -d "$C" -d "third.$C" --server "$AH_DIR_URL"
check "answering yes: exit 0 (got $TTY_RC)" test "$TTY_RC" -eq 0
ah_verify_cert "$C" "$C" "third.$C"

# --- --duplicate never touches the existing lineage ---
D=dup.example.test
ah_issue "$D"
ah_expect_ok "certonly -d $D"
s1=$(serial "$D")
AH_ISSUE_EXTRA=--duplicate ah_issue "$D"
ah_expect_ok "certonly --duplicate -d $D"
ah_verify_cert "$D-0001" "$D"
AH_ISSUE_EXTRA=--duplicate ah_issue "$D"
ah_expect_ok "certonly --duplicate -d $D again"
ah_verify_cert "$D-0002" "$D"
check "$D keeps its certificate" test "$(serial "$D")" = "$s1"
check "$D is still version 1" test "$(ah_archive_versions "$D")" -eq 1
ah_verify_cert "$D"

AH_ISSUE_EXTRA="--duplicate --expand" ah_issue "$D"
ah_expect_fail 2 "--expand and --duplicate exclude each other" \
  "--expand with --duplicate: exit 2 naming both"

# --- two runs at once, other names: the second takes NAME-0001 ---
R=race.example.test
pid_a='' pid_b='' pid_c=''
tp_start pid_a A ACMEHOOK_TESTPOINT=lineage-locked -- certonly "${WEB[@]}" -d "$R" -d "www.$R" \
  "${COMMON[@]}"
tp_until 30 tp_reached lineage-locked || { tp_show A; ah_die "run A did not reach lineage-locked"; }
pass "run A makes lineage $R and is held"
# Run B must not wait for A: it gets a new name of its own.
tp_start pid_b B -- certonly "${WEB[@]}" -d "$R" "${COMMON[@]}" --lock-timeout 3
tp_wait "$pid_b"
if [ "$TP_RC" -eq 0 ]; then pass "run B (-d $R) succeeded while A is held"; else
  fail "run B exit $TP_RC"
  tp_show B
fi
check "run B made $R-0001" grep -q "$R-0001: a new lineage" "$AH_RUNS/B.err"
tp_release lineage-locked
tp_wait "$pid_a"
if [ "$TP_RC" -eq 0 ]; then pass "run A succeeded"; else fail "run A exit $TP_RC"; tp_show A; fi
ah_verify_cert "$R" "$R" "www.$R"
ah_verify_cert "$R-0001" "$R"

# --- two runs at once, the same names: one lineage, the second not due ---
tp_reset lineage-locked
S=same.example.test
tp_start pid_a A2 ACMEHOOK_TESTPOINT=lineage-locked -- certonly "${WEB[@]}" -d "$S" "${COMMON[@]}"
tp_until 30 tp_reached lineage-locked || { tp_show A2; ah_die "run A2 did not reach lineage-locked"; }
tp_start pid_c C2 -- certonly "${WEB[@]}" -d "$S" "${COMMON[@]}"
c_waits() { grep -q "Waiting for another acmehook run working on certificate $S " "$AH_RUNS/C2.err"; }
if tp_until 20 c_waits; then pass "run C2 (same names) waits for A2's lineage"; else
  fail "run C2 does not wait for $S"
  tp_show C2
fi
tp_release lineage-locked
tp_wait "$pid_a"
check "run A2 succeeded (exit $TP_RC)" test "$TP_RC" -eq 0
tp_wait "$pid_c"
check "run C2 succeeded (exit $TP_RC)" test "$TP_RC" -eq 0
check "run C2 found $S not yet due" grep -q "$S is not yet due" "$AH_RUNS/C2.out"
check "one lineage for $S" test ! -e "$AH_CONFIG/renewal/$S-0001.conf"
check "$S is version 1" test "$(ah_archive_versions "$S")" -eq 1
ah_verify_cert "$S"

ah_finish
