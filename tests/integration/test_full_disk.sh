#!/usr/bin/env bash
# A full disk at every write step of a renewal: strace makes the Nth
# write (then symlink, mkdir, link, rename) of a forced renewal fail with
# ENOSPC, for N = 1, 2, ... until the run no longer reaches an Nth call.
# A run that fails exits 1 with a line saying there is no space, and has
# changed nothing: live/ serves the same certificate with its key, the
# renewal file is byte-identical, the status record says the same apart
# from the failed attempt it records, no temporary,
# kept copy or partial archive version is left, and the next run with
# space goes on from there. When the renewal file is the write that
# failed, the next forced renewal switches live/ and runs the deploy hook
# for the new version.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=lib_testpoints.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_testpoints.sh"
ah_setup
ah_require_bin
ah_require_tool strace
# The same calls in every run: Pebble rejects no nonce and reuses no
# authorization.
ah_start_dns
ah_start_nginx "$AH_T/webroot"
ah_start_pebble PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0

L=disk.example.test
LIVE="$AH_CONFIG/live/$L"
ARCH="$AH_CONFIG/archive/$L"
CONF="$AH_CONFIG/renewal/$L.conf"
STATUS="$AH_CONFIG/status/$L.json"
HOOKLOG="$AH_T/hook.log"
HOOK="$AH_T/hook.sh"
cat >"$HOOK" <<EOF2
#!/bin/sh
openssl x509 -in "\$RENEWED_LINEAGE/cert.pem" -noout -serial | sed 's/^serial=//' | tr 'A-F' 'a-f' | sed 's/^0*//' >>"$HOOKLOG"
EOF2
chmod 755 "$HOOK"

AH_ISSUE_EXTRA="--deploy-hook $HOOK" ah_issue "$L"
ah_expect_ok "certonly $L"
ah_verify_cert "$L"

SAVED="$AH_T/saved"
mkdir -p "$SAVED"
# baseline: remember what the user sees now. A run whose failed call was
# the status record's last write (after live/ switched) left the deploy
# pending; a run without failures deploys it first, so that the next
# failing run has nothing to change.
baseline() {
  if grep -q '"deploy_pending":[[:space:]]*true' "$STATUS" 2>/dev/null; then
    ah_run renew --cert-name "$L"
    ah_expect_ok "the pending deploy is retried"
    check "the retried hook ran for the live version" \
      test "$(tail -n 1 "$HOOKLOG")" = "$(ah_serial "$LIVE/cert.pem")"
  fi
  B_SERIAL=$(ah_serial "$LIVE/cert.pem")
  B_VERSIONS=$(ah_archive_versions "$L")
  B_SNAPSHOT=$(ah_snapshot)
  cp "$CONF" "$SAVED/conf"
  rm -f "$SAVED/status"
  if [ -e "$STATUS" ]; then cp "$STATUS" "$SAVED/status"; fi
}

# status_state FILE: the status record without the keys of the last
# attempt, which a failed run records by design (and "updated" with them),
# and without "renewal", what the due decision caches about the renewal
# file and its CA, which any run may refresh.
status_state() {
  python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
for k in ("updated", "last_attempt", "last_outcome", "last_problem", "last_error", "next_attempt",
          "failures", "backoff", "renewal"):
    d.pop(k, None)
print(json.dumps(d, sort_keys=True))' "$1"
}

# unchanged WHAT: everything the baseline holds is as it was; prints why not.
unchanged() {
  local why=()
  [ "$(ah_serial "$LIVE/cert.pem")" = "$B_SERIAL" ] || why+=("live/ serves another certificate")
  tp_pair_matches "$L" || why+=("live/ key does not match its certificate")
  cmp -s "$CONF" "$SAVED/conf" || why+=("the renewal file changed")
  if [ -e "$SAVED/status" ]; then
    [ "$(status_state "$STATUS" 2>&1)" = "$(status_state "$SAVED/status")" ] ||
      why+=("the status record changed: $(diff <(status_state "$SAVED/status") \
        <(status_state "$STATUS" 2>&1) | tr '\n' ' ')")
  else
    [ ! -e "$STATUS" ] || why+=("a status record appeared")
  fi
  [ "$(ah_archive_versions "$L")" = "$B_VERSIONS" ] || why+=("archive/ has another number of versions")
  [ -z "$(find "$AH_CONFIG" -name '*.tmp-*' -o -name '*.kept' -o -name "*$((B_VERSIONS + 1)).pem" -path '*/archive/*')" ] ||
    why+=("left: $(find "$AH_CONFIG" -name '*.tmp-*' -o -name '*.kept' -o -name "*$((B_VERSIONS + 1)).pem" -path '*/archive/*' | tr '\n' ' ')")
  [ "$(ah_snapshot)" = "$B_SNAPSHOT" ] || why+=("live/ or archive/ has other entries")
  [ ${#why[@]} -eq 0 ] || { printf '%s; ' "${why[@]}"; return 1; }
}

# Traced runs keep no log file (its name is taken by a directory, which
# acmehook reports and goes on): the number of log lines depends on how
# often the order is polled, and the Nth call must be the same step in
# every run.
NOLOG="$AH_T/nolog"
mkdir -p "$NOLOG/acmehook.log"

# traced SYSCALL N: a forced renewal whose Nth SYSCALL fails with ENOSPC.
# Sets INJECTED to strace's line of the failed call ("" when there was none).
traced() {
  local st="$AH_T/strace.out"
  AH_RUN_SEQ=$((AH_RUN_SEQ + 1))
  AH_OUT="$AH_RUNS/$AH_RUN_SEQ.out"
  AH_ERR="$AH_RUNS/$AH_RUN_SEQ.err"
  AH_LAST_CMD="strace ($1 #$2 fails) acmehook renew --force-renewal"
  # A failed run keeps its order's record so that the next run resumes
  # the order (test_order_resume covers that); here every traced run must
  # take the same steps, so each places an order of its own.
  rm -f "$AH_WORK/orders/$L.json" "$AH_WORK/orders/$L.key.pem"
  set +e
  timeout -k 10 120 strace -y -o "$st" -e trace="$1" -e inject="$1":error=ENOSPC:when="$2" \
    "$AH_BIN" renew --no-random-sleep-on-renew --force-renewal --cert-name "$L" \
    --config-dir "$AH_CONFIG" \
    --work-dir "$AH_WORK" --logs-dir "$NOLOG" --ca-bundle "$AH_CA_BUNDLE" \
    >"$AH_OUT" 2>"$AH_ERR" </dev/null
  AH_RC=$?
  set -e
  INJECTED=$(grep -F '(INJECTED)' "$st" || true)
}

declare -A HIT=()
# sweep SYSCALL: fail each call of SYSCALL in turn, one forced renewal
# each, until a renewal makes fewer calls than the one to fail.
sweep() {
  local sc=$1 n=0 where why runs
  baseline
  while :; do
    n=$((n + 1))
    [ $n -le 300 ] || ah_die "$sc: more than 300 calls in one renewal"
    traced "$sc" "$n"
    if [ -z "$INJECTED" ]; then
      # Fewer than N calls: the run went through untouched.
      ah_expect_ok "$sc: a renewal with no failed call ($((n - 1)) calls)"
      break
    fi
    if [ "$AH_RC" -eq 0 ]; then
      # The failed call did not matter (a log line, output); the renewal
      # went through, and its deploy hook ran for the new version.
      if [ "$(tail -n 1 "$HOOKLOG")" != "$(ah_serial "$LIVE/cert.pem")" ]; then
        fail "$sc #$n: the run succeeded but the hook did not run for the new version ($INJECTED)"
      fi
      baseline
      continue
    fi
    where=$(sed -n 's/^[a-z]*(\(.*\)) *= -1 ENOSPC.*/\1/p' <<<"$INJECTED" | cut -c1-160)
    case $INJECTED in
      *"/live/.$L-v"* | *"/live/$L.new"*) HIT[$sc:links]=1 ;;
      *"/archive/$L/privkey"*) HIT[$sc:privkey]=1 ;;
      *"/archive/$L/cert"*) HIT[$sc:cert]=1 ;;
      *"/archive/$L/chain"*) HIT[$sc:chain]=1 ;;
      *"/archive/$L/fullchain"*) HIT[$sc:fullchain]=1 ;;
      *"/renewal/$L.conf"*) HIT[$sc:renewal]=1 ;;
      *"/status/$L.json"*) HIT[$sc:status]=1 ;;
    esac
    if [ "$AH_RC" -ne 1 ] || ! grep -q 'No space left on device' "$AH_ERR"; then
      fail "$sc #$n ($where): exit $AH_RC with an error that does not say 'No space left on device'"
    fi
    if ! why=$(unchanged); then
      fail "$sc #$n ($where): the failed run changed what the user sees: $why"
    fi
    if [ "$sc" = write ] && [[ $INJECTED == *"/renewal/$L.conf"* ]]; then
      # The renewal file's write failed: live/ stayed, and the next
      # renewal switches it and deploys the new version.
      check "write #$n of the renewal file failed: live/ was not switched" \
        test "$(ah_serial "$LIVE/cert.pem")" = "$B_SERIAL"
      runs=$(wc -l <"$HOOKLOG")
      ah_run renew --force-renewal --cert-name "$L"
      ah_expect_ok "the renewal after the renewal file's failed write"
      check "it switched live/ to a new certificate" test "$(ah_serial "$LIVE/cert.pem")" != "$B_SERIAL"
      check "the deploy hook ran for the new version" \
        test "$(wc -l <"$HOOKLOG")" -eq $((runs + 1)) -a "$(tail -n 1 "$HOOKLOG")" = "$(ah_serial "$LIVE/cert.pem")"
      ah_verify_cert "$L"
      baseline
      continue
    fi
    # The next run with space goes on from the state left.
    ah_run renew --cert-name "$L"
    if [ "$AH_RC" -ne 0 ] || ! ah_output_matches 'not yet due'; then
      fail "$sc #$n ($where): the next run did not find $L in order (exit $AH_RC)"
    fi
  done
  pass "$sc: every failed call left nothing changed ($((n - 1)) calls)"
}

for sc in write symlink mkdir link rename; do
  sweep "$sc"
done
# Each call is the same step in every run only while every run takes the
# same path: a retried request (a slow CA on a busy machine) writes one
# more line to stderr and shifts the steps after it. A step missed that
# way gets another sweep of its system call, which must leave nothing
# changed all the same.
for step in write:privkey write:cert write:chain write:fullchain write:renewal write:status \
  symlink:links rename:renewal rename:status rename:links link:renewal; do
  for again in 1 2; do
    [ -z "${HIT[$step]:-}" ] || break
    ah_log "$step was not hit; sweeping ${step%%:*} again ($again)"
    sweep "${step%%:*}"
  done
done

for step in write:privkey write:cert write:chain write:fullchain write:renewal write:status \
  symlink:links rename:renewal rename:status rename:links link:renewal; do
  check "a failed call of $step" test -n "${HIT[$step]:-}"
done
ah_verify_cert "$L"
check "the hook ran for the version live/ serves" \
  test "$(tail -n 1 "$HOOKLOG")" = "$(ah_serial "$LIVE/cert.pem")"
ah_finish
