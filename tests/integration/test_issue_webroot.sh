#!/usr/bin/env bash
# http-01 through a webroot served by nginx, against Pebble with EAB required:
# one name, three names in one lineage, account reuse, `certificates`
# (text and --json), and RSA-3072 / ECDSA-P384 keys.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all --eab

ONE=one.issue.example.test
MULTI=multi.issue.example.test
MULTI_SANS=("$MULTI" www.multi.issue.example.test api.multi.issue.example.test)

# --- one name, registering the account with EAB (the GlobalSign command) ---
ah_run certonly --webroot -w "$AH_WEBROOT" -d "$ONE" -n --agree-tos \
  --eab-kid "$AH_EAB_KID" --eab-hmac-key "$AH_EAB_KEY" -m admin@example.test \
  --server "$AH_DIR_URL"
ah_expect_ok "certonly $ONE with EAB registration"
ah_verify_cert "$ONE"
check "renewal/$ONE.conf written" test -s "$AH_CONFIG/renewal/$ONE.conf"
check "archive/$ONE holds version 1" test -s "$AH_CONFIG/archive/$ONE/cert1.pem"
check "no challenge tokens left in the webroot" ah_no_tokens "$AH_WEBROOT"
nkeys=$(ah_account_keys | wc -l)
check "one account key stored (found $nkeys)" test "$nkeys" -eq 1
acct_before=$(ah_account_files | xargs -r md5sum)

# --- three names, one lineage; account exists so no EAB/email/-n given ---
args=(certonly --webroot -w "$AH_WEBROOT")
for n in "${MULTI_SANS[@]}"; do args+=(-d "$n"); done
args+=(--server "$AH_DIR_URL")
ah_run "${args[@]}"
ah_expect_ok "certonly 3 names with the existing account (no EAB flags)"
ah_verify_cert "$MULTI" "${MULTI_SANS[@]}"
check "no challenge tokens left after 3 names" ah_no_tokens "$AH_WEBROOT"
nkeys=$(ah_account_keys | wc -l)
check "account reused: still one account key (found $nkeys)" test "$nkeys" -eq 1
acct_after=$(ah_account_files | xargs -r md5sum)
check "account key file unchanged by reuse" test "$acct_before" = "$acct_after"
check "no lineage named after the 2nd or 3rd name" \
  test ! -e "$AH_CONFIG/live/www.multi.issue.example.test"

# --- certificates ---
ah_run certificates
ah_expect_ok "certificates exits 0"
check "certificates lists $ONE" ah_output_matches "$ONE"
check "certificates lists $MULTI" ah_output_matches "$MULTI"
check "certificates lists the extra names" ah_output_matches "api\.multi\.issue\.example\.test"
check "certificates shows the expiry" ah_output_matches "expir|valid"

ah_run certificates --json
ah_expect_ok "certificates --json exits 0"
one_year=$(openssl x509 -in "$AH_CONFIG/live/$ONE/cert.pem" -noout -enddate | awk '{print $4}')
# The schema is the C side's choice; require: valid JSON, every lineage name
# and every domain present as a string value, and an expiry-like key whose
# value mentions the certificate's notAfter year (or is a plausible epoch).
if python3 - "$AH_OUT" "$one_year" "$ONE" "${MULTI_SANS[@]}" <<'PY'
import json, re, sys
path, year, names = sys.argv[1], sys.argv[2], sys.argv[3:]
with open(path) as f:
    doc = json.load(f)
strings, expiries = set(), []
def walk(x):
    if isinstance(x, dict):
        for k, v in x.items():
            if re.search(r'expir|not_?after|valid_?until', k, re.I) and not isinstance(v, (dict, list)):
                expiries.append(v)
            walk(v)
    elif isinstance(x, list):
        for v in x:
            walk(v)
    elif isinstance(x, str):
        strings.add(x)
walk(doc)
missing = [n for n in names if n not in strings]
if missing:
    sys.exit("names missing from JSON: %s" % missing)
def ok(v):
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return v > 1.6e9
    return isinstance(v, str) and year in v
if len(expiries) < 2 or not all(ok(v) for v in expiries):
    sys.exit("expiry fields missing or wrong: %r (want year %s)" % (expiries, year))
PY
then
  pass "certificates --json parses and has names and expiry"
else
  fail "certificates --json parses and has names and expiry"
fi

# --- key types ---
RSA=rsa.issue.example.test
ah_run certonly --webroot -w "$AH_WEBROOT" -d "$RSA" -n --server "$AH_DIR_URL" \
  --key-type rsa --rsa-key-size 3072
ah_expect_ok "certonly --key-type rsa --rsa-key-size 3072"
ah_verify_cert "$RSA"
check "RSA key is 3072 bits" bash -c \
  "openssl pkey -in '$AH_CONFIG/live/$RSA/privkey.pem' -noout -text | grep -q 'Private-Key: (3072 bit'"
check "RSA certificate carries an RSA key" bash -c \
  "openssl x509 -in '$AH_CONFIG/live/$RSA/cert.pem' -noout -text | grep -q 'rsaEncryption'"

EC=ec.issue.example.test
ah_run certonly --webroot -w "$AH_WEBROOT" -d "$EC" -n --server "$AH_DIR_URL" \
  --key-type ecdsa --elliptic-curve secp384r1
ah_expect_ok "certonly --key-type ecdsa --elliptic-curve secp384r1"
ah_verify_cert "$EC"
check "ECDSA key is on secp384r1" bash -c \
  "openssl pkey -in '$AH_CONFIG/live/$EC/privkey.pem' -noout -text | grep -Eq 'secp384r1|P-384'"
check "ECDSA certificate carries a P-384 key" bash -c \
  "openssl x509 -in '$AH_CONFIG/live/$EC/cert.pem' -noout -text | grep -Eq 'secp384r1|P-384'"
# --- the CA bundle through the environment instead of --ca-bundle ---
ENVCA=envca.issue.example.test
AH_CA_VIA_ENV=1 ah_run certonly --webroot -w "$AH_WEBROOT" -d "$ENVCA" -n --server "$AH_DIR_URL"
ah_expect_ok "certonly with Pebble's certificate from ACMEHOOK_CA_BUNDLE"
ah_verify_cert "$ENVCA"

# --- neither: Pebble's self-made certificate is not in the system store ---
AH_CA_BUNDLE_SAVE=$AH_CA_BUNDLE
AH_CA_BUNDLE=
ah_run certonly --webroot -w "$AH_WEBROOT" -d noca.issue.example.test -n --server "$AH_DIR_URL"
AH_CA_BUNDLE=$AH_CA_BUNDLE_SAVE
ah_expect_fail 1 '(certificate|tls|ssl|verify)' "without a CA bundle Pebble is not trusted (exit 1)"
check "a certificate that does not verify is not retried" bash -c "! grep -q 'retrying in' '$AH_ERR'"
check "untrusted run wrote no lineage" test ! -e "$AH_CONFIG/live/noca.issue.example.test"

check "no challenge tokens left at the end" ah_no_tokens "$AH_WEBROOT"

ah_finish
