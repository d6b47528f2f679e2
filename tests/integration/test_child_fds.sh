#!/usr/bin/env bash
# Programs started for deploys inherit no descriptor of acmehook beyond
# stdin, stdout and stderr: neither a --deploy-hook nor a program a Lua
# deploy step runs with acme.run sees the connection to the CA (a socket)
# or a file under the config dir (locks, records). Each lists its own
# descriptors with `ls -l /proc/self/fd`, at issuance and at renewal.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all --eab

NAME=fds.example.test
HOOK_LIST="$AH_T/hook-fds.txt"
LUA_LIST="$AH_T/lua-fds.txt"
SCRIPT="$AH_T/list-fds.lua"
cat >"$SCRIPT" <<LUA
function deploy(cert)
  local r = acme.run{argv = {"ls", "-l", "/proc/self/fd"}}
  if r.status ~= 0 then error("ls failed: " .. r.stderr) end
  acme.write_file("$LUA_LIST", r.stdout)
end
LUA
chmod 644 "$SCRIPT"

# only_std LIST: every descriptor in the `ls -l /proc/self/fd` output LIST
# is 0, 1 or 2, or the directory ls reads; prints the others.
only_std() {
  local extra
  extra=$(sed -n 's/.* \([0-9][0-9]*\) -> \(.*\)$/\1 \2/p' "$1" |
    awk '$1 > 2 && $2 !~ /^\/proc\/[0-9]+\/fd$/')
  [ -z "$extra" ] || { printf 'inherited: %s\n' "$extra" >&2; return 1; }
}
# lacks LIST TEXT: LIST does not contain TEXT.
lacks() { ! grep -qF -- "$2" "$1"; }
# lists_std LIST: LIST has the standard descriptors at all (ls ran).
lists_std() { grep -Eq ' 2 -> ' "$1"; }

for round in issuance renewal; do
  rm -f "$HOOK_LIST" "$LUA_LIST"
  force=()
  [ "$round" = renewal ] && force=(--force-renewal)
  ah_run certonly --webroot -w "$AH_WEBROOT" -d "$NAME" -n --agree-tos -m test@example.test \
    --server "$AH_DIR_URL" --eab-kid "$AH_EAB_KID" --eab-hmac-key "$AH_EAB_KEY" \
    --deploy-hook "ls -l /proc/self/fd >$HOOK_LIST" --deploy-script "$SCRIPT" \
    "${force[@]}"
  ah_expect_ok "$round with a --deploy-hook and a Lua deploy step"
  ah_verify_cert "$NAME"
  for who in hook lua; do
    if [ $who = hook ]; then list=$HOOK_LIST; else list=$LUA_LIST; fi
    check "$round: the $who's program listed its descriptors" lists_std "$list"
    check "$round: the $who's program has only 0, 1 and 2" only_std "$list"
    check "$round: the $who's program has no socket" lacks "$list" 'socket:'
    check "$round: the $who's program has no file of the config dir" \
      lacks "$list" "-> $AH_CONFIG"
  done
done
ah_finish
