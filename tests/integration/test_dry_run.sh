#!/usr/bin/env bash
# --dry-run for certonly and renew: the whole order runs against the CA
# (Pebble sees it), no deploy hook runs, the summary line says it was a dry
# run, and the config dir and the work dir's orders/ stay byte for byte as
# they were, whether the dry run works or fails. Also: -q prints nothing on
# success.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=lib_testpoints.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_testpoints.sh"
ah_setup
ah_require_bin
# No reused authorizations: every order asks for its challenges, so a dry
# run with a webroot nobody serves fails for certain.
ah_start_all --eab PEBBLE_AUTHZREUSE=0

NAME=dry.example.test
NEW=new.dry.example.test
MARK="$AH_T/deployed"
HOOK="touch $MARK"

# state: every entry of the config dir and of the work dir's orders/, with
# its type, mode, and content hash or link target, so that any write shows.
state() {
  local d
  for d in "$AH_CONFIG" "$AH_WORK/orders"; do
    [ -e "$d" ] || { echo "absent $d"; continue; }
    (cd "$d" && find . -print0 | sort -z | while IFS= read -r -d '' f; do
      if [ -L "$f" ]; then
        printf 'L %s -> %s\n' "$f" "$(readlink "$f")"
      elif [ -f "$f" ]; then
        printf 'F %s %s %s\n' "$f" "$(stat -c %a "$f")" "$(sha256sum <"$f" | cut -d' ' -f1)"
      else
        printf 'D %s %s\n' "$f" "$(stat -c %a "$f")"
      fi
    done)
  done
}

# --- a real lineage first ---
ah_issue "$NAME"
ah_expect_ok "certonly $NAME registering the account"
# Once more, forced, so that the renewal file keeps a deploy hook.
ah_run certonly --webroot -w "$AH_WEBROOT" -d "$NAME" --server "$AH_DIR_URL" \
  --deploy-hook "$HOOK" --force-renewal
ah_expect_ok "certonly $NAME (real)"
ah_verify_cert "$NAME"
check "the deploy hook ran for the real run" test -e "$MARK"
rm -f "$MARK"
before=$(state)
orders0=$(tp_orders_added)

# --- certonly --dry-run, same names ---
ah_run certonly --dry-run --webroot -w "$AH_WEBROOT" -d "$NAME" --server "$AH_DIR_URL" \
  --deploy-hook "$HOOK"
ah_expect_ok "certonly --dry-run $NAME exits 0"
check "says the dry run was successful" ah_output_matches "^The dry run was successful\.$"
check "says it simulated a renewal" \
  ah_output_matches "Simulating renewal of an existing certificate for $NAME"
check "no 'saved at' line" test "$(grep -c 'saved at' "$AH_OUT")" -eq 0
orders1=$(tp_orders_added)
check "Pebble saw the dry run's order ($orders0 -> $orders1)" test "$orders1" -gt "$orders0"
check "no deploy hook ran" test ! -e "$MARK"
check "store unchanged by certonly --dry-run (same names)" test "$(state)" = "$before"

# --- certonly --dry-run, a new name ---
ah_run certonly --dry-run --webroot -w "$AH_WEBROOT" -d "$NEW" --server "$AH_DIR_URL" \
  --deploy-hook "$HOOK"
ah_expect_ok "certonly --dry-run $NEW exits 0"
check "says the dry run was successful (new name)" \
  ah_output_matches "^The dry run was successful\.$"
check "says it simulated a request" ah_output_matches "Simulating a certificate request for $NEW"
orders2=$(tp_orders_added)
check "Pebble saw the new name's order ($orders1 -> $orders2)" test "$orders2" -gt "$orders1"
check "no deploy hook ran (new name)" test ! -e "$MARK"
check "store unchanged by certonly --dry-run (new name)" test "$(state)" = "$before"

# --- renew --dry-run: the lineage is not due, and is renewed anyway ---
ah_run renew --dry-run
ah_expect_ok "renew --dry-run exits 0"
check "renew says the dry run was successful" ah_output_matches "^The dry run was successful\.$"
check "renew simulated the renewal of $NAME" \
  ah_output_matches "Simulating renewal of an existing certificate for $NAME"
check "renew did not call it not due" test "$(grep -c 'not yet due' "$AH_OUT")" -eq 0
orders3=$(tp_orders_added)
check "Pebble saw the renewal's order ($orders2 -> $orders3)" test "$orders3" -gt "$orders2"
check "the stored deploy hook did not run" test ! -e "$MARK"
check "store unchanged by renew --dry-run" test "$(state)" = "$before"

# --- -q: nothing on the output when it works ---
ah_run renew --dry-run -q
ah_expect_ok "renew --dry-run -q exits 0"
check "renew --dry-run -q prints nothing" test -z "$AH_STDOUT"
check "store unchanged by renew --dry-run -q" test "$(state)" = "$before"

# --- dry runs that fail: a webroot the web server does not serve ---
# A name never validated before, so no earlier authorization can stand in.
mkdir -p "$AH_T/elsewhere"
ah_run certonly --dry-run --webroot -w "$AH_T/elsewhere" -d "unserved.$NEW" --server "$AH_DIR_URL"
check "failed certonly --dry-run exits 1 (exit $AH_RC)" test "$AH_RC" -eq 1
check "certonly says the dry run failed" ah_output_matches "^The dry run failed: "
check "store unchanged by a failed certonly --dry-run" test "$(state)" = "$before"
# renew takes the webroot from the renewal file: point it elsewhere, as an
# operator editing it would, and take that as the state to keep.
sed -i "s#$AH_WEBROOT#$AH_T/elsewhere#g" "$AH_CONFIG/renewal/$NAME.conf"
check "the renewal file now names the other webroot" \
  grep -q "$AH_T/elsewhere" "$AH_CONFIG/renewal/$NAME.conf"
before=$(state)
ah_run renew --dry-run
check "failed renew --dry-run exits 1 (exit $AH_RC)" test "$AH_RC" -eq 1
check "renew says the dry run failed" ah_output_matches "^The dry run failed: "
check "store unchanged by a failed renew --dry-run" test "$(state)" = "$before"
sed -i "s#$AH_T/elsewhere#$AH_WEBROOT#g" "$AH_CONFIG/renewal/$NAME.conf"
before=$(state)
# The webroot gone: a configuration error (exit 2), and still nothing kept.
mv "$AH_WEBROOT" "$AH_WEBROOT.away"
ah_run renew --dry-run
check "renew --dry-run without its webroot exits 2 (exit $AH_RC)" test "$AH_RC" -eq 2
check "renew says the dry run failed (no webroot)" ah_output_matches "^The dry run failed: "
check "store unchanged by renew --dry-run without its webroot" test "$(state)" = "$before"
mv "$AH_WEBROOT.away" "$AH_WEBROOT"
check "no deploy hook ran in the failed runs" test ! -e "$MARK"

# The letsencrypt preset becomes letsencrypt-staging in a dry run: a unit
# test (test_issue_server) checks that, since the tests reach no CA but
# the local Pebble.

# --- other commands still refuse --dry-run ---
ah_run revoke --dry-run --cert-name "$NAME"
ah_expect_fail 2 "--dry-run is not supported by .acmehook revoke." "revoke --dry-run refused"
check "store unchanged by the refused revoke" test "$(state)" = "$before"

ah_finish
