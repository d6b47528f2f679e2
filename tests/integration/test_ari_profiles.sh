#!/usr/bin/env bash
# Renewal information (RFC 9773) and profiles, served by the fault proxy in
# front of Pebble (which has neither): a chosen profile goes into newOrder,
# is kept in the renewal file and shown by `certificates`; a profile the CA
# does not list, or any profile from a CA without profiles, is refused with
# exit 2 before an order; a renewal window ahead leaves the lineage alone
# and its Retry-After is recorded as ari_next_check; a window that has
# passed or ends now renews without --force-renewal, naming the old
# certificate in "replaces"; a CA refusing "replaces" gets the order once
# more without it; a malformed window falls back to the lifetime rule.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all --eab

A=ari.example.test
B=other.example.test
orders="$AH_T/orders.jsonl"
status="$AH_CONFIG/status/$A.json"
eab=(--eab-kid "$AH_EAB_KID" --eab-hmac-key "$AH_EAB_KEY" -n --agree-tos -m test@example.test)

# field KEY: KEY of A's status record ("" when absent).
field() {
  python3 -c 'import json, sys
v = json.load(open(sys.argv[1])).get(sys.argv[2], "")
print(v if not isinstance(v, float) else int(v))' "$status" "$1"
}
# order_field N KEY: KEY of the Nth recorded newOrder payload (from 1; "" when absent).
order_field() {
  python3 -c 'import json, sys
lines = open(sys.argv[1]).read().splitlines()
n = int(sys.argv[2])
print(json.loads(lines[n - 1]).get(sys.argv[3], "") if len(lines) >= n else "")' \
    "$orders" "$1" "$2"
}
n_orders() { if [ -f "$orders" ]; then wc -l <"$orders"; else echo 0; fi; }
# cert_id PEM: the RFC 9773 identifier of the certificate, computed apart.
cert_id() {
  python3 -c 'import base64, sys
from cryptography import x509
c = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
kid = c.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
s = c.serial_number
der = s.to_bytes((s.bit_length() + 8) // 8, "big")  # with the sign bit clear
b = lambda x: base64.urlsafe_b64encode(x).rstrip(b"=").decode()
print(b(kid) + "." + b(der))' "$1"
}
# forget_window: the CA's time to ask again has passed.
forget_window() {
  python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
for k in ("ari_start", "ari_end", "ari_next_check"):
    d.pop(k, None)
json.dump(d, open(sys.argv[1], "w"))' "$status"
}

# --- profiles ---
ah_start_faultproxy --ari-window future --ari-retry-after 3600 --profiles classic,shortlived \
  --record-orders "$orders"
ah_run certonly --webroot -w "$AH_WEBROOT" -d "$B" --server "$AH_DIR_URL" \
  --preferred-profile tiny "${eab[@]}"
ah_expect_fail 2 "preferred-profile tiny: .*offers: classic, shortlived" \
  "an unknown profile: exit 2 naming those offered"
check "no order for the unknown profile" test "$(n_orders)" -eq 0
check "no lineage for the unknown profile" test ! -e "$AH_CONFIG/live/$B"

AH_ISSUE_EXTRA="--preferred-profile shortlived" ah_issue "$A"
ah_expect_ok "certonly $A with profile shortlived"
ah_verify_cert "$A"
check "newOrder carried the profile" test "$(order_field 1 profile)" = shortlived
check "a first issuance replaces nothing" test -z "$(order_field 1 replaces)"
check "the renewal file keeps the profile" \
  grep -qx 'preferred_profile = shortlived' "$AH_CONFIG/renewal/$A.conf"
ah_run certificates
ah_expect_ok "certificates"
check "certificates shows the profile" ah_output_matches "Profile: shortlived"

# --- a window ahead: not due; Retry-After recorded ---
t0=$(date +%s)
ah_run renew --cert-name "$A" --server "$AH_DIR_URL"
t1=$(date +%s)
ah_expect_ok "renew inside no window"
check "renew says it is not yet due, by the window" \
  ah_output_matches "not yet due for renewal \\(the CA's renewal window"
check "the CA's explanation is logged" ah_output_matches "explains the renewal window.*ari-explained"
check "no order for a window ahead" test "$(n_orders)" -eq 1
check "one archive version" test "$(ah_archive_versions "$A")" -eq 1
next=$(field ari_next_check)
check "ari_next_check is the Retry-After ($next, run at $t0..$t1)" \
  test "$next" -ge $((t0 + 3600 - 2)) -a "$next" -le $((t1 + 3600 + 2))
asked=$(grep -c 'renewal info ' "$AH_PROXY_LOG")
ah_run renew --cert-name "$A" --server "$AH_DIR_URL"
ah_expect_ok "renew again before ari_next_check"
check "the window is not asked for again before ari_next_check" \
  test "$(grep -c 'renewal info ' "$AH_PROXY_LOG")" -eq "$asked"

# --- a window that has passed; the CA refuses "replaces" once ---
old_id=$(cert_id "$AH_CONFIG/live/$A/cert.pem")
forget_window
ah_start_faultproxy --ari-window past --profiles classic,shortlived --refuse-replaces \
  --record-orders "$orders"
ah_run renew --cert-name "$A" --server "$AH_DIR_URL" "${eab[@]}"
ah_expect_ok "renew within a past window, without --force-renewal"
check "the proxy was asked for the certificate's identifier" \
  grep -q "renewal info $old_id: past" "$AH_PROXY_LOG"
check "two archive versions" test "$(ah_archive_versions "$A")" -eq 2
ah_verify_cert "$A"
check "the renewal named the old certificate in replaces" \
  test "$(order_field 2 replaces)" = "$old_id"
check "the refused replaces was retried without it" test -z "$(order_field 3 replaces)"
check "... still with the profile" test "$(order_field 3 profile)" = shortlived
check "the CA refused one replaces" test "$(ah_proxy_count faults refuse-replaces)" -eq 1
check "no ari_next_check without a Retry-After" test -z "$(field ari_next_check)"

# --- a window that ends now: renewed, replaces accepted ---
old_id=$(cert_id "$AH_CONFIG/live/$A/cert.pem")
ah_start_faultproxy --ari-window now --profiles classic,shortlived --record-orders "$orders"
ah_run renew --cert-name "$A" --server "$AH_DIR_URL" "${eab[@]}"
ah_expect_ok "renew inside the window"
check "three archive versions" test "$(ah_archive_versions "$A")" -eq 3
ah_verify_cert "$A"
check "replaces names the certificate renewed" test "$(order_field 4 replaces)" = "$old_id"
check "four orders in all" test "$(n_orders)" -eq 4

# --- a malformed window: the lifetime rule (5-year certificates: not due) ---
ah_start_faultproxy --ari-window malformed --profiles classic,shortlived --record-orders "$orders"
ah_run renew --cert-name "$A" --server "$AH_DIR_URL" "${eab[@]}"
ah_expect_ok "renew with a malformed window"
check "the malformed window is a warning" ah_output_matches "warn.*ends .* before it starts"
check "the lifetime rule says not due" ah_output_matches "not yet due for renewal \\(it expires on"
check "no order for a malformed window" test "$(n_orders)" -eq 4

# --- a CA without profiles ---
ah_start_faultproxy --record-orders "$orders"
ah_run certonly --webroot -w "$AH_WEBROOT" -d "$B" --server "$AH_DIR_URL" \
  --preferred-profile classic "${eab[@]}"
ah_expect_fail 2 "preferred-profile classic: this CA offers no profiles" \
  "a profile from a CA without profiles: exit 2"
check "no order placed" test "$(n_orders)" -eq 4

ah_finish
