#!/usr/bin/env bash
# certbot's renewal hooks: --pre-hook and --post-hook run once per run
# around the lineages that are renewed, --deploy-hook after each one that
# succeeded, --failure-hook (RENEWED_LINEAGE, FAILED_DOMAINS,
# ACME_PROBLEM_TYPE, ACME_PROBLEM_DETAIL) after each one that failed; the
# executables of CONFIG/renewal-hooks/{pre,deploy,post} run in name order
# around them; the hooks are stored in the renewal files and used by
# renew. Also: `renew -q` with nothing due prints nothing at all, --json
# is refused by certonly and renew, and renew without a terminal sleeps
# first, a sleep SIGTERM ends at once.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all PEBBLE_AUTHZREUSE=0

LOG="$AH_T/hooks.log"
HOOK="$AH_T/hook.sh"
# The hook appends one line: its tag and the variables it was given.
cat >"$HOOK" <<EOF2
#!/bin/sh
echo "\$1|\${RENEWED_LINEAGE:-}|\${RENEWED_DOMAINS:-}|\${FAILED_DOMAINS:-}|\${ACME_PROBLEM_TYPE:-}|\${ACME_PROBLEM_DETAIL:-}" >>"$LOG"
EOF2
chmod 755 "$HOOK"
# tags: the first field of every line of the log, space separated.
tags() { if [ -f "$LOG" ]; then cut -d'|' -f1 "$LOG" | tr '\n' ' ' | sed 's/ $//'; fi; }
line() { grep "^$1|" "$LOG"; }

A=a.hooks.example.test
B=b.hooks.example.test
C=c.hooks.example.test
# C's webroot is a link to the served one; replacing it with an empty
# directory later makes C's validation fail at the CA.
WC="$AH_T/webroot-c"
ln -s "$AH_WEBROOT" "$WC"
HOOKS=(--pre-hook "$HOOK pre" --post-hook "$HOOK post" --deploy-hook "$HOOK deploy"
  --failure-hook "$HOOK failure")
COMMON=(-n --agree-tos -m test@example.test --server "$AH_DIR_URL" --eab-kid "$AH_EAB_KID"
  --eab-hmac-key "$AH_EAB_KEY")

# --- certonly runs the hooks once, in order, and stores them ---
ah_run certonly --webroot -w "$AH_WEBROOT" -d "$A" "${COMMON[@]}" "${HOOKS[@]}"
ah_expect_ok "certonly $A with the four hooks"
ah_verify_cert "$A"
check "certonly ran pre, deploy, post" test "$(tags)" = "pre deploy post"
check "the deploy hook got the lineage and names" \
  test "$(line deploy)" = "deploy|$AH_CONFIG/live/$A|$A|||"
for k in pre_hook post_hook deploy_hook failure_hook; do
  check "the renewal file stores $k" grep -q "^$k = $HOOK " "$AH_CONFIG/renewal/$A.conf"
done
ah_run certonly --webroot -w "$AH_WEBROOT" -d "$B" "${COMMON[@]}" "${HOOKS[@]}"
ah_expect_ok "certonly $B"
ah_run certonly --webroot -w "$WC" -d "$C" "${COMMON[@]}" "${HOOKS[@]}"
ah_expect_ok "certonly $C"
ah_verify_cert "$C"

# --- renew: stored hooks, the directories, one lineage failing ---
D="$AH_CONFIG/renewal-hooks"
mkdir -p "$D/pre" "$D/deploy" "$D/post"
for x in pre/20-second pre/10-first deploy/10-dir post/10-dir; do
  printf '#!/bin/sh\nexec %q %q\n' "$HOOK" "dir-${x%%/*}-${x#*/}" >"$D/$x"
  chmod 755 "$D/$x"
done
printf '#!/bin/sh\nexec %q not-executable\n' "$HOOK" >"$D/pre/15-not-executable"
chmod 644 "$D/pre/15-not-executable"
mkdir "$D/pre/12-a-directory"
rm "$WC"
mkdir "$WC"
serialA=$(ah_serial "$AH_CONFIG/live/$A/cert.pem")
serialC=$(ah_serial "$AH_CONFIG/live/$C/cert.pem")
: >"$LOG"
# One lineage after another, so that the lineages' hooks come in a fixed
# order (test_renew_parallel.sh covers the hooks of a parallel run).
# --revalidate: C's validation must fail even when the CA still holds
# its authorization valid.
ah_run renew --force-renewal --revalidate --parallel 1
ah_expect_fail 1 "1 of the renewals failed" "renew with $C failing exits 1"
want="dir-pre-10-first dir-pre-20-second pre deploy dir-deploy-10-dir deploy dir-deploy-10-dir"
want="$want failure post dir-post-10-dir"
check "renew ran the hooks in certbot's order" test "$(tags)" = "$want"
[ "$(tags)" = "$want" ] || ah_log "hooks ran: $(tags)"
check "$A renewed" test "$(ah_serial "$AH_CONFIG/live/$A/cert.pem")" != "$serialA"
ah_verify_cert "$A"
check "$C unchanged" test "$(ah_serial "$AH_CONFIG/live/$C/cert.pem")" = "$serialC"
check "deploy hooks got each lineage in turn" \
  test "$(grep '^deploy|' "$LOG" | cut -d'|' -f2,3 | tr '\n' ' ')" = \
  "$AH_CONFIG/live/$A|$A $AH_CONFIG/live/$B|$B "
check "the deploy directory hook got the same variables" \
  test "$(grep '^dir-deploy' "$LOG" | cut -d'|' -f2,3 | tr '\n' ' ')" = \
  "$AH_CONFIG/live/$A|$A $AH_CONFIG/live/$B|$B "
IFS='|' read -r _ f_lineage _ f_domains f_type f_detail < <(line failure)
check "the failure hook got C's live directory" test "$f_lineage" = "$AH_CONFIG/live/$C"
check "the failure hook got FAILED_DOMAINS" test "$f_domains" = "$C"
check "the failure hook got the ACME problem type" test "$f_type" = unauthorized
[ "$f_type" = unauthorized ] || ah_log "ACME_PROBLEM_TYPE=$f_type"
check "the failure hook got the problem detail" bash -c '[[ $1 == *"$2"* ]]' _ "$f_detail" "$C"
check "no pre/post/failure variables leak into pre and post" \
  test "$(grep -E '^(pre|post|dir-pre|dir-post)' "$LOG" | cut -d'|' -f2- | sort -u)" = "||||"
check "the non-executable hook did not run" bash -c "! grep -q not-executable '$LOG'"
check "one warning names the non-executable hook" \
  test "$(grep -c "15-not-executable: not an executable" "$AH_ERR")" -eq 1

# --- the command line overrides the stored hooks ---
: >"$LOG"
ah_run renew --force-renewal --cert-name "$B" --pre-hook "$HOOK cli-pre"
ah_expect_ok "renew $B with --pre-hook on the command line"
want="dir-pre-10-first dir-pre-20-second cli-pre deploy dir-deploy-10-dir post dir-post-10-dir"
check "the command line's pre-hook replaced the stored one" test "$(tags)" = "$want"

# --- a failing pre-hook: nothing is requested, the post stage still runs ---
: >"$LOG"
serialB=$(ah_serial "$AH_CONFIG/live/$B/cert.pem")
ah_run renew --force-renewal --cert-name "$B" --pre-hook "$HOOK bad-pre; exit 3"
ah_expect_fail 1 "pre-hook .*failed \(exit status 3\)" "renew whose pre-hook fails exits 1"
want="dir-pre-10-first dir-pre-20-second bad-pre failure post dir-post-10-dir"
check "a failed pre-hook: failure hook, then the post stage" test "$(tags)" = "$want"
check "$B unchanged after the failed pre-hook" \
  test "$(ah_serial "$AH_CONFIG/live/$B/cert.pem")" = "$serialB"

# --- nothing due: no hooks, and -q prints nothing at all ---
rm -r "$WC"
ln -s "$AH_WEBROOT" "$WC"
: >"$LOG"
ah_run renew -q
ah_expect_ok "renew -q with nothing due"
check "renew -q printed nothing on stdout" test "$(stat -c %s "$AH_OUT")" -eq 0
check "renew -q printed nothing on stderr" test "$(stat -c %s "$AH_ERR")" -eq 0
check "no hook ran with nothing due" test ! -s "$LOG"
ah_run renew
ah_expect_ok "renew with nothing due"
check "renew without -q says so" ah_output_matches "not yet due"

# --- --json is refused where there is no JSON output ---
ah_run renew --json
ah_expect_fail 2 "--json" "renew --json exits 2 naming --json"
check "renew --json printed no JSON" bash -c "! grep -q '^[[{]' '$AH_OUT'"
ah_run certonly --json --webroot -w "$AH_WEBROOT" -d "$A" "${COMMON[@]}"
ah_expect_fail 2 "--json" "certonly --json exits 2 naming --json"
ah_run certificates --json
ah_expect_ok "certificates keeps --json"

# --- without a terminal, renew sleeps first; SIGTERM ends the sleep ---
# The delay is random (1 s to 8 min); a draw too short to catch is tried
# again.
versions=$(ah_archive_versions "$A")
caught=0
for attempt in 1 2 3; do
  out="$AH_RUNS/sleep.$attempt.out"
  err="$AH_RUNS/sleep.$attempt.err"
  env -u ACMEHOOK_CA_BUNDLE "$AH_BIN" renew --force-renewal --cert-name "$A" \
    --config-dir "$AH_CONFIG" --work-dir "$AH_WORK" --logs-dir "$AH_LOGDIR" \
    --ca-bundle "$AH_CA_BUNDLE" >"$out" 2>"$err" </dev/null &
  pid=$!
  AH_PIDS+=("$pid")
  AH_PID_NAMES+=("acmehook sleeping renew")
  for _ in $(seq 200); do
    grep -q "sleeping" "$err" && break
    sleep 0.05
  done
  secs=$(sed -n 's/.*sleeping \([0-9]*\) s.*/\1/p' "$err")
  if [ -n "$secs" ] && [ "$secs" -ge 5 ]; then
    : >"$LOG"
    t0=$(date +%s%N)
    kill -TERM "$pid"
    rc=0
    wait "$pid" || rc=$?
    ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    check "renew without a terminal said it sleeps ($secs s)" test "$secs" -le 480
    check "SIGTERM ended the sleep at once (${ms} ms)" test "$ms" -lt 2000
    check "SIGTERM ended the run with a failure (exit $rc)" test "$rc" -ne 0
    check "no hook ran" test ! -s "$LOG"
    check "no new version of $A" test "$(ah_archive_versions "$A")" -eq "$versions"
    caught=1
    break
  fi
  wait "$pid" || true
  versions=$(ah_archive_versions "$A")
done
check "renew without a terminal slept long enough to be interrupted" test "$caught" = 1

ah_finish
