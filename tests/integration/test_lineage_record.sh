#!/usr/bin/env bash
# A lineage's record (renewal/NAME.conf) exists before its live/ does: a
# first issuance killed before live/ switched leaves a lineage that
# `certificates` lists as "no certificate yet" and that `renew` (or
# certonly for the same names) completes. A first issuance that fails
# cleanly leaves no record. A live/ directory without a record (an older
# version's) is listed and reported, and left alone.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=lib_testpoints.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_testpoints.sh"
ah_setup
ah_require_bin
tp_require_testpoints
ah_start_all

# json_field NAME FIELD: FIELD of lineage NAME in the last `certificates --json`.
json_field() {
  python3 -c 'import json,sys
for o in json.load(open(sys.argv[1])):
    if o["name"] == sys.argv[2]:
        print(json.dumps(o.get(sys.argv[3]))); break' "$AH_OUT" "$1" "$2"
}

# --- a first issuance killed before live/ exists ---
L=half.example.test
ACMEHOOK_TESTPOINT=before-live-switch:kill ah_issue "$L"
check "the first issuance was killed (exit $AH_RC)" test "$AH_RC" -eq 137
check "its record renewal/$L.conf exists" test -f "$AH_CONFIG/renewal/$L.conf"
check "live/$L does not exist" test ! -e "$AH_CONFIG/live/$L"
ah_run certificates
ah_expect_ok "certificates"
check "certificates lists $L" ah_output_matches "Certificate Name: $L"
check "... as having no certificate yet" ah_output_matches 'no certificate yet'
ah_run certificates --json
check "certificates --json: state \"no certificate yet\"" \
  test "$(json_field "$L" state)" = '"no certificate yet"'
check "certificates --json: its names from the record" test "$(json_field "$L" domains)" = "[\"$L\"]"
ah_run renew
ah_expect_ok "renew completes $L"
ah_verify_cert "$L"
ah_run certificates --json
check "certificates --json: $L is ok" test "$(json_field "$L" state)" = '"ok"'
ah_run renew
ah_expect_ok "renew again"
check "$L is not due any more" ah_output_matches "$L is not yet due"

# --- the same, completed by certonly for the same names ---
C=again.example.test
ACMEHOOK_TESTPOINT=before-live-switch:kill ah_issue "$C"
check "the first issuance of $C was killed (exit $AH_RC)" test "$AH_RC" -eq 137
ah_issue "$C"
ah_expect_ok "certonly for the same names completes $C"
ah_verify_cert "$C"
check "no second lineage for $C" test "$(find "$AH_CONFIG/renewal" -name "$C*.conf" | wc -l)" -eq 1

# --- a first issuance that fails cleanly leaves no record ---
F=fails.example.test
mkdir -p "$AH_T/not-served"
ah_run certonly --webroot -w "$AH_T/not-served" -d "$F" -n --agree-tos -m test@example.test \
  --server "$AH_DIR_URL"
ah_expect_fail 1 "" "a first issuance whose validation fails exits 1"
check "no record renewal/$F.conf" test ! -e "$AH_CONFIG/renewal/$F.conf"
check "no live/$F" test ! -e "$AH_CONFIG/live/$F"
check "no temporary left in renewal/" test -z "$(find "$AH_CONFIG/renewal" -name '*.tmp-*' -o -name '*.kept')"
ah_run certificates
check "certificates does not list $F" bash -c "! grep -q '$F' '$AH_OUT'"

# --- live/NAME without a record (made by an older version) ---
O=old.example.test
ah_issue "$O"
ah_expect_ok "certonly $O"
mv "$AH_CONFIG/renewal/$O.conf" "$AH_T/$O.conf.saved"
ah_run certificates
ah_expect_ok "certificates with a live/ directory without a record"
check "certificates lists $O" ah_output_matches "Certificate Name: $O"
check "... as having no renewal record" ah_output_matches 'no renewal record'
ah_run certificates --json
check "certificates --json: state \"no renewal record\"" \
  test "$(json_field "$O" state)" = '"no renewal record'"\""
ah_run renew
ah_expect_ok "renew with a live/ directory without a record"
check "renew reports live/$O once" \
  test "$(grep -c "live/$O has no renewal record" "$AH_ERR")" -eq 1
check "live/$O is left alone" tp_pair_matches "$O"
ah_finish
