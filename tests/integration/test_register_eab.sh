#!/usr/bin/env bash
# register against a CA that requires External Account Binding, with the
# flags CA guides print (--eab-kid, --eab-hmac-key, -m, --agree-tos): refused
# before any request without them, accepted with them; the account then
# issues without the EAB flags, and show_account reads it from the CA.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all --eab

S=(--server "$AH_DIR_URL")
ah_run register -n --agree-tos -m eab@example.test "${S[@]}"
ah_expect_fail 2 'eab-kid' "register without EAB at an EAB CA names --eab-kid"
check "no account stored without EAB" test -z "$(ah_account_files)"
ah_run register -n -m eab@example.test --eab-kid "$AH_EAB_KID" --eab-hmac-key "$AH_EAB_KEY" "${S[@]}"
ah_expect_fail 2 'agree-tos' "register -n without --agree-tos names --agree-tos"
ah_run register -n --agree-tos -m eab@example.test --eab-kid "$AH_EAB_KID" \
  --eab-hmac-key "$AH_EAB_KEY" "${S[@]}"
ah_expect_ok "register with EAB"
check "the MAC key is not echoed" bash -c "! grep -qF -- '$AH_EAB_KEY' '$AH_OUT' '$AH_ERR'"
ah_run show_account "${S[@]}"
ah_expect_ok "show_account of the EAB account"
check "show_account reads the contact from the CA" grep -q "Email contact: eab@example.test" "$AH_OUT"
ah_run certonly --webroot -w "$AH_WEBROOT" -d eab-reg.example.test -n "${S[@]}"
ah_expect_ok "certonly with the registered account needs no EAB flags"
ah_verify_cert eab-reg.example.test
ah_finish
