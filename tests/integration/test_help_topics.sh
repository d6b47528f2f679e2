#!/usr/bin/env bash
# --help all and --help COMMAND (also COMMAND --help and help COMMAND):
# generated from the command table and the option table, exit 0; the
# topic's page shows its own option groups only; an unknown topic is a
# usage error naming it. No servers needed.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
AH_NO_DIRS=1

ah_run --help all
ah_expect_ok "--help all"
cp "$AH_OUT" "$AH_T/all.txt"
ah_run --help
check "--help all is the whole help" cmp -s "$AH_OUT" "$AH_T/all.txt"
for c in certonly renew revoke delete certificates register show_account update_account \
  unregister plugins script; do
  check "--help all lists $c" grep -qE "^  $c( |$)" "$AH_T/all.txt"
done
# Every flag the parser accepts and documents is on the page.
for flag in --preferred-challenges --webroot-map --reuse-key --new-key --account \
  --register-unsafely-without-email --delete-after-revoke --eab-kid; do
  check "--help all shows $flag" grep -qE -- "$flag( |$)" "$AH_T/all.txt"
done

ah_run --help certonly
ah_expect_ok "--help certonly"
cp "$AH_OUT" "$AH_T/certonly.txt"
check "--help certonly starts with its usage" grep -qx "usage: acmehook certonly \[options\]" "$AH_T/certonly.txt"
check "--help certonly shows validation flags" grep -qE -- "--webroot-path|-w, --webroot-path" "$AH_T/certonly.txt"
check "--help certonly shows account flags" grep -q -- "--eab-kid" "$AH_T/certonly.txt"
check "--help certonly lists no other command" bash -c "! grep -qE '^  (renew|register|delete) ' '$AH_T/certonly.txt'"
ah_run certonly --help
check "certonly --help is --help certonly" cmp -s "$AH_OUT" "$AH_T/certonly.txt"
ah_run help certonly
check "help certonly is --help certonly" cmp -s "$AH_OUT" "$AH_T/certonly.txt"

ah_run --help renew
ah_expect_ok "--help renew"
check "--help renew shows --force-renewal" grep -q -- "--force-renewal" "$AH_OUT"
ah_run --help register
ah_expect_ok "--help register"
check "--help register shows --register-unsafely-without-email" \
  grep -q -- "--register-unsafely-without-email" "$AH_OUT"
check "--help register shows no validation flags" bash -c "! grep -q -- '--webroot' '$AH_OUT'"
ah_run update_account --help
ah_expect_ok "update_account --help"
check "update_account --help names --new-key" grep -q -- "--new-key" "$AH_OUT"

ah_run --help bogus
ah_expect_fail 2 'unknown help topic "bogus"' "an unknown topic is a usage error naming it"
check "nothing on stdout for an unknown topic" test ! -s "$AH_OUT"
ah_run --help certonly renew
ah_expect_fail 2 'one topic' "two topics are a usage error"
ah_finish
