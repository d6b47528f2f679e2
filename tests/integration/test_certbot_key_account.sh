#!/usr/bin/env bash
# certbot's state in acmehook's account and key commands: a lineage
# certbot made with --reuse-key keeps its key when acmehook renews it
# (certbot's reuse_key = True is read and written back) and certbot still
# renews it with the same key; certbot's account is shown by show_account,
# its contact changed by update_account (certbot sees the change), its key
# rollover refused, and unregister deactivates it and removes it as
# certbot would.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
command -v certbot >/dev/null 2>&1 || ah_die "missing tool: certbot (run tests/deps.sh)"
ah_start_dns
ah_start_nginx "$AH_T/webroot"
# certbot gives up on a rejected nonce: this test is about its files.
ah_start_pebble PEBBLE_WFE_NONCEREJECT=0

cb() {
  REQUESTS_CA_BUNDLE="$AH_CA_BUNDLE" timeout -k 10 180 certbot "$@" \
    --config-dir "$AH_CONFIG" --work-dir "$AH_T/certbot-work" --logs-dir "$AH_T/certbot-logs" \
    --server "$AH_DIR_URL" -n --agree-tos --register-unsafely-without-email \
    --no-random-sleep-on-renew >"$AH_T/certbot.out" 2>&1
}
L=cbreuse.example.test
conf="$AH_CONFIG/renewal/$L.conf"
key_of() { ah_pubkey "$AH_CONFIG/live/$L/cert.pem" cert; }
# certbot's directories keep certbot's modes, so not ah_verify_cert: the
# chain verifies against Pebble's root and the live key is the cert's.
verifies() {
  local live="$AH_CONFIG/live/$L"
  ah_chain_verifies "$live/cert.pem" "$live/chain.pem" &&
    [ "$(ah_pubkey "$live/cert.pem" cert)" = "$(ah_pubkey "$live/privkey.pem" key)" ]
}

cb certonly --webroot -w "$AH_WEBROOT" -d "$L" --reuse-key ||
  ah_die "certbot certonly --reuse-key failed: $(tail -5 "$AH_T/certbot.out")"
check "certbot recorded reuse_key" grep -qx 'reuse_key = True' "$conf"
k0=$(key_of)
ah_run renew --force-renewal --cert-name "$L"
ah_expect_ok "acmehook renews certbot's lineage"
check "the renewed certificate verifies with its key" verifies
check "acmehook reused certbot's key" test "$(key_of)" = "$k0"
check "reuse_key is still in certbot's file" grep -qx 'reuse_key = True' "$conf"
cb renew --force-renewal --cert-name "$L" ||
  fail "certbot renew after acmehook: $(tail -5 "$AH_T/certbot.out")"
check "certbot renewed it again with the same key" test "$(key_of)" = "$k0"
check "three versions in the archive" test "$(ah_archive_versions "$L")" = 3
# --- certbot's account ---
cbacct=$(dirname "$(find "$AH_CONFIG/accounts" -name private_key.json | head -n 1)")
cbid=$(basename "$cbacct")
cburl=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["uri"])' "$cbacct/regr.json")
S=(--server "$AH_DIR_URL")
ah_run show_account "${S[@]}"
ah_expect_ok "show_account of certbot's account"
check "it shows certbot's account URL" grep -qF "Account URL: $cburl" "$AH_OUT"
check "it shows certbot's account id ($cbid)" grep -qF "Account ID: $cbid" "$AH_OUT"
check "the account has no contact yet" grep -q "Email contact: none" "$AH_OUT"
cp "$cbacct/regr.json" "$AH_T/cb-regr.json"
ah_run update_account -m moved@example.test "${S[@]}"
ah_expect_ok "update_account -m on certbot's account"
check "certbot's regr.json is left as certbot wrote it" cmp -s "$AH_T/cb-regr.json" "$cbacct/regr.json"
cb show_account || fail "certbot show_account: $(tail -5 "$AH_T/certbot.out")"
check "certbot sees the new contact at the CA" grep -q "moved@example.test" "$AH_T/certbot.out"
ah_run update_account --new-key "${S[@]}"
ah_expect_fail 2 "certbot's" "rolling certbot's account key over is refused"
check "certbot's key file is untouched" test ! -e "$cbacct/private_key.pem.next"
ah_run unregister -n "${S[@]}"
ah_expect_ok "unregister certbot's account"
check "certbot's account directory is gone" test ! -e "$cbacct"
cb show_account || true
check "certbot finds no account any more" grep -qi "could not find an existing account" "$AH_T/certbot.out"
ah_finish
