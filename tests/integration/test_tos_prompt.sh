#!/usr/bin/env bash
# Without -n and --agree-tos, and with a terminal, acmehook asks for the CA's
# terms of service as certbot does; "no" registers nothing. Without a
# terminal it never waits for an answer: exit 2 naming --agree-tos.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all

# on_tty ANSWER ARGS...: run acmehook on a pseudo-terminal (script(1)),
# typing ANSWER; sets TTY_RC and TTY_OUT.
on_tty() {
  local answer=$1
  shift
  local cmd
  cmd=$(printf '%q ' "$AH_BIN" "$@" --config-dir "$AH_CONFIG" --work-dir "$AH_WORK" \
    --logs-dir "$AH_LOGDIR" --ca-bundle "$AH_CA_BUNDLE")
  TTY_OUT="$AH_T/tty.$RANDOM.out"
  TTY_RC=0
  printf '%s\n' "$answer" | timeout 120 script -qec "$cmd" /dev/null >"$TTY_OUT" 2>&1 || TTY_RC=$?
}
accounts() { find "$AH_CONFIG/accounts" -name regr.json 2>/dev/null | wc -l; }

on_tty n certonly --webroot -w "$AH_WEBROOT" -d no.tos.example.test --server "$AH_DIR_URL"
check "the terms were asked for on the terminal" grep -q "Do you agree" "$TTY_OUT"
check "answering no: exit 2 (got $TTY_RC)" test "$TTY_RC" -eq 2
check "answering no: no account registered" test "$(accounts)" -eq 0
check "answering no: nothing stored" test ! -e "$AH_CONFIG/live/no.tos.example.test"

ah_run certonly --webroot -w "$AH_WEBROOT" -d notty.tos.example.test --server "$AH_DIR_URL"
ah_expect_fail 2 'agree-tos' "no terminal, no -n: never prompts, exit 2 naming --agree-tos"
check "no prompt without a terminal" bash -c "! grep -q 'Do you agree' '$AH_ERR'"

on_tty y certonly --webroot -w "$AH_WEBROOT" -d yes.tos.example.test --server "$AH_DIR_URL"
check "answering yes: exit 0 (got $TTY_RC)" test "$TTY_RC" -eq 0
check "answering yes: one account registered" test "$(accounts)" -eq 1
ah_verify_cert yes.tos.example.test
ah_finish
