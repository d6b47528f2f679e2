#!/usr/bin/env bash
# certonly --csr: a user-made SHA-256 CSR is issued to the given paths; a
# SHA-1 CSR and a CSR signed with the account key are refused.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all --eab

C1=csr.example.test
C2=www.csr.example.test
out="$AH_T/out"
mkdir -p "$out"

# csr_certonly CSR DIR [extra...]
csr_certonly() {
  local csr=$1 dir=$2
  shift 2
  ah_run certonly --webroot -w "$AH_WEBROOT" --csr "$csr" \
    --cert-path "$dir/cert.pem" --fullchain-path "$dir/fullchain.pem" --chain-path "$dir/chain.pem" \
    -n --agree-tos --eab-kid "$AH_EAB_KID" --eab-hmac-key "$AH_EAB_KEY" -m csr@example.test \
    --server "$AH_DIR_URL" "$@"
}

# --- a good CSR (P-256, SHA-256, two SANs) ---
openssl req -new -sha256 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$AH_T/csr.key" -out "$AH_T/csr.pem" -subj "/CN=$C1" \
  -addext "subjectAltName=DNS:$C1,DNS:$C2" 2>/dev/null || ah_die "openssl cannot make a CSR"
csr_certonly "$AH_T/csr.pem" "$out"
ah_expect_ok "certonly --csr with --cert-path/--fullchain-path/--chain-path"
check "cert written to --cert-path" test -s "$out/cert.pem"
check "chain written to --chain-path" test -s "$out/chain.pem"
check "fullchain written to --fullchain-path" test -s "$out/fullchain.pem"
if [ -s "$out/cert.pem" ]; then
  check "certificate verifies against Pebble's root via chain.pem" ah_chain_verifies "$out/cert.pem" "$out/chain.pem"
  check "fullchain.pem verifies on its own (leaf first)" ah_chain_verifies "$out/fullchain.pem" "$out/fullchain.pem"
  check "certificate key is the CSR's key" \
    test "$(ah_pubkey "$out/cert.pem" cert)" = "$(ah_pubkey "$AH_T/csr.key" key)"
  check "certificate SANs are the CSR's" \
    test "$(ah_sans "$out/cert.pem" | tr '\n' ' ')" = "$(printf '%s\n' "$C1" "$C2" | sort | tr '\n' ' ')"
  check "fullchain starts with the certificate" bash -c \
    "[ \"\$(openssl x509 -in '$out/fullchain.pem' -noout -fingerprint)\" = \"\$(openssl x509 -in '$out/cert.pem' -noout -fingerprint)\" ]"
fi
check "the CSR's private key was left alone" test -s "$AH_T/csr.key"
check "no challenge tokens left" ah_no_tokens

# --- a SHA-1 CSR: refused before any order ---
openssl req -new -sha1 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout "$AH_T/sha1.key" -out "$AH_T/sha1.csr" -subj "/CN=sha1.csr.example.test" \
  -addext "subjectAltName=DNS:sha1.csr.example.test" 2>/dev/null || ah_die "openssl cannot make a SHA-1 CSR"
check "test setup: the CSR is really SHA-1" bash -c \
  "openssl req -in '$AH_T/sha1.csr' -noout -text | grep -qi 'Signature Algorithm: ecdsa-with-SHA1'"
mkdir -p "$AH_T/out-sha1"
csr_certonly "$AH_T/sha1.csr" "$AH_T/out-sha1"
ah_expect_fail 2 'sha-?1' "SHA-1 CSR refused with exit 2 naming SHA-1"
check "SHA-1 CSR: nothing written" test ! -e "$AH_T/out-sha1/cert.pem"

# --- a CSR signed with the account key: refused ---
acct_key=$(find "$AH_CONFIG/accounts" -name private_key.pem 2>/dev/null | head -n 1)
if [ -z "$acct_key" ]; then
  fail "account key: no CONFIG/accounts/**/private_key.pem to test with"
else
  openssl req -new -sha256 -key "$acct_key" -out "$AH_T/acct.csr" \
    -subj "/CN=acct.csr.example.test" -addext "subjectAltName=DNS:acct.csr.example.test" 2>/dev/null ||
    ah_die "openssl cannot make a CSR with the account key"
  mkdir -p "$AH_T/out-acct"
  csr_certonly "$AH_T/acct.csr" "$AH_T/out-acct"
  ah_expect_fail 2 'account' "CSR with the account key refused with exit 2 naming the account key"
  check "account-key CSR: nothing written" test ! -e "$AH_T/out-acct/cert.pem"
fi

# --- a CSR file that is not a CSR ---
echo "not a csr" >"$AH_T/junk.csr"
csr_certonly "$AH_T/junk.csr" "$AH_T/out-junk"
ah_expect_fail 2 "junk\.csr" "garbage --csr: exit 2 naming the file"

ah_finish
