#!/usr/bin/env bash
# A CA that asks not to be contacted for a day (503, then 429, with
# Retry-After: 86400): the failed run records the time in the lineage's
# status record (next_attempt, with last_outcome, last_problem and
# last_error); `renew` and certonly then skip the lineage with one line and
# exit 0, placing no order and not even reaching the CA; `certificates`
# shows the last attempt and the next one; `renew --force-renewal` tries at
# once, succeeds, and clears next_attempt. A lineage never attempted gets
# no status record from a run that finds it not due.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all --eab

L=later.example.test
R=limited.example.test
Q=quiet.example.test
status() { printf '%s/status/%s.json' "$AH_CONFIG" "$1"; }
# field NAME KEY: KEY of NAME's status record ("" when absent).
field() {
  python3 -c 'import json, sys
v = json.load(open(sys.argv[1])).get(sys.argv[2], "")
print(v if not isinstance(v, float) else int(v))' "$(status "$1")" "$2"
}
# cert_field NAME KEY: KEY of NAME's entry in `certificates --json`.
cert_field() {
  python3 -c 'import json, sys
for c in json.load(open(sys.argv[1])):
    if c["name"] == sys.argv[2]:
        print(c.get(sys.argv[3], ""))' "$AH_OUT" "$1" "$2"
}
# due NAME: add a name to NAME's renewal file, so its names changed and
# `renew` finds it due.
due() {
  sed -i "s/^\($1\) = \(.*\)$/\1 = \2\nwww.\1 = \2/" "$AH_CONFIG/renewal/$1.conf"
}
# not_matching REGEX: the last run's output does not match REGEX.
not_matching() { ! ah_output_matches "$1"; }
eab=(--eab-kid "$AH_EAB_KID" --eab-hmac-key "$AH_EAB_KEY" -n --agree-tos -m test@example.test)
skip_line() {
  printf 'Certificate %s: the CA asked not to be contacted before [0-9-]+ [0-9:]+ UTC; ' "$1"
  printf 'skipping \\(use --force-renewal to try anyway\\)'
}

# Three lineages, issued straight from Pebble; L then due (R later).
for n in "$L" "$R" "$Q"; do
  ah_issue "$n"
  ah_expect_ok "certonly $n"
done
due "$L"
check "an issuance records its attempt" test "$(field "$Q" last_outcome)" = issued
# A lineage from before status records: a run that finds it not due
# records its certificate's facts, and no attempt.
rm "$(status "$Q")"
ah_run renew --cert-name "$Q"
ah_expect_ok "renew $Q: not due"
check "renew of a lineage not due records no attempt" test -z "$(field "$Q" last_attempt)"

# --- 503 with Retry-After of a day on newOrder ---
ah_start_faultproxy --seed 3 --methods POST --path '^/order-plz' --rate-503 100 \
  --retry-after 86400
t0=$(date +%s)
ah_run renew --cert-name "$L" --server "$AH_DIR_URL" --timeout 30 "${eab[@]}"
t1=$(date +%s)
ah_expect_fail 1 "the CA asks to be tried again at" "renew $L through a CA asking for a day: exit 1"
check "one newOrder was sent" test "$(ah_proxy_count kinds newOrder)" -eq 1
next=$(field "$L" next_attempt)
check "status next_attempt is a day ahead ($next, run at $t0..$t1)" \
  test "$next" -ge $((t0 + 86400 - 2)) -a "$next" -le $((t1 + 86400 + 2))
last=$(field "$L" last_attempt)
check "status last_attempt is the run's time ($last)" test "$last" -ge "$t0" -a "$last" -le "$t1"
check "status last_outcome is failed" test "$(field "$L" last_outcome)" = failed
check "status last_problem is rateLimited" test "$(field "$L" last_problem)" = rateLimited
check "status last_error names the CA's answer" \
  grep -q 'the CA is busy (injected 503)' "$(status "$L")"
check "the deploy fields of the record are kept" test "$(field "$L" version)" = 1

ah_run certificates --cert-name "$L"
ah_expect_ok "certificates after the failure"
check "certificates shows the last attempt" \
  ah_output_matches 'Last Attempt: .*failed, rateLimited: .*the CA is busy'
check "certificates shows the next attempt" ah_output_matches 'Next Attempt: not before 20'
ah_run certificates --json
check "certificates --json: last_outcome failed" test "$(cert_field "$L" last_outcome)" = failed
check "certificates --json: last_problem rateLimited" \
  test "$(cert_field "$L" last_problem)" = rateLimited
check "certificates --json: next_attempt is the CA's time" \
  test "$(cert_field "$L" next_attempt)" = "$(date -u -d "@$next" +%Y-%m-%dT%H:%M:%SZ)"
check "certificates --json: no attempt shown for $Q" test -z "$(cert_field "$Q" last_attempt)"

# --- the CA answers again; renew and certonly still wait as asked ---
ah_start_faultproxy --seed 3
ah_run renew --cert-name "$L" --server "$AH_DIR_URL" "${eab[@]}"
ah_expect_ok "renew while the CA's time is ahead: exit 0"
check "renew says it skips $L, and why" ah_output_matches "$(skip_line "$L")"
check "the skip is one line" test "$(grep -c "Certificate $L: the CA asked" "$AH_OUT")" -eq 1
check "renew counts it as not attempted" ah_output_matches 'No renewals were attempted'
ah_run renew --server "$AH_DIR_URL" "${eab[@]}"
ah_expect_ok "renew of every lineage while the CA's time for $L is ahead: exit 0"
check "renew of every lineage skips $L" ah_output_matches "$(skip_line "$L")"
check "... and finds the others not due" \
  test "$(grep -c 'is not yet due for renewal' "$AH_OUT")" -eq 2
# The lineages not due still fetch the directory, to learn whether the CA
# offers renewal windows (RFC 9773); nothing else may reach it.
check "no request but the directory reached the CA (forwarded $(ah_proxy_count forwarded))" \
  test "$(ah_proxy_count forwarded)" -eq "$(ah_proxy_count kinds dir)"
check "no new order" test "$(ah_proxy_count kinds newOrder)" -eq 0
check "still one archive version of $L" test "$(ah_archive_versions "$L")" -eq 1
check "next_attempt is kept" test "$(field "$L" next_attempt)" = "$next"
ah_run certonly --webroot -w "$AH_WEBROOT" --cert-name "$L" -d "$L" -d "www.$L" \
  --server "$AH_DIR_URL" "${eab[@]}"
ah_expect_ok "certonly of the existing lineage while the CA's time is ahead: exit 0"
check "certonly says it skips $L" ah_output_matches "$(skip_line "$L")"
check "certonly: no new order" test "$(ah_proxy_count kinds newOrder)" -eq 0

# --- --force-renewal tries at once ---
ah_run renew --cert-name "$L" --force-renewal --server "$AH_DIR_URL" "${eab[@]}"
ah_expect_ok "renew --force-renewal"
# Counted as Pebble accepted them: a newOrder it refused for its nonce
# (PEBBLE_WFE_NONCEREJECT, 5% by default) is sent again.
check "one order was placed" test "$(ah_proxy_count accepted newOrder)" -eq 1
ah_verify_cert "$L" "$L" "www.$L"
check "next_attempt is cleared" test -z "$(field "$L" next_attempt)"
check "last_outcome is renewed" test "$(field "$L" last_outcome)" = renewed
check "last_problem and last_error are cleared" \
  test -z "$(field "$L" last_problem)$(field "$L" last_error)"
ah_run certificates --cert-name "$L"
check "certificates shows no next attempt any more" not_matching 'Next Attempt'

# --- 429 rateLimited ---
due "$R"
ah_start_faultproxy --seed 5 --methods POST --path '^/order-plz' --rate-429 100 \
  --retry-after 86400
ah_run renew --cert-name "$R" --server "$AH_DIR_URL" --timeout 30 "${eab[@]}"
ah_expect_fail 1 "" "renew $R through a CA answering 429: exit 1"
check "429: status last_problem is rateLimited" test "$(field "$R" last_problem)" = rateLimited
check "429: status last_error carries the CA's detail" \
  grep -q 'the CA is busy (injected 429)' "$(status "$R")"
check "429: status next_attempt is set" test -n "$(field "$R" next_attempt)"
ah_run renew --cert-name "$R" --server "$AH_DIR_URL" "${eab[@]}"
ah_expect_ok "429: the next renew exits 0"
check "429: the next renew skips $R" ah_output_matches "$(skip_line "$R")"
check "429: one newOrder in all" test "$(ah_proxy_count kinds newOrder)" -eq 1
ah_finish
