#!/usr/bin/env bash
# Runs started together into a fresh config dir: 20 `certonly` runs for 20
# names register one account between them (the first run creates it under
# the account lock, the others wait and use it), its key matches its
# record (later runs sign with it), and every lineage is complete and
# verifies. 20 rounds, each into a new config dir against the same Pebble,
# since a race shows only sometimes. Every round checks what a race would
# break: every run succeeded, one account key, one record, one
# registration, all 20 certificates verify against Pebble's root, and a
# later run signs with the stored account; one lineage a round (a
# different one each time) gets the full check of ah_verify_cert, and the
# last round checks all of them and renews one.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=lib_testpoints.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_testpoints.sh"
ah_setup
ah_require_bin
ah_start_all

# forget_pids PID...: drop reaped runs from the list the EXIT trap signals.
# Process ids wrap (pid_max may be 32768) and this test starts hundreds of
# runs: a stale id could by then be another test's server, which the trap
# would stop (it signals the process group of each id).
forget_pids() {
  local keep=() names=() i p gone
  for i in "${!AH_PIDS[@]}"; do
    gone=0
    for p in "$@"; do [ "${AH_PIDS[$i]}" = "$p" ] && gone=1 && break; done
    [ $gone = 1 ] && continue
    keep+=("${AH_PIDS[$i]}")
    names+=("${AH_PID_NAMES[$i]}")
  done
  AH_PIDS=("${keep[@]}")
  AH_PID_NAMES=("${names[@]}")
  printf '%s\n' "${AH_PIDS[@]}" >"$AH_T/.pids"
}

ROUNDS=${AH_CONCURRENT_ROUNDS:-20}
RUNS=20
root=$(ah_root_file) || ah_die "cannot fetch Pebble's root"
t_all=$SECONDS

for r in $(seq 1 "$ROUNDS"); do
  ah_use_config "round$r"
  TP_GATE="$AH_T/round$r/go"
  pids=()
  for i in $(seq 1 $RUNS); do
    tp_start pid "r$r-$i" -- certonly --webroot -w "$AH_WEBROOT" -d "n$i.r$r.example.test" \
      -n --agree-tos -m "test@example.test" --server "$AH_DIR_URL"
    pids+=("$pid")
  done
  t0=$SECONDS
  : >"$TP_GATE"
  failed=()
  for i in $(seq 1 $RUNS); do
    tp_wait "${pids[$((i - 1))]}"
    [ "$TP_RC" -eq 0 ] || failed+=("$i:$TP_RC")
  done
  unset TP_GATE
  forget_pids "${pids[@]}"
  if [ ${#failed[@]} -eq 0 ]; then
    pass "round $r: all $RUNS concurrent first runs succeeded ($((SECONDS - t0)) s)"
  else
    fail "round $r: runs failed (run:exit) ${failed[*]}"
    tp_show "r$r-${failed[0]%%:*}"
  fi
  check "round $r: exactly one account key" test "$(tp_account_count private_key.pem)" -eq 1
  check "round $r: exactly one account record" test "$(tp_account_count regr.json)" -eq 1
  registered=$(cat "$AH_RUNS"/r"$r"-*.err | grep -c 'Registered account' || true)
  check "round $r: one run registered, $registered did" test "$registered" -eq 1
  # Every lineage's live/ files are there, and all 20 certificates verify
  # against Pebble's root in one openssl call (one line "FILE: OK" each).
  certs=()
  complete=0
  for i in $(seq 1 $RUNS); do
    live="$AH_CONFIG/live/n$i.r$r.example.test"
    certs+=("$live/cert.pem")
    [ -s "$live/cert.pem" ] && [ -s "$live/chain.pem" ] && [ -s "$live/fullchain.pem" ] &&
      [ -s "$live/privkey.pem" ] && complete=$((complete + 1))
  done
  check "round $r: all $RUNS lineages are complete ($complete are)" test "$complete" -eq $RUNS
  verified=$(openssl verify -CAfile "$root" -untrusted "$AH_CONFIG/live/n1.r$r.example.test/chain.pem" \
    "${certs[@]}" 2>/dev/null | grep -c ': OK$' || true)
  check "round $r: all $RUNS certificates verify against Pebble's root ($verified do)" \
    test "$verified" -eq $RUNS
  # One lineage gets every check (names, key, modes), a different one each round.
  k=$(((r - 1) % RUNS + 1))
  ah_verify_cert "n$k.r$r.example.test"
  # The stored key and record belong together: the CA accepts requests
  # signed with the key under the record's account URL.
  ah_run certonly --webroot -w "$AH_WEBROOT" -d "later.r$r.example.test" -n --agree-tos \
    --server "$AH_DIR_URL"
  ah_expect_ok "round $r: a later certonly with the stored account"
  check "round $r: still one account key" test "$(tp_account_count private_key.pem)" -eq 1
done

# The last round in full: every lineage, and a renewal.
ok=0
for i in $(seq 1 $RUNS); do
  ah_verify_cert "n$i.r$ROUNDS.example.test" >/dev/null
  [ "$AH_OK" = 1 ] && ok=$((ok + 1))
done
check "round $ROUNDS: all $RUNS lineages pass every check ($ok did)" test "$ok" -eq $RUNS
ah_run renew --force-renewal --cert-name "n1.r$ROUNDS.example.test"
ah_expect_ok "round $ROUNDS: renew --force-renewal --cert-name n1.r$ROUNDS.example.test"
check "round $ROUNDS: the renewal is version 2" \
  test -s "$AH_CONFIG/archive/n1.r$ROUNDS.example.test/cert2.pem"
ah_verify_cert "n1.r$ROUNDS.example.test"
check "round $ROUNDS: still one account key" test "$(tp_account_count private_key.pem)" -eq 1
ah_log "$ROUNDS rounds of $RUNS runs in $((SECONDS - t_all)) s"

ah_finish
