#!/usr/bin/env bash
# Crash-safe orders: a run killed (SIGKILL, as a crash or a power cut) at
# any step of an order leaves the order recorded in the work dir with its
# certificate key, and the next run resumes that order instead of placing
# another: Pebble sees exactly one order per issuance. Killed after newOrder
# (first issuance and renewal), after answering the challenges, after the
# finalize request, and before and after live/ switches; each time live/
# keeps a matching pair, the next run succeeds with the recorded key, the
# certificate verifies against Pebble's root, and the record is gone.
# Records that cannot be resumed (other names, an order the CA does not
# know, a malformed file) are discarded and cost one new order; an order
# the CA declares invalid takes its record with it.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=lib_testpoints.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_testpoints.sh"
ah_setup
ah_require_bin
tp_require_testpoints
# Every order needs its challenges answered, so every test point is reached.
ah_start_all PEBBLE_AUTHZREUSE=0

L=resume.example.test
live="$AH_CONFIG/live/$L"
rec=$(tp_order_record "$L")
rkey=$(tp_order_key "$L")
RESUMED='Resuming order https://[^ ]+ \((pending|ready|processing|valid)\)'

# killed_run POINT CMD...: run CMD killed at POINT (the test point is POINT
# up to a blank, the rest a label); check it died there and left the order
# recorded. Sets ORDERS0 (Pebble's orders before the run) and RKEY_PUB (the
# recorded key's public key).
killed_run() {
  local point=$1
  shift
  ORDERS0=$(tp_orders_added)
  ACMEHOOK_TESTPOINT="${point%% *}:kill" "$@"
  check "$point: the run was killed there (exit $AH_RC)" test "$AH_RC" -eq 137
  # A run with --revalidate places the order again after deactivating an
  # authorization the CA reused.
  local again
  again=$(grep -c 'Placing the order again' "$AH_ERR" || true)
  ORDERS0=$((ORDERS0 + again))
  check "$point: the killed run placed one order (and $again for fresh authorizations)" \
    test "$(tp_orders_added)" -eq $((ORDERS0 + 1))
  check "$point: the order is recorded" test -s "$rec"
  check "$point: the record names the order and the server" \
    grep -Eq "\"order\":[[:space:]]*\"https://127.0.0.1:$AH_PEBBLE_PORT/" "$rec"
  check "$point: the record is for $L" grep -q "\"$L\"" "$rec"
  check "$point: the record and its key are private" \
    test "$(ah_mode "$rec")-$(ah_mode "$rkey")-$(ah_mode "$AH_WORK/orders")" = 600-600-700
  RKEY_PUB=$(ah_pubkey "$rkey" key)
}

# resumed_run POINT CMD...: run CMD again, without the test point; it must
# resume the recorded order, place none, and store a certificate of the
# recorded key.
resumed_run() {
  local point=$1
  shift
  "$@"
  ah_expect_ok "$point: the next run succeeds"
  check "$point: it resumed the recorded order" ah_output_matches "$RESUMED"
  check "$point: it placed no new order (one order in all)" \
    test "$(tp_orders_added)" -eq $((ORDERS0 + 1))
  ah_verify_cert "$L"
  check "$point: live/$L key matches its certificate" tp_pair_matches "$L"
  check "$point: the certificate is for the recorded key" \
    test "$(ah_pubkey "$live/privkey.pem" key)" = "$RKEY_PUB"
  check "$point: the record and its key are gone" test ! -e "$rec" -a ! -e "$rkey"
  check "$point: no temporaries are left in the work dir" \
    test -z "$(find "$AH_WORK/orders" -name '*.tmp-*' -print -quit)"
}

# listed: `acmehook certificates` lists the lineage.
listed() {
  ah_run certificates
  [ "$AH_RC" -eq 0 ] && grep -q "Certificate Name: $L\$" "$AH_OUT"
}

renew() { ah_run renew --force-renewal --cert-name "$L"; }
# A run to be killed once its challenges are answered must have some:
# --revalidate, as the CA may hold the name's authorization valid.
renew_fresh() { ah_run renew --force-renewal --revalidate --cert-name "$L"; }
not_resumed() { ! ah_output_matches "$RESUMED"; }

# --- first issuance, killed right after newOrder -------------------------
killed_run order-placed ah_issue "$L"
check "order-placed (first issuance): live/$L was not made" test ! -e "$live"
check "order-placed (first issuance): nothing was presented yet" ah_no_tokens
# The lineage's record is written before its first order, so the cut-short
# lineage is listed (as having no certificate yet) and renew would find it.
check "order-placed (first issuance): certificates lists the lineage" listed
resumed_run "order-placed (first issuance)" ah_issue "$L"
check "order-placed (first issuance): every token was cleaned up" ah_no_tokens
check "the lineage is listed" listed

# --- renewals, killed at every step --------------------------------------
for point in order-placed challenges-answered finalize-sent before-live-switch \
  after-live-switch; do
  serial=$(ah_serial "$live/cert.pem")
  run=renew
  [ "$point" = challenges-answered ] && run=renew_fresh
  killed_run "$point" "$run"
  check "$point: live/$L holds a complete pair" \
    test -s "$live/cert.pem" -a -s "$live/chain.pem" -a -s "$live/fullchain.pem" -a -s "$live/privkey.pem"
  check "$point: live/$L key matches its certificate" tp_pair_matches "$L"
  ah_verify_cert "$L"
  check "$point: the lineage is listed" listed
  case $point in
    order-placed | challenges-answered | finalize-sent | before-live-switch)
      check "$point: live/$L still serves the previous certificate" \
        test "$(ah_serial "$live/cert.pem")" = "$serial" ;;
    after-live-switch)
      check "$point: live/$L serves the recorded key" \
        test "$(ah_pubkey "$live/privkey.pem" key)" = "$RKEY_PUB" ;;
  esac
  if [ "$point" = challenges-answered ]; then
    # SIGKILL leaves no chance to clean up; the next run must still work.
    check "$point: the killed run left its token file" eval '! ah_no_tokens'
  fi
  resumed_run "$point" renew
  check "$point: live/$L has a new certificate" test "$(ah_serial "$live/cert.pem")" != "$serial"
done

# --- records that cannot be resumed cost one new order -------------------
# Recorded for other names: the lineage's names changed since.
killed_run "order-placed (names)" ah_run certonly --webroot -w "$AH_WEBROOT" --cert-name "$L" \
  -d "$L" -d "www.$L" -n --agree-tos -m test@example.test --server "$AH_DIR_URL" --force-renewal
renew
ah_expect_ok "a record for other names: the run succeeds"
check "a record for other names is not resumed" not_resumed
check "a record for other names costs one new order" \
  test "$(tp_orders_added)" -eq $((ORDERS0 + 2))
ah_verify_cert "$L"
check "the record is gone" test ! -e "$rec" -a ! -e "$rkey"

# An order the CA does not know (404).
killed_run "order-placed (unknown order)" renew
sed -i 's|/my-order/[^"]*"|/my-order/no-such-order"|' "$rec"
renew
ah_expect_ok "an unknown recorded order: the run succeeds"
check "an unknown recorded order costs one new order" \
  test "$(tp_orders_added)" -eq $((ORDERS0 + 2))
ah_verify_cert "$L"
check "the record is gone" test ! -e "$rec" -a ! -e "$rkey"

# A malformed record.
killed_run "order-placed (malformed)" renew
printf '{"server": "%s", "order": ' "$AH_DIR_URL" >"$rec"
renew
ah_expect_ok "a malformed record: the run succeeds"
check "a malformed record is reported" ah_output_matches 'discarding the order record'
check "a malformed record costs one new order" \
  test "$(tp_orders_added)" -eq $((ORDERS0 + 2))
ah_verify_cert "$L"
check "the record is gone" test ! -e "$rec" -a ! -e "$rkey"

# --- an order the CA declares invalid takes its record with it ----------
# The tokens go where nginx does not serve them: validation fails.
mkdir -p "$AH_T/unserved"
unserved_run() {
  ah_run certonly --webroot -w "$AH_T/unserved" --cert-name "$L" -d "$L" -n --agree-tos \
    -m test@example.test --server "$AH_DIR_URL" --force-renewal --revalidate
}
# --revalidate: the challenge is presented (and fails) even when the CA
# still holds the name's authorization valid.
unserved_run
ah_expect_fail 1 'validation of .* failed' "a failed validation fails the run"
check "an invalid order's record is removed" test ! -e "$rec" -a ! -e "$rkey"
ah_verify_cert "$L"
ORDERS0=$(tp_orders_added)
renew
ah_expect_ok "the next run succeeds"
check "it placed a new order" test "$(tp_orders_added)" -eq $((ORDERS0 + 1))
ah_verify_cert "$L"

ah_finish
