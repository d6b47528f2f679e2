#!/usr/bin/env bash
# A lineage certbot made with --reuse-key keeps its key when acmehook
# renews it (certbot's reuse_key = True is read and written back), and
# certbot still renews it afterwards with the same key.
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
ah_finish
