#!/usr/bin/env bash
# Tokens the CA must never get away with: one with an embedded NUL
# ("\u0000", which a JSON parser cuts short) and one shorter than 128 bits.
# Each run fails with exit 1 and a one-line message, writes nothing to the
# webroot and answers no challenge; Pebble rejects half the nonces.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all --eab PEBBLE_WFE_NONCEREJECT=50

webroot_empty() {
  [ -z "$(find "$AH_WEBROOT" -mindepth 1 -type f -print -quit 2>/dev/null)" ]
}

ah_start_faultproxy --seed 31 --token-rewrite nul
name=nul.token.example.test
ah_issue "$name"
ah_expect_fail 1 "the CA's reply from https://127.0.0.1:[0-9]+/authZ/[^ ]+ has a NUL character \(\\\\u0000\) in a string; refusing it" \
  "a token with a NUL fails the run with exit 1 naming the authorization"
check "the proxy rewrote a token ($(ah_proxy_count faults token-nul))" \
  test "$(ah_proxy_count faults token-nul)" -ge 1
check "the error is one line" test "$(grep -c 'error' "$AH_ERR")" -eq 1
check "nothing was written to the webroot" webroot_empty
check "no challenge was answered ($(ah_proxy_count kinds challenge))" \
  test "$(ah_proxy_count kinds challenge)" -eq 0
check "nothing stored for $name" test ! -e "$AH_CONFIG/live/$name"

ah_start_faultproxy --seed 32 --token-rewrite short
name=short.token.example.test
ah_issue "$name"
ah_expect_fail 1 'malformed challenge from https://127.0.0.1:[0-9]+/authZ/[^ ]+: the http-01 token is not 22 to 256 base64url characters; refusing it' \
  "a 16-character token fails the run with exit 1 naming the authorization"
check "the proxy shortened a token ($(ah_proxy_count faults token-short))" \
  test "$(ah_proxy_count faults token-short)" -ge 1
check "the error is one line" test "$(grep -c 'error' "$AH_ERR")" -eq 1
check "nothing was written to the webroot" webroot_empty
check "no challenge was answered ($(ah_proxy_count kinds challenge))" \
  test "$(ah_proxy_count kinds challenge)" -eq 0
check "nothing stored for $name" test ! -e "$AH_CONFIG/live/$name"
ah_finish
