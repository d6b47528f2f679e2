#!/usr/bin/env bash
# cli.ini: settings from CONFIG/cli.ini and from -c FILE, command-line flags
# overriding the file, and malformed files reported as FILE:LINE (exit 2).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all --eab
ah_port CLOSED

# --- CONFIG/cli.ini carries everything but the webroot and the name ---
ah_use_config ini
mkdir -p "$AH_CONFIG"
cat >"$AH_CONFIG/cli.ini" <<EOF
# settings for the test CA
agree-tos = true
email = ini@example.test
eab-kid = $AH_EAB_KID
eab-hmac-key = $AH_EAB_KEY

server = $AH_DIR_URL
EOF
ah_run certonly --webroot -w "$AH_WEBROOT" -d ini.example.test -n
ah_expect_ok "certonly with everything else from CONFIG/cli.ini"
ah_verify_cert ini.example.test
check "the account was registered (via the file's EAB)" test "$(ah_account_keys | wc -l)" -eq 1

# --- -c FILE, outside the config dir ---
ah_use_config given
cat >"$AH_T/given.ini" <<EOF
agree-tos = true
email = given@example.test
eab-kid = $AH_EAB_KID2
eab-hmac-key = $AH_EAB_KEY2
server = $AH_DIR_URL
EOF
ah_run certonly --webroot -w "$AH_WEBROOT" -d given.example.test -n -c "$AH_T/given.ini"
ah_expect_ok "certonly with -c FILE"
ah_verify_cert given.example.test

# --- command line overrides the file: the file's server is dead and its email
# is different; the run only succeeds if --server wins ---
ah_use_config override
mkdir -p "$AH_CONFIG"
cat >"$AH_CONFIG/cli.ini" <<EOF
agree-tos = true
email = from-file@example.test
eab-kid = $AH_EAB_KID
eab-hmac-key = $AH_EAB_KEY
server = https://127.0.0.1:$CLOSED/dir
EOF
ah_run certonly --webroot -w "$AH_WEBROOT" -d override.example.test -n \
  --server "$AH_DIR_URL" -m from-cli@example.test
ah_expect_ok "--server on the command line overrides cli.ini's server"
ah_verify_cert override.example.test
# Which email went to the CA: if the client records the contact with the
# account (as certbot's layout does), it must be the command line's.
if grep -rqF from-file@example.test "$AH_CONFIG/accounts" 2>/dev/null; then
  fail "-m overrides cli.ini's email (account records from-file@example.test)"
elif grep -rqF from-cli@example.test "$AH_CONFIG/accounts" 2>/dev/null; then
  pass "-m overrides cli.ini's email"
else
  pass "-m override: contact not recorded under accounts/ (not checked)"
fi

# The same file without the override: the dead server is used and named.
ah_run certonly --webroot -w "$AH_WEBROOT" -d override2.example.test -n
ah_expect_fail 1 "127\.0\.0\.1:$CLOSED" "without --server, cli.ini's (dead) server is used and named"

# --- malformed -c FILE: exit 2 with FILE:LINE, before any network use ---
ah_use_config bad
cat >"$AH_T/bad.ini" <<EOF
# a comment
agree-tos = true
this line has no equals sign
server = https://127.0.0.1:$CLOSED/dir
EOF
ah_run certonly --webroot -w "$AH_WEBROOT" -d bad.example.test -n -c "$AH_T/bad.ini"
ah_expect_fail 2 "$AH_T/bad\.ini:3" "malformed line: exit 2 naming $AH_T/bad.ini:3"

# --- malformed CONFIG/cli.ini is reported the same way ---
mkdir -p "$AH_CONFIG"
printf 'email = x@example.test\n= no key\n' >"$AH_CONFIG/cli.ini"
ah_run certonly --webroot -w "$AH_WEBROOT" -d bad2.example.test -n --server "$AH_DIR_URL"
ah_expect_fail 2 "cli\.ini:2" "malformed CONFIG/cli.ini: exit 2 naming cli.ini:2"
rm -f "$AH_CONFIG/cli.ini"

# --- -c with a file that does not exist ---
ah_run certonly --webroot -w "$AH_WEBROOT" -d bad3.example.test -n -c "$AH_T/missing.ini"
ah_expect_fail 2 "$AH_T/missing\.ini" "-c with a missing file: exit 2 naming it"
check "no lineage from any failed run" test ! -e "$AH_CONFIG/live/bad.example.test" -a \
  ! -e "$AH_CONFIG/live/bad2.example.test" -a ! -e "$AH_CONFIG/live/bad3.example.test"

ah_finish
