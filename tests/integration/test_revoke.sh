#!/usr/bin/env bash
# Revocation by lineage name and by certificate path, with reasons; Pebble's
# management API confirms the status. Bad reasons are usage errors.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all --eab

R1=rev1.example.test
R2=rev2.example.test
R3=rev3.example.test

ah_issue "$R1"
ah_expect_ok "issue $R1"
ah_run certonly --webroot -w "$AH_WEBROOT" -d "$R2" -n --server "$AH_DIR_URL"
ah_expect_ok "issue $R2"
ah_run certonly --webroot -w "$AH_WEBROOT" -d "$R3" -n --server "$AH_DIR_URL"
ah_expect_ok "issue $R3"
for n in "$R1" "$R2" "$R3"; do
  [ -s "$AH_CONFIG/live/$n/cert.pem" ] || ah_die "no certificate for $n; cannot test revocation"
done
s1=$(ah_serial "$AH_CONFIG/live/$R1/cert.pem")
s2=$(ah_serial "$AH_CONFIG/live/$R2/cert.pem")
s3=$(ah_serial "$AH_CONFIG/live/$R3/cert.pem")
is_valid() { ah_cert_status "$1" | grep -q '"Status": *"Valid"'; }
check "Pebble knows $R1 (serial $s1) as valid before revocation" is_valid "$s1"

# reason_is SERIAL CODE: Pebble's status JSON carries the RFC 5280 reason code.
reason_is() {
  ah_cert_status "$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
sys.exit(0 if d.get("Status") == "Revoked" and int(d.get("Reason", -1)) == int(sys.argv[1]) else 1)' "$2"
}

# --- a bad reason: usage error, nothing revoked ---
ah_run revoke --cert-name "$R3" --reason because
ah_expect_fail 2 'because' "revoke --reason because: exit 2 naming the value"
if ah_revoked "$s3"; then fail "bad reason revoked $R3 anyway"; else pass "bad reason: $R3 not revoked"; fi

# --- by name, keyCompromise (1) ---
ah_run revoke --cert-name "$R1" --reason keycompromise
ah_expect_ok "revoke --cert-name $R1 --reason keycompromise"
check "Pebble reports $R1 (serial $s1) revoked" ah_revoked "$s1"
check "revocation reason of $R1 is keyCompromise (1)" reason_is "$s1" 1
if ah_revoked "$s2"; then fail "$R2 revoked by mistake"; else pass "$R2 untouched"; fi

# --- by path, superseded (4): a copy outside the config dir, so the
# certificate is found by its path alone; the account by --server. ---
cp "$AH_CONFIG/live/$R2/cert.pem" "$AH_T/r2-copy.pem"
ah_run revoke --cert-path "$AH_T/r2-copy.pem" --reason superseded --server "$AH_DIR_URL"
ah_expect_ok "revoke --cert-path (copy of $R2) --reason superseded"
check "Pebble reports $R2 (serial $s2) revoked" ah_revoked "$s2"
check "revocation reason of $R2 is superseded (4)" reason_is "$s2" 4

# --- unknown lineage ---
ah_run revoke --cert-name nosuch.example.test --reason unspecified
ah_expect_fail nz 'nosuch\.example\.test' "revoke of an unknown lineage fails naming it"

# --- other reasons by name are accepted ---
ah_run revoke --cert-name "$R3" --reason cessationofoperation
ah_expect_ok "revoke --reason cessationofoperation"
check "revocation reason of $R3 is cessationOfOperation (5)" reason_is "$s3" 5

ah_finish
