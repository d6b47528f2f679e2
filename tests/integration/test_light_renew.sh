#!/usr/bin/env bash
# The light path of renew and what `certificates` shows.
# Lineages issued from Pebble behind the fault proxy (which counts every
# request and lists profiles) keep in their status records what renew
# decides on: a second `renew` with nothing due sends no request and opens
# no certificate and no renewal file (strace). A corrupt record, a record
# about another version, and a certificate file changed under a record
# are each detected: that run takes the full path, decides right (a
# changed certificate is renewed, not skipped), and repairs the record.
# `certificates` (text and --json) shows names, key type, issuer, profile,
# expiry (the certificate's notAfter), days left, next renewal and why,
# the last outcome with the CA's problem after a failed attempt, and a
# pending deploy.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all
ah_require_tool strace
ah_start_faultproxy --profiles classic,shortlived
PROXY1_BUNDLE=$AH_CA_BUNDLE

A=a.light.example.test
B=b.light.example.test
C=c.light.example.test
status() { printf '%s/status/%s.json' "$AH_CONFIG" "$1"; }
# rec NAME EXPR: EXPR (Python, over the record `r`) of NAME's status record.
rec() {
  python3 -c 'import json, sys
try:
    r = json.load(open(sys.argv[1]))
except Exception:
    print("unreadable"); sys.exit(0)
print(eval(sys.argv[2]))' "$(status "$1")" "$2"
}
# cf NAME KEY: KEY of NAME in the last `certificates --json` output.
cf() {
  python3 -c 'import json, sys
for c in json.load(open(sys.argv[1])):
    if c["name"] == sys.argv[2]:
        v = c.get(sys.argv[3], "")
        print(" ".join(v) if isinstance(v, list) else v)' "$AH_OUT" "$1" "$2"
}
# requests: how many requests the fault proxy has answered in all.
requests() {
  python3 -c 'import json, sys
try:
    print(sum(json.load(open(sys.argv[1])).get("requests", {}).values()))
except FileNotFoundError:
    print(0)' "$AH_PROXY_COUNTS"
}
# traced_renew: a plain `renew` under strace; its openat calls in $TRACE.
TRACE="$AH_T/openat.log"
traced_renew() {
  set +e
  strace -f -qq -e trace=openat -o "$TRACE" "$AH_BIN" renew --no-random-sleep-on-renew \
    --config-dir "$AH_CONFIG" --work-dir "$AH_WORK" --logs-dir "$AH_LOGDIR" \
    --ca-bundle "$AH_CA_BUNDLE" >"$AH_T/traced.out" 2>"$AH_T/traced.err" </dev/null
  AH_RC=$?
  set -e
}
# opened REGEX: the traced run opened a file under the config dir matching REGEX.
opened() { grep -F "\"$AH_CONFIG/" "$TRACE" | grep -v ENOENT | grep -qE "$1"; }
not_due() { grep -q "Certificate $1 is not yet due for renewal" "$AH_T/traced.out"; }

AH_ISSUE_EXTRA="--preferred-profile shortlived" ah_issue "$A" "www.$A"
ah_expect_ok "certonly $A with profile shortlived"
ah_issue "$B"
ah_expect_ok "certonly $B"
check "the issuance recorded the facts of version 1 of $A" test "$(rec "$A" 'r["cert"]["version"]')" = 1

# The first renew asks the CA once whether it offers renewal information.
ah_run renew
ah_expect_ok "first renew: nothing due"
check "first renew: $A not due" ah_output_matches "Certificate $A is not yet due"
check "it recorded that the CA offers no renewal information" \
  test "$(rec "$A" '"no_ari_until" in r["renewal"]')" = True

# --- the light path: no request, no certificate opened ---
n0=$(requests)
traced_renew
ah_expect_ok "renew with nothing due"
check "renew with nothing due sent no request" test "$(requests)" -eq "$n0"
check "it says $A and $B are not due" bash -c "grep -q 'Certificate $A is not yet due' '$AH_T/traced.out' && grep -q 'Certificate $B is not yet due' '$AH_T/traced.out'"
check "it read the status records" opened "/status/$A\.json"
check "it opened no certificate or key" bash -c "! grep -F '\"$AH_CONFIG/' '$TRACE' | grep -v ENOENT | grep -qE '\.pem\"'"
check "it opened no renewal file" bash -c "! grep -F '\"$AH_CONFIG/' '$TRACE' | grep -v ENOENT | grep -qE 'renewal/[^\"]*\.conf\"'"

# --- certificates: the columns, against the certificates themselves ---
ah_run certificates --json
ah_expect_ok "certificates --json"
certA="$AH_CONFIG/live/$A/cert.pem"
na=$(date -u -d "$(openssl x509 -in "$certA" -noout -enddate | cut -d= -f2)" +%s)
nb=$(date -u -d "$(openssl x509 -in "$certA" -noout -startdate | cut -d= -f2)" +%s)
check "expiry is the certificate's notAfter" test "$(cf "$A" expiry)" = "$(date -u -d "@$na" +%Y-%m-%dT%H:%M:%SZ)"
left=$(((na - $(date +%s)) / 86400))
check "days_left is what is left of it ($left)" test "$(cf "$A" days_left)" -ge $((left - 1)) -a "$(cf "$A" days_left)" -le "$left"
check "domains are the certificate's names" test "$(cf "$A" domains | tr ' ' '\n' | sort | xargs)" = "$(ah_sans "$certA" | xargs)"
check "profile is the one ordered" test "$(cf "$A" profile)" = shortlived
check "$B has no profile" test -z "$(cf "$B" profile)"
issuer=$(openssl x509 -in "$certA" -noout -issuer -nameopt sep_multiline,utf8 | sed -n 's/^ *CN=//p')
check "issuer is the issuer's CN ($issuer)" test "$(cf "$A" issuer)" = "$issuer"
check "serial is the certificate's" test "$(cf "$A" serial)" = "$(ah_serial "$certA")"
check "key type is ECDSA P-256 as issued" test "$(cf "$A" key_type)" = "ecdsa secp256r1"
at=$((na - (na - nb) / 3 + 1))
check "next renewal: a third of the lifetime before expiry" test "$(cf "$A" next_renewal)" = "$(date -u -d "@$at" +%Y-%m-%dT%H:%M:%SZ)"
check "next renewal reason: lifetime" test "$(cf "$A" next_renewal_reason)" = lifetime
check "last outcome: issued" test "$(cf "$A" last_outcome)" = issued
check "no deploy pending" test "$(cf "$A" deploy_pending)" = False
expiry=$(cf "$A" expiry)
ah_run certificates
check "text: issuer" ah_output_matches "Issuer: $issuer"
check "text: profile" ah_output_matches "Profile: shortlived"
check "text: expiry and days" ah_output_matches "Expiry Date: $expiry \(VALID: [0-9]+ days\)"
check "text: next renewal" ah_output_matches "Next Renewal: [0-9T:-]+Z \(a third of its lifetime left\)"
ah_run certificates --json
json_records=$(python3 -c 'import json,sys; print(json.dumps([{k: c.get(k) for k in ("name","domains","serial","issuer","expiry","key_type","version","next_renewal")} for c in json.load(open(sys.argv[1]))]))' "$AH_OUT")

# --- a corrupt record: detected, decided on the certificate, repaired ---
echo '{"version": 1, "cert": ' >"$(status "$A")"
n0=$(requests)
traced_renew
ah_expect_ok "renew with $A's record corrupt"
check "$A is still found not due" not_due "$A"
check "that run read $A's certificate" opened "archive/$A/cert1\.pem|live/$A/cert\.pem"
check "the record is repaired" test "$(rec "$A" 'r["cert"]["version"]')" = 1
ah_run certificates --json
check "certificates reads the same from the repaired records" test "$(python3 -c 'import json,sys; print(json.dumps([{k: c.get(k) for k in ("name","domains","serial","issuer","expiry","key_type","version","next_renewal")} for c in json.load(open(sys.argv[1]))]))' "$AH_OUT")" = "$json_records"
traced_renew
check "the next renew takes the light path again" bash -c "! grep -F '\"$AH_CONFIG/archive/$A' '$TRACE' | grep -qv ENOENT"

# --- a record about another version: stale, not trusted ---
python3 - "$(status "$B")" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["cert"]["version"] = 7
r["cert"]["not_after"] = r["cert"]["not_after"] + 10**8
json.dump(r, open(sys.argv[1], "w"))
PY
traced_renew
ah_expect_ok "renew with $B's record stale"
check "that run read $B's certificate" opened "archive/$B/cert1\.pem|live/$B/cert\.pem"
check "the stale record is rewritten for version 1" test "$(rec "$B" 'r["cert"]["version"]')" = 1
check "with the certificate's notAfter" test "$(rec "$B" 'r["cert"]["not_after"]')" = \
  "$(date -u -d "$(openssl x509 -in "$AH_CONFIG/live/$B/cert.pem" -noout -enddate | cut -d= -f2)" +%s)"

# --- a certificate changed under a good record must not be skipped ---
# A's live certificate now holds B's names, which A's renewal file does
# not list: renew must see it and renew A.
cp "$AH_CONFIG/archive/$B/cert1.pem" "$AH_CONFIG/archive/$A/cert1.pem"
ah_run renew
ah_expect_ok "renew after $A's certificate changed"
check "$A was renewed" test "$(ah_archive_versions "$A")" -eq 2
check "$A's new certificate has $A's names" test "$(ah_sans "$AH_CONFIG/live/$A/cert.pem" | xargs)" = "$(printf '%s\n' "$A" "www.$A" | sort | xargs)"
check "the record describes version 2" test "$(rec "$A" 'r["cert"]["version"]')" = 2
n0=$(requests)
traced_renew
check "and the next renew sends no request" test "$(requests)" -eq "$n0"

# --- a renewal file changed under a good record must not be skipped ---
# B's renewal file now lists one more name, so B's names changed.
sed -i "s/^\($B\) = \(.*\)$/\1 = \2\nwww.\1 = \2/" "$AH_CONFIG/renewal/$B.conf"
ah_run renew
ah_expect_ok "renew after $B's renewal file changed"
check "$B was renewed" test "$(ah_archive_versions "$B")" -eq 2
check "$B's new certificate has the names of its renewal file" \
  test "$(ah_sans "$AH_CONFIG/live/$B/cert.pem" | xargs)" = "$(printf '%s\n' "$B" "www.$B" | sort | xargs)"

# --- a deploy pending ---
HOOK="$AH_T/failing-hook.sh"
printf '#!/bin/sh\nexit 3\n' >"$HOOK"
chmod 755 "$HOOK"
AH_ISSUE_EXTRA="--deploy-hook $HOOK" ah_issue "$C"
ah_expect_fail 1 "" "certonly $C whose deploy hook fails"
ah_run certificates --json
check "certificates --json: $C deploy pending" test "$(cf "$C" deploy_pending)" = True
ah_run certificates
check "certificates: $C deploy pending" ah_output_matches "Deploy: pending"
traced_renew
check "a pending deploy takes the full path" grep -q "deploy of $C .*still pending" "$AH_T/traced.err"

# --- the last outcome after a failed attempt ---
# A CA whose renewal window for B has begun, and that answers the order
# with 429 and a Retry-After of a day.
ah_start_faultproxy --seed 5 --methods POST --path '^/order-plz' --rate-429 100 --retry-after 86400 \
  --ari-window past --ari-retry-after 3600
ah_run renew --cert-name "$B" --server "$AH_DIR_URL" --timeout 30 \
  --eab-kid "$AH_EAB_KID" --eab-hmac-key "$AH_EAB_KEY" -n --agree-tos -m test@example.test
ah_expect_fail 1 "" "the renewal of $B through a CA answering 429 fails"
AH_CA_BUNDLE=$PROXY1_BUNDLE
ah_run certificates --json --cert-name "$B"
check "last outcome: failed" test "$(cf "$B" last_outcome)" = failed
check "last problem: rateLimited" test "$(cf "$B" last_problem)" = rateLimited
check "next renewal waits for the CA: retry-after" test "$(cf "$B" next_renewal_reason)" = retry-after
check "next renewal is the time the CA named" test "$(cf "$B" next_renewal)" = "$(cf "$B" next_attempt)"
ah_run certificates --cert-name "$B"
check "text: the failure with its problem" ah_output_matches "Last Attempt: .*\(failed, rateLimited"
ah_finish
