#!/usr/bin/env bash
# The account lock, step by step: run A is held at "account-locked" (it
# holds the account lock and has not registered yet); run B, started then,
# waits for the lock and says so, without registering an account of its
# own; released, A registers and B uses A's account. Both certificates
# verify and one account exists.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=lib_testpoints.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_testpoints.sh"
ah_setup
ah_require_bin
tp_require_testpoints
ah_start_all

A=a.lockwait.example.test
B=b.lockwait.example.test
pid_a='' pid_b=''
args=(--webroot -w "$AH_WEBROOT" -n --agree-tos -m "test@example.test" --server "$AH_DIR_URL")

tp_start pid_a A ACMEHOOK_TESTPOINT=account-locked -- certonly -d "$A" "${args[@]}"
tp_until 30 tp_reached account-locked || { tp_show A; ah_die "run A did not reach account-locked"; }
pass "run A holds the account lock"

tp_start pid_b B -- certonly -d "$B" "${args[@]}"
b_waits() { grep -q 'Waiting for another acmehook run' "$AH_RUNS/B.err"; }
if tp_until 20 b_waits; then pass "run B says it waits for another run"; else fail "run B does not say it waits"; tp_show B; fi
check "run B names the account lock file" grep -q '\.locks/accounts/.*\.lock' "$AH_RUNS/B.err"
sleep 0.5
check "run B is still waiting" kill -0 "$pid_b"
check "no account key written while A is held" test "$(tp_account_count private_key.pem)" -eq 0
check "no account record written while A is held" test "$(tp_account_count regr.json)" -eq 0
check "run B has not registered" bash -c "! grep -q 'Registered account' '$AH_RUNS/B.err'"

tp_release account-locked
tp_wait "$pid_a"
rc_a=$TP_RC
tp_wait "$pid_b"
rc_b=$TP_RC
if [ "$rc_a" -eq 0 ]; then pass "run A succeeds"; else fail "run A exit $rc_a"; tp_show A; fi
if [ "$rc_b" -eq 0 ]; then pass "run B succeeds"; else fail "run B exit $rc_b"; tp_show B; fi
check "run A registered the account" grep -q 'Registered account' "$AH_RUNS/A.err"
check "run B did not register one" bash -c "! grep -q 'Registered account' '$AH_RUNS/B.err'"
check "run B said once that it waits" test "$(grep -c 'Waiting for another' "$AH_RUNS/B.err")" -eq 1
check "exactly one account key" test "$(tp_account_count private_key.pem)" -eq 1
check "exactly one account record" test "$(tp_account_count regr.json)" -eq 1
ah_verify_cert "$A"
ah_verify_cert "$B"
ah_run renew --force-renewal --cert-name "$B"
ah_expect_ok "renew --force-renewal --cert-name $B with the shared account"
ah_verify_cert "$B"

ah_finish
