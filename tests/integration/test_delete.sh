#!/usr/bin/env bash
# delete --cert-name NAME removes that lineage's live/, archive/ and
# renewal file (and the status record kept beside them) and nothing else:
# not a lineage whose name starts the same, not the accounts. It wants -n
# without a terminal, refuses an unknown name touching nothing, and
# revoke --cert-name --delete-after-revoke revokes and then deletes.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all

ah_issue del.example.test
ah_expect_ok "issue del.example.test"
AH_ISSUE_EXTRA=--duplicate ah_issue del.example.test
ah_expect_ok "issue its duplicate (del.example.test-0001)"
ah_issue keep.example.test
ah_expect_ok "issue keep.example.test"
check "the duplicate lineage exists" test -f "$AH_CONFIG/renewal/del.example.test-0001.conf"

# Every file of the config dir with its hash, but for the lineage named.
others() {
  (cd "$AH_CONFIG" && find . \( -type f -o -type l \) ! -path "./.locks/*" -print0 | sort -z |
    xargs -0 sha256sum | grep -vE "\./(live|archive)/\.?$1(-v[0-9]+)?/|\./renewal/$1\.conf|\./status/$1\.json") || true
}
everything() { (cd "$AH_CONFIG" && find . \( -type f -o -type l \) -print0 | sort -z | xargs -0 sha256sum) 2>&1 || true; }

before=$(everything)
ah_run delete --cert-name del.example.test
ah_expect_fail 2 'needs -n' "delete without a terminal and without -n asks for -n"
check "nothing changed without confirmation" test "$(everything)" = "$before"
ah_run delete --cert-name nosuch.example.test -n
ah_expect_fail 2 'nosuch.example.test.*stored: .*keep.example.test.*nothing was deleted' \
  "an unknown name is refused, naming it and the stored ones"
check "nothing changed for an unknown name" test "$(everything)" = "$before"
ah_run delete -n
ah_expect_fail 2 'needs --cert-name' "delete without --cert-name is a usage error"

kept=$(others del.example.test)
ah_run delete --cert-name del.example.test -n
ah_expect_ok "delete --cert-name del.example.test -n"
check "its live/ is gone" test ! -e "$AH_CONFIG/live/del.example.test"
check "its live/ link directories are gone" \
  test -z "$(find "$AH_CONFIG/live" -maxdepth 1 -name '.del.example.test-v*')"
check "its archive/ is gone" test ! -e "$AH_CONFIG/archive/del.example.test"
check "its renewal file is gone" test ! -e "$AH_CONFIG/renewal/del.example.test.conf"
check "its status record is gone" test ! -e "$AH_CONFIG/status/del.example.test.json"
check "every other file is unchanged (the duplicate, keep.example.test, accounts)" \
  test "$(others del.example.test)" = "$kept"
ah_verify_cert del.example.test-0001 del.example.test
ah_run certificates
check "certificates no longer lists it" bash -c "! grep -qE 'Name: del\.example\.test$' '$AH_OUT'"
ah_run renew --force-renewal
ah_expect_ok "renew afterwards renews the others only"
check "renew did not bring it back" test ! -e "$AH_CONFIG/live/del.example.test"

# revoke --cert-name: the named lineage's certificate, then deleted.
serial=$(ah_serial "$AH_CONFIG/live/keep.example.test/cert.pem")
kept=$(others keep.example.test)
ah_run revoke --cert-name keep.example.test --delete-after-revoke -n
ah_expect_ok "revoke --cert-name keep.example.test --delete-after-revoke"
check "Pebble has the certificate revoked" ah_revoked "$serial"
check "the revoked lineage is deleted" test ! -e "$AH_CONFIG/renewal/keep.example.test.conf"
check "nothing else was touched by the revoke" test "$(others keep.example.test)" = "$kept"
serial=$(ah_serial "$AH_CONFIG/live/del.example.test-0001/cert.pem")
ah_run revoke --cert-name del.example.test-0001
ah_expect_ok "revoke --cert-name without --delete-after-revoke"
check "Pebble has that one revoked too" ah_revoked "$serial"
check "without --delete-after-revoke the lineage stays" \
  test -f "$AH_CONFIG/renewal/del.example.test-0001.conf"
ah_finish
