#!/usr/bin/env bash
# Crashes during a renewal: killed at "before-live-switch" (every archive
# file of the new version written, live/ not yet switched) the previous
# key and certificate keep serving, matching; killed at "after-live-switch"
# the new pair serves, matching. What interrupted runs leave (temporaries
# of the store's atomic writes, link directories of versions never or no
# longer live) is removed by the next run that holds the lineage lock,
# and nothing else is.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=lib_testpoints.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_testpoints.sh"
ah_setup
ah_require_bin
tp_require_testpoints
ah_start_all

L=crash.example.test
live="$AH_CONFIG/live/$L"
arch="$AH_CONFIG/archive/$L"

ah_issue "$L"
ah_expect_ok "certonly $L"
ah_verify_cert "$L"
serial1=$(ah_serial "$live/cert.pem")
key1=$(ah_pubkey "$live/privkey.pem" key)

# --- killed before live/ switches ---
ACMEHOOK_TESTPOINT=before-live-switch:kill ah_run renew --force-renewal --cert-name "$L"
check "the run was killed (exit $AH_RC)" test "$AH_RC" -eq 137
check "archive/$L holds the killed run's version 2" test -s "$arch/cert2.pem"
check "live/$L still serves the previous certificate" test "$(ah_serial "$live/cert.pem")" = "$serial1"
check "live/$L still serves the previous key" test "$(ah_pubkey "$live/privkey.pem" key)" = "$key1"
check "live/$L key matches its certificate" tp_pair_matches "$L"
ah_verify_cert "$L"

# --- leftovers, planted beside the killed run's own ---
printf 'not a key\n' >"$arch/privkey9.pem.tmp-ABCDEF"
chmod 600 "$arch/privkey9.pem.tmp-ABCDEF"
mkdir "$AH_CONFIG/live/.$L-v99"
printf 'keep me\n' >"$arch/notes.txt"
printf 'keep me\n' >"$arch/notes.txt.tmp-ABCDEF"
check "the killed run left its link directory live/.$L-v2" test -d "$AH_CONFIG/live/.$L-v2"

ah_run renew --force-renewal --cert-name "$L"
ah_expect_ok "the next renewal succeeds"
check "live/$L now serves version 3" test "$(readlink "$live")" = ".$L-v3"
check "live/$L key matches its certificate" tp_pair_matches "$L"
ah_verify_cert "$L"
check "archive/$L/privkey9.pem.tmp-ABCDEF was removed" test ! -e "$arch/privkey9.pem.tmp-ABCDEF"
check "live/.$L-v99 was removed" test ! -e "$AH_CONFIG/live/.$L-v99"
check "live/.$L-v2 was removed" test ! -e "$AH_CONFIG/live/.$L-v2"
check "archive/$L/notes.txt stays" test -f "$arch/notes.txt"
check "archive/$L/notes.txt.tmp-ABCDEF stays (not the store's)" test -f "$arch/notes.txt.tmp-ABCDEF"
check "archive/$L keeps every version's files" test "$(ah_archive_versions "$L")" -eq 3

# --- leftovers go even when nothing is due ---
printf 'x\n' >"$arch/cert3.pem.tmp-Zz0Yy1"
mkdir "$AH_CONFIG/live/.$L-v1"
ah_run renew --cert-name "$L"
ah_expect_ok "renew with nothing due"
check "it was not due" ah_output_matches 'not yet due'
check "archive/$L/cert3.pem.tmp-Zz0Yy1 was removed" test ! -e "$arch/cert3.pem.tmp-Zz0Yy1"
check "live/.$L-v1 was removed" test ! -e "$AH_CONFIG/live/.$L-v1"
check "live/$L still serves version 3" test "$(readlink "$live")" = ".$L-v3"

# --- killed right after live/ switched ---
serial3=$(ah_serial "$live/cert.pem")
ACMEHOOK_TESTPOINT=after-live-switch:kill ah_run renew --force-renewal --cert-name "$L"
check "the run was killed (exit $AH_RC)" test "$AH_RC" -eq 137
check "live/$L serves the new version 4" test "$(readlink "$live")" = ".$L-v4"
check "live/$L has a new certificate" test "$(ah_serial "$live/cert.pem")" != "$serial3"
check "live/$L key matches its certificate" tp_pair_matches "$L"
ah_verify_cert "$L"
ah_run renew --force-renewal --cert-name "$L"
ah_expect_ok "a renewal after the crash succeeds"
check "live/$L serves version 5" test "$(readlink "$live")" = ".$L-v5"
check "only the live link directory of $L is left" \
  test "$(find "$AH_CONFIG/live" -maxdepth 1 -name ".$L-v*" | wc -l)" -eq 1
ah_verify_cert "$L"

ah_finish
