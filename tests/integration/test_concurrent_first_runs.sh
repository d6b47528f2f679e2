#!/usr/bin/env bash
# Runs started together into a fresh config dir: 20 `certonly` runs for 20
# names register one account between them (the first run creates it under
# the account lock, the others wait and use it), its key matches its
# record (later runs sign with it), and every lineage is complete and
# verifies. Several rounds, each into a new config dir, since a race shows
# only sometimes.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=lib_testpoints.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_testpoints.sh"
ah_setup
ah_require_bin
ah_start_all

ROUNDS=${AH_CONCURRENT_ROUNDS:-5}
RUNS=20

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
  ok=0
  for i in $(seq 1 $RUNS); do
    ah_verify_cert "n$i.r$r.example.test" >/dev/null
    [ "$AH_OK" = 1 ] && ok=$((ok + 1))
  done
  check "round $r: all $RUNS lineages verify against Pebble's root ($ok did)" test "$ok" -eq $RUNS
  # The stored key and record belong together: the CA accepts requests
  # signed with the key under the record's account URL.
  ah_run certonly --webroot -w "$AH_WEBROOT" -d "later.r$r.example.test" -n --agree-tos \
    --server "$AH_DIR_URL"
  ah_expect_ok "round $r: a later certonly with the stored account"
  ah_run renew --force-renewal --cert-name "n1.r$r.example.test"
  ah_expect_ok "round $r: renew --force-renewal --cert-name n1.r$r.example.test"
  check "round $r: the renewal is version 2" test -s "$AH_CONFIG/archive/n1.r$r.example.test/cert2.pem"
  ah_verify_cert "n1.r$r.example.test"
  check "round $r: still one account key" test "$(tp_account_count private_key.pem)" -eq 1
done

ah_finish
