#!/usr/bin/env bash
# Revocation by the certificate's own key (RFC 8555 §7.6): when the run has
# no account for the CA, or its account is not the one that ordered the
# certificate, the request is signed with the certificate key instead.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all

# Two certificates ordered by account A.
ah_use_config issuer
for n in nokey.revoke.example.test other.revoke.example.test; do
  ah_run certonly --webroot -w "$AH_WEBROOT" -d "$n" -n --agree-tos --server "$AH_DIR_URL"
  ah_expect_ok "account A orders $n"
done
A="$AH_CONFIG"

# 1. A configuration with no account at all: only the certificate key can
#    sign. Without --key-path it is refused, naming what is missing.
ah_use_config empty
ah_run revoke --cert-path "$A/live/nokey.revoke.example.test/cert.pem" --reason superseded \
  --server "$AH_DIR_URL"
ah_expect_fail 2 'key-path' "no account and no --key-path: refused, naming --key-path"
serial=$(ah_serial "$A/live/nokey.revoke.example.test/cert.pem")
not_revoked() { ! ah_revoked "$1"; }
check "not revoked by the refused attempt" not_revoked "$serial"
# A key that is not the certificate's is refused before any request.
ah_run revoke --cert-path "$A/live/nokey.revoke.example.test/cert.pem" \
  --key-path "$A/live/other.revoke.example.test/privkey.pem" --server "$AH_DIR_URL"
ah_expect_fail 2 'is not the key of' "a key that is not the certificate's is refused"
ah_run revoke --cert-path "$A/live/nokey.revoke.example.test/cert.pem" \
  --key-path "$A/live/nokey.revoke.example.test/privkey.pem" --reason keycompromise \
  --server "$AH_DIR_URL"
ah_expect_ok "revoke signed with the certificate key (no account)"
check "Pebble reports $serial revoked" ah_revoked "$serial"
check "no account was created to revoke" test -z "$(find "$AH_CONFIG" -name regr.json 2>/dev/null)"

# 2. A configuration with its own account B, which did not order the
#    certificate: the CA refuses B, and the certificate key signs instead.
ah_use_config other
ah_run certonly --webroot -w "$AH_WEBROOT" -d b.revoke.example.test -n --agree-tos \
  --server "$AH_DIR_URL"
ah_expect_ok "account B registers (and orders its own certificate)"
serial=$(ah_serial "$A/live/other.revoke.example.test/cert.pem")
ah_run revoke --cert-path "$A/live/other.revoke.example.test/cert.pem" \
  --key-path "$A/live/other.revoke.example.test/privkey.pem" --server "$AH_DIR_URL" -v
ah_expect_ok "account B revokes A's certificate through the certificate key"
check "the fallback was said" ah_output_matches 'certificate key'
check "Pebble reports $serial revoked" ah_revoked "$serial"
ah_finish
