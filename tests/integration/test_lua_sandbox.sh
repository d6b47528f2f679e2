#!/usr/bin/env bash
# The Lua sandbox in a real order: a provider whose present() never returns
# is stopped at its time limit, the order fails with that message (exit 1),
# and cleanup() still runs for the challenge that was presented.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=lib_pdns.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_pdns.sh"
ah_setup
ah_require_bin
ah_start_pdns
ah_start_pebble PEBBLE_AUTHZREUSE=0

SCRIPT="$AH_T/looper.lua"
cat >"$SCRIPT" <<'LUA'
-- present() of loop.example.test never returns; any other name is fine.
function present(ch)
  acme.log("info", "present called for " .. ch.identifier)
  if ch.identifier == "loop.example.test" then
    local n = 0
    while true do n = n + 1 end
  end
end

function cleanup(ch)
  acme.log("info", "SANDBOX-CLEANUP-MARKER " .. ch.identifier)
end
LUA
chmod 644 "$SCRIPT"

printf '[instance looper]\nplugin = dns-lua\nscript = %s\ntime-limit-seconds = 3\n' \
  "$SCRIPT" >"$AH_T/cli.ini"

DNSF=(--dns-resolver "127.0.0.1:$AH_PDNS_PORT" --dns-nameserver-port "$AH_PDNS_PORT")
start=$(date +%s)
ah_run certonly -c "$AH_T/cli.ini" -a looper -d ok.example.test -d loop.example.test \
  "${DNSF[@]}" -n --agree-tos -m admin@example.test --server "$AH_DIR_URL" -v
elapsed=$(($(date +%s) - start))
ah_expect_fail 1 'time limit of 3 s exceeded' "endless present(): exit 1 with the time-limit message"
check "the error names the script" ah_output_matches 'looper\.lua'
check "stopped near the limit (took ${elapsed}s)" test "$elapsed" -lt 60
check "cleanup ran for the challenge presented before the loop" \
  grep -rq "SANDBOX-CLEANUP-MARKER ok.example.test" "$AH_LOGDIR"
check "cleanup still ran for the challenge whose present failed" \
  grep -rq "SANDBOX-CLEANUP-MARKER loop.example.test" "$AH_LOGDIR"
check "no lineage written" test ! -e "$AH_CONFIG/live/ok.example.test"

# A group-writable script is refused before any order (exit 2).
chmod 664 "$SCRIPT"
ah_run certonly -c "$AH_T/cli.ini" -a looper -d ok.example.test \
  "${DNSF[@]}" -n --agree-tos -m admin@example.test --server "$AH_DIR_URL"
ah_expect_fail 2 'writable' "a group-writable script is refused (exit 2)"
chmod 644 "$SCRIPT"

# Escapes fail with a clear message, through script test.
ESC="$AH_T/escape.lua"
MARK="$AH_T/escaped"
printf 'function present(ch) os.execute("touch %s") end\nfunction cleanup(ch) end\n' \
  "$MARK" >"$ESC"
chmod 644 "$ESC"
ah_run script test "$ESC" --domain example.test "${DNSF[@]}"
ah_expect_fail 1 'os\.execute is not available' "os.execute fails with a clear message"
check "nothing escaped the sandbox" test ! -e "$MARK"

ah_finish
