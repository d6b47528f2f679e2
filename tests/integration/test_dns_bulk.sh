#!/usr/bin/env bash
# dns-01 in bulk through dns-rfc2136 against BIND. Ten names and a wildcard
# in one zone: one certificate that verifies against Pebble's root, every
# value served while the CA validates, each value deleted exactly as added,
# and at most two UPDATE messages to present and two to clean up, counted
# by BIND's statistics channel before and after a pause point between the
# two phases. The client's own DNS queries are counted from its log.
# Then a partial failure: an order whose names span a zone the key may
# update and one it may not. The first zone's records go in, the second
# zone's update is refused, and cleanup removes exactly the first zone's
# records and sends nothing to the second. Last, SIGTERM after presenting:
# one UPDATE takes every value away again.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=lib_dns.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_dns.sh"
# shellcheck source=lib_testpoints.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_testpoints.sh"
ah_setup
ah_require_bin
tp_require_testpoints
ah_dns_init
ah_port AH_BIND_STATS_PORT

# bulk.test takes key-bulk; other.test takes only key-other.
ah_tsig_key key-bulk
ah_tsig_key key-other
ah_bind_zone bulk.test key-bulk
ah_bind_zone other.test key-other
ah_start_bind
ah_start_resolver
# Fresh authorizations only: every name of the order needs its record.
ah_start_pebble PEBBLE_AUTHZREUSE=0

CREDS="$AH_T/bulk.ini"
ah_credentials "$CREDS" key-bulk 127.0.0.1
COMMON=(-n --agree-tos -m dns@bulk.test --server "$AH_DIR_URL" "${AH_DNS_FLAGS[@]}")
stats_up() { [ -n "$(ah_bind_opcode UPDATE)" ]; }
check "BIND's statistics channel answers" stats_up

# client_queries FROM: the DNS queries acmehook logged (one debug line per
# question sent) after line FROM of its log.
client_queries() {
  tail -n "+$(($1 + 1))" "$AH_LOGDIR/acmehook.log" |
    grep -cE ' debug DNS [A-Z]+ [^ ]+ at [^ ]+: [A-Z0-9]+, [0-9]+ answers$' || true
}
log_lines() {
  if [ -e "$AH_LOGDIR/acmehook.log" ]; then wc -l <"$AH_LOGDIR/acmehook.log"; else echo 0; fi
}

# served_values: how many TXT values the primary serves at the
# _acme-challenge names of the bulk order.
served_values() {
  local i n=0
  for i in $(seq 1 10); do
    n=$((n + $(ah_txt "_acme-challenge.n$i.bulk.test" | grep -c . || true)))
  done
  echo "$n"
}

# --- ten names and a wildcard in one zone ---
NAMES=()
WANT=()
for i in $(seq 1 10); do
  NAMES+=(-d "n$i.bulk.test")
  WANT+=("n$i.bulk.test")
done
NAMES+=(-d '*.n1.bulk.test')
WANT+=('*.n1.bulk.test')

u0=$(ah_bind_opcode UPDATE)
l0=$(log_lines)
tp_start PID bulk ACMEHOOK_TESTPOINT=challenges-answered -- \
  certonly --dns-rfc2136 --dns-rfc2136-credentials "$CREDS" "${NAMES[@]}" --cert-name bulk \
  "${COMMON[@]}"
if ! tp_until 90 tp_reached challenges-answered; then
  tp_show bulk
  ah_die "acmehook never answered the challenges"
fi
u1=$(ah_bind_opcode UPDATE)
served=$(served_values)
tp_release challenges-answered
tp_wait "$PID"
u2=$(ah_bind_opcode UPDATE)
present=$((u1 - u0))
cleanup=$((u2 - u1))
queries=$(client_queries "$l0")
ah_log "10 names + 1 wildcard in one zone: $present UPDATE message(s) to present," \
  "$cleanup to clean up; $queries DNS queries from the client"
[ "$TP_RC" = 0 ] || tp_show bulk
check "certonly of 10 names and a wildcard in bulk.test succeeded (exit $TP_RC)" test "$TP_RC" = 0
ah_verify_cert bulk "${WANT[@]}"
check "all 11 values were served while the CA validated ($served)" test "$served" -eq 11
check "presenting took 1 or 2 UPDATE messages ($present)" \
  test "$present" -ge 1 -a "$present" -le 2
check "cleaning up took 1 or 2 UPDATE messages ($cleanup)" \
  test "$cleanup" -ge 1 -a "$cleanup" -le 2
added=$(for i in $(seq 1 10); do ah_txt_changed bulk.test "_acme-challenge.n$i.bulk.test" add; done | sort)
deleted=$(for i in $(seq 1 10); do ah_txt_changed bulk.test "_acme-challenge.n$i.bulk.test" del; done | sort)
check "11 values added ($(echo "$added" | grep -c .))" test "$(echo "$added" | grep -c .)" -eq 11
check "exactly those values deleted" test "$added" = "$deleted"
check "cleanup deleted single values, never a whole TXT RRset" \
  test "$(ah_bind_rrset_deleted bulk.test _acme-challenge.n1.bulk.test)" = 0
# Zone, nameserver and alias lookups are made once a run: per name one
# CNAME lookup, one zone lookup at the resolvers, one at the server for the
# plugin's check, and one TXT check; per zone its NS and their addresses.
check "at most 5 DNS queries a name ($queries for 11)" test "$queries" -le 55
ah_check_no_acme_txt "no _acme-challenge TXT left after the bulk order"

# --- a partial failure: bulk.test's records go in, other.test refuses
# key-bulk; cleanup removes exactly bulk.test's records ---
PART=(-d p1.bulk.test -d p2.bulk.test -d p3.bulk.test -d x.other.test)
u0=$(ah_bind_opcode UPDATE)
denied0=$(grep -c "update 'other.test/IN' denied" "$AH_BIND_LOG" || true)
ah_run certonly --dns-rfc2136 --dns-rfc2136-credentials "$CREDS" "${PART[@]}" --cert-name part \
  "${COMMON[@]}"
u1=$(ah_bind_opcode UPDATE)
denied=$(($(grep -c "update 'other.test/IN' denied" "$AH_BIND_LOG" || true) - denied0))
ah_dns_expect_fail 1 "other\.test" "an order with a zone the key may not update fails (exit 1, naming other.test)"
check "the refusal names BIND's rcode (REFUSED)" ah_said "REFUSED"
added=$(for p in p1 p2 p3; do ah_txt_changed bulk.test "_acme-challenge.$p.bulk.test" add; done | sort)
deleted=$(for p in p1 p2 p3; do ah_txt_changed bulk.test "_acme-challenge.$p.bulk.test" del; done | sort)
check "bulk.test's 3 values were added ($(echo "$added" | grep -c .))" \
  test "$(echo "$added" | grep -c .)" -eq 3
check "and exactly those deleted" test "$added" = "$deleted"
check "nothing was written in other.test" \
  test "$(ah_txt_changed other.test _acme-challenge.x.other.test add | grep -c .)" -eq 0
check "other.test was sent one update, refused, and no cleanup ($denied refused)" test "$denied" -eq 1
check "three UPDATE messages: bulk.test's additions, other.test's, bulk.test's deletions ($((u1 - u0)))" \
  test $((u1 - u0)) -eq 3
check "no lineage for the failed order" test ! -e "$AH_CONFIG/live/part"
ah_check_no_acme_txt "no _acme-challenge TXT left after the partial failure"

# --- SIGTERM during the wait after presenting: the order stops, and one
# UPDATE removes every value the batch added ---
updates_reach() { [ "$(ah_bind_opcode UPDATE)" -ge "$1" ]; }
SIG=(-d s1.bulk.test -d s2.bulk.test -d '*.s2.bulk.test')
u0=$(ah_bind_opcode UPDATE)
setsid "$AH_BIN" certonly --dns-rfc2136 --dns-rfc2136-credentials "$CREDS" "${SIG[@]}" \
  --cert-name sig --dns-propagation none --dns-propagation-seconds 120 "${COMMON[@]}" \
  --config-dir "$AH_CONFIG" --work-dir "$AH_WORK" --logs-dir "$AH_LOGDIR" \
  --ca-bundle "$AH_CA_BUNDLE" >"$AH_T/sig.out" 2>"$AH_T/sig.err" </dev/null &
pid=$!
check "SIGTERM: the batch was presented (one UPDATE)" tp_until 60 updates_reach $((u0 + 1))
served=$(for n in s1 s2; do ah_txt "_acme-challenge.$n.bulk.test"; done | grep -c . || true)
# The signals are blocked while the order runs: the wait takes this one,
# whenever it arrives, and cleanup follows.
kill -s TERM "$pid"
rc=0
wait "$pid" || rc=$?
u1=$(ah_bind_opcode UPDATE)
check "SIGTERM: the 3 values were served before the signal ($served)" test "$served" -eq 3
check "SIGTERM: acmehook exits non-zero (rc $rc)" test "$rc" -ne 0
check "SIGTERM: the error says it was interrupted" grep -qi "signal" "$AH_T/sig.err"
check "SIGTERM: one UPDATE to present, one to clean up ($((u1 - u0)))" test $((u1 - u0)) -eq 2
added=$(for n in s1 s2; do ah_txt_changed bulk.test "_acme-challenge.$n.bulk.test" add; done | sort)
deleted=$(for n in s1 s2; do ah_txt_changed bulk.test "_acme-challenge.$n.bulk.test" del; done | sort)
check "SIGTERM: 3 values added, exactly those deleted" \
  test "$(echo "$added" | grep -c .)" -eq 3 -a "$added" = "$deleted"
check "SIGTERM: no lineage" test ! -e "$AH_CONFIG/live/sig"
ah_check_no_acme_txt "no _acme-challenge TXT left after SIGTERM"

ah_finish
