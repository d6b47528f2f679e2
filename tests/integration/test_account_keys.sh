#!/usr/bin/env bash
# Account keys: the default EC P-256 (ES256) and, with --account-key-type,
# P-384 (ES384) and RSA (RS256) accounts register with Pebble and issue; a
# lost regr.json is recovered by looking the account up by its key.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all

base_config=$AH_CONFIG
for kt in ec256 ec384 rsa2048; do
  AH_CONFIG="$base_config-$kt"
  name="acct-$kt.example.test"
  args=(certonly --webroot -w "$AH_WEBROOT" -d "$name" -n --agree-tos --server "$AH_DIR_URL")
  [ "$kt" = ec256 ] || args+=(--account-key-type "$kt")
  ah_run "${args[@]}"
  ah_expect_ok "issue with a $kt account"
  ah_verify_cert "$name"
  key=$(find "$AH_CONFIG/accounts" -name private_key.pem | head -n 1)
  check "$kt account key stored 0600" test "$(ah_mode "$key")" = 600
  text=$(openssl pkey -in "$key" -noout -text 2>/dev/null | head -n 3)
  case $kt in
    ec256) check "ec256 account key is P-256" grep -q "prime256v1\|P-256" <<<"$(openssl pkey -in "$key" -noout -text)" ;;
    ec384) check "ec384 account key is P-384" grep -q "secp384r1\|P-384" <<<"$(openssl pkey -in "$key" -noout -text)" ;;
    rsa2048) check "rsa2048 account key is RSA 2048" grep -q "2048 bit" <<<"$text" ;;
  esac
done

# regr.json lost, key kept: the account is found again by its key, not
# registered anew.
AH_CONFIG="$base_config-ec384"
regr=$(find "$AH_CONFIG/accounts" -name regr.json | head -n 1)
uri_before=$(grep -o '"uri"[^,}]*' "$regr")
rm -f "$regr"
ah_run certonly --webroot -w "$AH_WEBROOT" -d again.acct.example.test -n --server "$AH_DIR_URL"
ah_expect_ok "issue after regr.json was removed (no --agree-tos needed: the account exists)"
check "regr.json recreated" test -s "$regr"
uri_after=$(grep -o '"uri"[^,}]*' "$regr" || true)
check "the same account URL was found by key ($uri_after)" test "$uri_before" = "$uri_after"
ah_run certonly --webroot -w "$AH_WEBROOT" -d x.example.test -n --server "$AH_DIR_URL" \
  --account-key-type dsa1024 --config-dir "$AH_T/other"
ah_expect_fail 2 'account-key-type.*dsa1024' "an unknown --account-key-type is a usage error naming it"
ah_finish
