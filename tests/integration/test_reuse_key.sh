#!/usr/bin/env bash
# certbot's --reuse-key and --new-key: a lineage recorded with reuse_key
# renews with its current private key; --new-key makes a new key once and,
# with reuse_key kept, later renewals reuse that new key; a reused key of
# another type than the configured one is refused with a hint at
# --new-key; --no-reuse-key stops the reuse. A lineage without reuse_key
# gets a new key every time.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all

L=reuse.example.test
conf="$AH_CONFIG/renewal/$L.conf"
key_of() { ah_pubkey "$AH_CONFIG/live/$1/cert.pem" cert; }

ah_issue "$L"
ah_expect_ok "first issuance"
k0=$(key_of "$L")
ah_run renew --force-renewal --cert-name "$L" --reuse-key
ah_expect_ok "renew --reuse-key"
ah_verify_cert "$L"
check "two versions in the archive" test "$(ah_archive_versions "$L")" = 2
check "the renewal reused the key" test "$(key_of "$L")" = "$k0"
check "reuse_key is recorded in the renewal file" grep -qxi 'reuse_key = true' "$conf"

ah_run renew --force-renewal --cert-name "$L"
ah_expect_ok "renew without the flag (the renewal file has reuse_key)"
check "the stored reuse_key keeps the key" test "$(key_of "$L")" = "$k0"

ah_run renew --force-renewal --cert-name "$L" --new-key
ah_expect_ok "renew --new-key"
k1=$(key_of "$L")
check "--new-key made a new key" test "$k1" != "$k0"
check "reuse_key stays recorded after --new-key" grep -qxi 'reuse_key = true' "$conf"
ah_verify_cert "$L"

ah_run renew --force-renewal --cert-name "$L"
ah_expect_ok "renew after --new-key"
check "the new key is reused from then on" test "$(key_of "$L")" = "$k1"

ah_run renew --force-renewal --cert-name "$L" --key-type rsa
ah_expect_fail 2 'reuse-key.*--new-key' "reusing an ecdsa key for --key-type rsa is refused, naming --new-key"
check "the refused run issued nothing" test "$(ah_archive_versions "$L")" = 5
ah_run renew --force-renewal --cert-name "$L" --key-type rsa --new-key
ah_expect_ok "--key-type rsa --new-key replaces the key"
check "the key is RSA now" bash -c "openssl x509 -in '$AH_CONFIG/live/$L/cert.pem' -noout -text | grep -q 'rsaEncryption'"

# --no-reuse-key: a new key now, and reuse_key no longer recorded.
k2=$(key_of "$L")
ah_run renew --force-renewal --cert-name "$L" --key-type rsa --no-reuse-key
ah_expect_ok "renew --no-reuse-key"
check "--no-reuse-key made a new key" test "$(key_of "$L")" != "$k2"
check "reuse_key is no longer recorded" bash -c "! grep -qi '^reuse_key' '$conf'"
k3=$(key_of "$L")
ah_run renew --force-renewal --cert-name "$L" --key-type rsa
ah_expect_ok "renew after --no-reuse-key"
check "later renewals make new keys too" test "$(key_of "$L")" != "$k3"

# Without reuse_key every renewal has a new key.
ah_issue fresh.example.test
f0=$(key_of fresh.example.test)
ah_run renew --force-renewal --cert-name fresh.example.test
ah_expect_ok "renew a lineage without reuse_key"
check "without reuse_key the key changes" test "$(key_of fresh.example.test)" != "$f0"
check "no reuse_key in its renewal file" bash -c "! grep -qi '^reuse_key' '$AH_CONFIG/renewal/fresh.example.test.conf'"
ah_finish
