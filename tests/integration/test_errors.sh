#!/usr/bin/env bash
# Usage and operational errors: exit codes 2 (usage/config) and 1 (failed
# operation), messages naming the value at fault, nothing written to live/
# or archive/ by a failed run. Also `plugins`.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all --eab
ah_port CLOSED

# A lineage that exists, so "nothing changed" is checked against real content.
ah_issue base.errors.example.test
ah_expect_ok "issue a first certificate"
ah_verify_cert base.errors.example.test

snap=$(ah_snapshot)
unchanged() {
  local now
  now=$(ah_snapshot)
  [ "$now" = "$snap" ] || { diff <(echo "$snap") <(echo "$now") >&2; return 1; }
}

# --- unknown flag ---
ah_run certonly --webroot -w "$AH_WEBROOT" -d flag.errors.example.test -n \
  --server "$AH_DIR_URL" --frobnicate
ah_expect_fail 2 '--frobnicate' "unknown flag: exit 2 naming --frobnicate"
check "unknown flag: nothing written" unchanged

# --- unknown subcommand ---
ah_run frobnicate
ah_expect_fail 2 'frobnicate' "unknown subcommand: exit 2 naming it"

# --- certonly without -d ---
ah_run certonly --webroot -w "$AH_WEBROOT" -n --server "$AH_DIR_URL"
ah_expect_fail 2 '(-d|domain)' "certonly without -d: exit 2"
check "no -d: nothing written" unchanged

# --- webroot that does not exist ---
ah_run certonly --webroot -w "$AH_T/no-such-root" -d noroot.errors.example.test -n --server "$AH_DIR_URL"
ah_expect_fail 2 "$AH_T/no-such-root" "nonexistent webroot: exit 2 naming the path"
check "nonexistent webroot: nothing written" unchanged
check "nonexistent webroot was not created" test ! -e "$AH_T/no-such-root"

# --- webroot that is a file (unusable even for root) ---
echo x >"$AH_T/root-is-a-file"
ah_run certonly --webroot -w "$AH_T/root-is-a-file" -d fileroot.errors.example.test -n --server "$AH_DIR_URL"
ah_expect_fail 2 "$AH_T/root-is-a-file" "webroot that is a file: exit 2 naming the path"
check "file webroot: nothing written" unchanged

# --- unreachable server ---
url="https://127.0.0.1:$CLOSED/dir"
t0=$(date +%s)
ah_run certonly --webroot -w "$AH_WEBROOT" -d unreach.errors.example.test -n --agree-tos \
  -m e@example.test --eab-kid "$AH_EAB_KID" --eab-hmac-key "$AH_EAB_KEY" --server "$url"
took=$(( $(date +%s) - t0 ))
ah_expect_fail 1 "127\.0\.0\.1:$CLOSED" "unreachable server: exit 1 naming the URL"
# A few quick retries (1 + 2 + 4 s), each said, then the error.
check "unreachable server: retried, saying so" ah_output_matches 'retrying in .* \(attempt 2 of 4\)'
check "unreachable server: given up within seconds ($took s)" test "$took" -lt 20
check "unreachable server: nothing written" unchanged
check "unreachable server: no tokens left" ah_no_tokens

# --- plain http server URL: refused ---
ah_run certonly --webroot -w "$AH_WEBROOT" -d http.errors.example.test -n --agree-tos \
  -m e@example.test --eab-kid "$AH_EAB_KID" --eab-hmac-key "$AH_EAB_KEY" \
  --server "http://127.0.0.1:$AH_PEBBLE_PORT/dir"
ah_expect_fail nz 'https' "http:// server refused, message says https"
check "http server: nothing written" unchanged

# --- CA bundle that does not exist: configuration error naming it ---
AH_CA_BUNDLE_SAVE=$AH_CA_BUNDLE
AH_CA_BUNDLE="$AH_T/no-such-bundle.pem"
ah_run certonly --webroot -w "$AH_WEBROOT" -d bundle.errors.example.test -n --server "$AH_DIR_URL"
AH_CA_BUNDLE=$AH_CA_BUNDLE_SAVE
ah_expect_fail 2 "no-such-bundle\.pem" "missing --ca-bundle file: exit 2 naming it"
check "missing CA bundle: nothing written" unchanged

# --- Pebble's TLS certificate not trusted: a failed operation, not a hang ---
AH_CA_BUNDLE_SAVE=$AH_CA_BUNDLE
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$AH_T/other.key" \
  -out "$AH_T/other.pem" -subj /CN=other -days 1 2>/dev/null
AH_CA_BUNDLE="$AH_T/other.pem"
ah_run certonly --webroot -w "$AH_WEBROOT" -d untrusted.errors.example.test -n --server "$AH_DIR_URL"
AH_CA_BUNDLE=$AH_CA_BUNDLE_SAVE
ah_expect_fail 1 '(certificate|tls|ssl|verify)' "untrusted server certificate: exit 1 with a TLS message"
check "untrusted server: nothing written" unchanged

# --- no challenge tokens after any of it ---
check "no challenge tokens left" ah_no_tokens

# --- plugins ---
ah_run plugins
ah_expect_ok "plugins exits 0"
check "plugins lists webroot" ah_output_matches 'webroot'
check "plugins shows a version" ah_output_matches '[0-9]+\.[0-9]+'
check "plugins shows the ABI" ah_output_matches 'abi'

ah_finish
