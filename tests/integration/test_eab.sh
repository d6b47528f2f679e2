#!/usr/bin/env bash
# External Account Binding against Pebble with EAB required: wrong MAC key,
# unknown key id, malformed key (rejected before any network use), EAB
# missing, EAB half given, then the right key for each kid.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all --eab

# eab_certonly NAME KID KEY [extra...]: register + issue with the given EAB.
eab_certonly() {
  local name=$1 kid=$2 key=$3
  shift 3
  ah_run certonly --webroot -w "$AH_WEBROOT" -d "$name" -n --agree-tos \
    --eab-kid "$kid" --eab-hmac-key "$key" -m eab@example.test --server "$AH_DIR_URL" "$@"
}

no_account() { [ -z "$(ah_account_files)" ]; }
no_lineage() { [ ! -e "$AH_CONFIG/live/$1" ] && [ ! -e "$AH_CONFIG/archive/$1" ]; }

# --- wrong HMAC: kid-1 with kid-2's key ---
eab_certonly wrong.eab.example.test "$AH_EAB_KID" "$AH_EAB_KEY2"
ah_expect_fail 1 'eab|external.?account|unauthori[sz]ed|binding' \
  "wrong HMAC key: exit 1 naming the EAB/unauthorized problem"
check "wrong HMAC key: no account written under accounts/" no_account
check "wrong HMAC key: no lineage written" no_lineage wrong.eab.example.test
check "wrong HMAC key: no tokens left" ah_no_tokens
check "wrong HMAC key: the key is not echoed" bash -c "! grep -qF -- '$AH_EAB_KEY2' '$AH_OUT' '$AH_ERR'"

# --- unknown kid ---
eab_certonly unknown.eab.example.test kid-nope "$AH_EAB_KEY"
ah_expect_fail 1 'kid-nope|eab|external.?account|unauthori[sz]ed|key id' \
  "unknown kid: exit 1 with a clear EAB message"
check "unknown kid: no account written" no_account
check "unknown kid: no lineage written" no_lineage unknown.eab.example.test

# --- malformed HMAC key: a usage error, found before any request ---
ah_port CLOSED
ah_run certonly --webroot -w "$AH_WEBROOT" -d bad.eab.example.test -n --agree-tos \
  --eab-kid "$AH_EAB_KID" --eab-hmac-key 'not*base64' -m eab@example.test \
  --server "https://127.0.0.1:$CLOSED/dir"
ah_expect_fail 2 'hmac|eab-hmac-key|base64' \
  "malformed --eab-hmac-key: exit 2 naming the key"
check "malformed --eab-hmac-key: error is about the key, not connectivity" \
  bash -c "! cat '$AH_OUT' '$AH_ERR' | grep -Eqi 'connect|refused|unreachable|127\.0\.0\.1:$CLOSED'"
check "malformed --eab-hmac-key: no account written" no_account

# --- EAB required by the CA but not given ---
ah_run certonly --webroot -w "$AH_WEBROOT" -d none.eab.example.test -n --agree-tos \
  -m eab@example.test --server "$AH_DIR_URL"
if [ "$AH_RC" -eq 1 ] || [ "$AH_RC" -eq 2 ]; then
  pass "EAB missing: exit $AH_RC"
else
  fail "EAB missing: exit $AH_RC, want 1 or 2"
fi
check "EAB missing: message names --eab-kid" ah_output_matches '--eab-kid'
check "EAB missing: message names --eab-hmac-key" ah_output_matches '--eab-hmac-key'
check "EAB missing: no account written" no_account

# --- half an EAB: kid without key ---
ah_run certonly --webroot -w "$AH_WEBROOT" -d half.eab.example.test -n --agree-tos \
  --eab-kid "$AH_EAB_KID" -m eab@example.test --server "$AH_DIR_URL"
ah_expect_fail 2 '--eab-hmac-key' "--eab-kid without --eab-hmac-key: exit 2 naming the missing flag"
check "half EAB: no account written" no_account

# --- the right key ---
eab_certonly right.eab.example.test "$AH_EAB_KID" "$AH_EAB_KEY"
ah_expect_ok "right EAB key: certonly succeeds"
ah_verify_cert right.eab.example.test
nkeys=$(ah_account_keys | wc -l)
check "right EAB key: one account key stored (found $nkeys)" test "$nkeys" -eq 1
check "right EAB key: the MAC key is not echoed" bash -c "! grep -qF -- '$AH_EAB_KEY' '$AH_OUT' '$AH_ERR'"
if [ -d "$AH_LOGDIR" ]; then
  check "right EAB key: the MAC key is not in the logs" \
    bash -c "! grep -rqF -- '$AH_EAB_KEY' '$AH_LOGDIR'"
fi

# --- the second kid, in a separate configuration (a second account) ---
ah_use_config second
eab_certonly kid2.eab.example.test "$AH_EAB_KID2" "$AH_EAB_KEY2"
ah_expect_ok "kid-2 with its own key: certonly succeeds in a fresh config"
ah_verify_cert kid2.eab.example.test

ah_finish
