#!/usr/bin/env bash
# Runs sharing a webroot: each removes the .well-known directories it made
# once they are empty, which may fall between another run opening one and
# writing its challenge file there. The webroot plugin then opens them
# again. strace makes it happen on cue: the first mkdirat in .well-known
# (making acme-challenge) fails with ENOENT, or the first openat in
# acme-challenge (the temporary file of the token). Both runs succeed and
# leave no temporary file; a directory that vanishes every time ends the
# run with a one-line error naming the file.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_require_tool strace
ah_start_all PEBBLE_AUTHZREUSE=0

WK="$AH_WEBROOT/.well-known"
CH="$WK/acme-challenge"
# vanishing CALL DIR WHEN NAME: certonly NAME under strace, which makes
# CALL fail with ENOENT when it acts in DIR, at the WHEN-th such call
# (strace's "when" syntax). Sets INJECTED to the number of calls it failed.
vanishing() {
  local st="$AH_T/strace-$4.out"
  AH_WRAP=(strace -f -qq -o "$st" -P "$2" -e trace="$1" -e inject="$1":error=ENOENT:when="$3")
  ah_run certonly --webroot -w "$AH_WEBROOT" -d "$4" -n --agree-tos -m test@example.test \
    --server "$AH_DIR_URL"
  AH_WRAP=()
  INJECTED=$(grep -c -F '(INJECTED)' "$st" || true)
}

# --- acme-challenge removed before it could be made in .well-known ---
mkdir -p "$WK"
rm -rf "$CH"
vanishing mkdirat "$WK" 1 mk.vanish.example.test
ah_expect_ok "certonly when .well-known vanished under mkdirat"
check "strace failed the mkdirat once ($INJECTED)" test "$INJECTED" -eq 1
ah_verify_cert mk.vanish.example.test
check "no token or temporary file left" test -z "$(find "$WK" -type f 2>/dev/null)"

# --- acme-challenge removed before the token's temporary file was made ---
mkdir -p "$CH"
vanishing openat "$CH" 1 tmp.vanish.example.test
ah_expect_ok "certonly when acme-challenge vanished under the temporary file"
check "strace failed the openat once ($INJECTED)" test "$INJECTED" -eq 1
ah_verify_cert tmp.vanish.example.test
check "no token or temporary file left" test -z "$(find "$CH" -type f)"

# --- it vanishes every time: the run gives up, naming the file ---
vanishing openat "$CH" 1+ never.vanish.example.test
ah_expect_fail 1 "cannot create $CH/[A-Za-z0-9_-]+: its directories keep being removed by another run's cleanup" \
  "a directory that keeps vanishing fails the run with one line naming the file"
check "the plugin tried 16 times ($INJECTED)" test "$INJECTED" -eq 16
check "no live certificate for it" test ! -e "$AH_CONFIG/live/never.vanish.example.test"
check "no token or temporary file left" test -z "$(find "$CH" -type f)"
ah_finish
