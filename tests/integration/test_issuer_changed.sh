#!/usr/bin/env bash
# Deploy steps learn whether the CA's chain changed since the previous
# version (CAs rotate intermediates; --preferred-chain may pick another):
# with Pebble's two roots, switching the preferred chain at renewal sets
# cert.issuer_changed, renewing with the same chain does not.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all PEBBLE_ALTERNATE_ROOTS=1

cn_of() {
  curl -sf --cacert "$AH_CA_BUNDLE" "$AH_MGMT/roots/$1" |
    openssl x509 -noout -subject -nameopt multiline | sed -n 's/^ *commonName *= *//p'
}
ROOT0=$(cn_of 0)
ROOT1=$(cn_of 1)
check "two roots" test -n "$ROOT0" -a -n "$ROOT1" -a "$ROOT0" != "$ROOT1"

SCRIPT="$AH_T/record.lua"
cat >"$SCRIPT" <<'LUA'
function deploy(cert)
  acme.log("info", string.format("DEPLOY-RECORD renewed=%s issuer_changed=%s",
           tostring(cert.renewed), tostring(cert.issuer_changed)))
end
LUA
chmod 644 "$SCRIPT"
NAME=chain-switch.example.test
last_record() { grep -rho "DEPLOY-RECORD [^\"]*" "$AH_LOGDIR" | tail -n 1; }

ah_run certonly --webroot -w "$AH_WEBROOT" -d "$NAME" -n --agree-tos --server "$AH_DIR_URL" \
  --preferred-chain "$ROOT0" --deploy-script "$SCRIPT"
ah_expect_ok "first issuance under $ROOT0 with a deploy script"
check "first issuance: renewed=false issuer_changed=false ($(last_record))" \
  test "$(last_record)" = "DEPLOY-RECORD renewed=false issuer_changed=false"

ah_run certonly --webroot -w "$AH_WEBROOT" -d "$NAME" -n --server "$AH_DIR_URL" \
  --preferred-chain "$ROOT1" --force-renewal
ah_expect_ok "renewal preferring $ROOT1"
check "chain switched: renewed=true issuer_changed=true ($(last_record))" \
  test "$(last_record)" = "DEPLOY-RECORD renewed=true issuer_changed=true"

ah_run renew --force-renewal
ah_expect_ok "renew with the stored settings (same chain)"
check "same chain: renewed=true issuer_changed=false ($(last_record))" \
  test "$(last_record)" = "DEPLOY-RECORD renewed=true issuer_changed=false"
check "three versions" test -s "$AH_CONFIG/archive/$NAME/cert3.pem"
ah_finish
