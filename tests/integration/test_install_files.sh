#!/usr/bin/env bash
# What `cmake --install` ships beside the binary: the systemd timer and
# service that run `acmehook renew`, acmehook(1) and the bash completion.
# The units must pass systemd's own checks against the installed binary,
# the page must render without a troff warning, and the page and the
# completion must know every flag and command `acmehook --help` shows
# (both are written from the option table; this catches a flag or command
# that reaches one and not the others).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

: "${AH_BUILD_DIR:=$AH_REPO_DIR/build}"
for tool in cmake systemd-analyze man groff; do
  command -v "$tool" >/dev/null 2>&1 || { echo "missing tool: $tool (run tests/deps.sh)"; exit 1; }
done
ah_setup

P="$AH_T/prefix"
cmake --install "$AH_BUILD_DIR" --prefix "$P" >"$AH_T/install.log" 2>&1 ||
  { cat "$AH_T/install.log"; ah_die "cmake --install failed"; }
pass "cmake --install into a fresh prefix"

UNITS="$P/lib/systemd/system"
SERVICE="$UNITS/acmehook-renew.service"
TIMER="$UNITS/acmehook-renew.timer"
PAGE="$P/share/man/man1/acmehook.1"
COMPL="$P/share/bash-completion/completions/acmehook"
BIN="$P/bin/acmehook"
for f in "$SERVICE" "$TIMER" "$PAGE" "$COMPL" "$BIN"; do
  [ -f "$f" ] || ah_die "not installed: ${f#"$P"/}"
done
pass "units, man page and completion installed"

# ----------------------------------------------------------------- units

check "the service runs the installed binary: renew, quietly" \
  grep -qxF "ExecStart=$BIN renew -q" "$SERVICE"
check "the service is a oneshot" grep -qx 'Type=oneshot' "$SERVICE"
for want in 'ProtectSystem=strict' 'PrivateTmp=true' 'NoNewPrivileges=true' \
  'ReadWritePaths=/etc/acmehook /var/lib/acmehook /var/log/acmehook'; do
  check "service: $want" grep -qxF "$want" "$SERVICE"
done
check "service: ProtectHome is on" grep -qE '^ProtectHome=(read-only|true|yes)$' "$SERVICE"
# A deploy hook may restart a server that runs a JIT.
check "service: no MemoryDenyWriteExecute" bash -c "! grep -q '^MemoryDenyWriteExecute' '$SERVICE'"
check "timer: twice a day" grep -qx 'OnCalendar=\*-\*-\* 00,12:00:00' "$TIMER"
check "timer: spread over 12 hours" grep -qx 'RandomizedDelaySec=43200' "$TIMER"
check "timer: catches up after downtime" grep -qx 'Persistent=true' "$TIMER"

# verify loads the units from their paths (the timer finds its service
# beside it), checks that ExecStart's binary is executable, and prints a
# line for every directive it cannot parse while still exiting 0: so any
# output at all is a failure. The ReadWritePaths directories need not
# exist for verify (systemd creates them through StateDirectory= and
# friends when the service starts). MANPATH lets --man=yes check that
# Documentation=man:acmehook(1) opens the installed page.
(cd "$UNITS" && MANPATH="$P/share/man" systemd-analyze verify --man=yes \
  ./acmehook-renew.service ./acmehook-renew.timer) >"$AH_T/verify.out" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && [ ! -s "$AH_T/verify.out" ]; then
  pass "systemd-analyze verify: both units, silently"
else
  sed 's/^/  verify| /' "$AH_T/verify.out"
  fail "systemd-analyze verify (exit $rc)"
fi

# ------------------------------------------------------------- man page

MAN_KEEP_STDERR=1 MANWIDTH=80 man --warnings=all -l "$PAGE" >"$AH_T/man.txt" 2>"$AH_T/man.err"
rc=$?
if [ "$rc" -eq 0 ] && [ ! -s "$AH_T/man.err" ]; then
  pass "man -l renders without warnings"
else
  sed 's/^/  man| /' "$AH_T/man.err"
  fail "man -l (exit $rc)"
fi
groff -man -ww -z "$PAGE" >"$AH_T/groff.err" 2>&1
check "groff -ww: no warnings" test ! -s "$AH_T/groff.err"
for sec in NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS FILES 'EXIT STATUS' ENVIRONMENT 'SEE ALSO'; do
  check "man: section $sec" grep -qx "$sec" "$AH_T/man.txt"
done
for opt in --webroot --lock-timeout --timeout '-w, --webroot-path DIR'; do
  check "man: option $opt rendered" grep -qE "^ +(-[a-z], )?${opt}( |\$)" "$AH_T/man.txt"
done
for word in ACMEHOOK_CA_BUNDLE ACMEHOOK_PLUGIN_PATH /etc/acmehook /var/lib/acmehook \
  /var/log/acmehook live/NAME/ archive/NAME/ renewal/NAME.conf accounts/ status/NAME.json; do
  check "man: mentions $word" grep -qF -- "$word" "$AH_T/man.txt"
done
# No roff request can hide in the text: every line starting with '.' or
# '\'' is one of the macros the page uses.
check "man: only known requests" bash -c "! grep -nE \"^[.']\" '$PAGE' |
  grep -vE \"^[0-9]+:\\.(TH|SH|SS|TP|PP|B|I|BR|IR|RI)( |\$)\""

# ------------------------------------------------ --help against page and completion

"$BIN" --help >"$AH_T/help.txt" 2>&1 || ah_die "acmehook --help failed"
mapfile -t longs < <(grep -oE -- '--[a-z0-9][a-z0-9-]*' "$AH_T/help.txt" | sort -u)
[ "${#longs[@]}" -gt 40 ] || ah_die "only ${#longs[@]} long options in --help"
mapfile -t cmds < <(sed -n '/^commands:/,/^$/p' "$AH_T/help.txt" |
  grep -oE '^  [a-z_]+' | tr -d ' ')
[ "${#cmds[@]}" -ge 6 ] || ah_die "only ${#cmds[@]} commands in --help"

missing_man=() missing_compl=()
compl_flags=$(grep -oE -- "compgen -W '--[^']*'" "$COMPL" | head -n 1)
for o in "${longs[@]}"; do
  # In the source a flag is "\-\-name" followed by a font change, so a
  # prefix (--timeout in --lock-timeout) does not count.
  roff=$(printf '%s' "$o" | sed 's/-/\\-/g')
  grep -qF -- "\\fB$roff\\fR" "$PAGE" || missing_man+=("$o")
  [[ " ${compl_flags#compgen -W \'} " == *" $o "* || " $compl_flags' " == *" $o' "* ]] ||
    missing_compl+=("$o")
done
check "man: all ${#longs[@]} long options of --help (missing: ${missing_man[*]:-none})" \
  test "${#missing_man[@]}" -eq 0
check "completion: all long options of --help (missing: ${missing_compl[*]:-none})" \
  test "${#missing_compl[@]}" -eq 0
for c in "${cmds[@]}"; do
  check "man: command $c" grep -qx "$c" <(grep -A1 -x '\.TP' "$PAGE" | sed -n 's/^\.B //p')
  check "completion: command $c" grep -qE "compgen -W '([a-z_]+ )*$c( [a-z_]+)*' " "$COMPL"
done

# ----------------------------------------------------------- completion

out=$(bash --norc --noprofile -c 'source "$1" && complete -p acmehook' _ "$COMPL" 2>&1)
check "completion: sourcing it registers acmehook ($out)" \
  test "$out" = "complete -F _acmehook acmehook"

# complete WORDS...: what the function offers for the last word.
complete_words() {
  bash --norc --noprofile -c '
    source "$1"; shift
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _acmehook
    [ ${#COMPREPLY[@]} -eq 0 ] || printf "%s\n" "${COMPREPLY[@]}"' _ "$COMPL" "$@" | sort | tr '\n' ' '
}
check "completion: a command" test "$(complete_words acmehook re)" = "register renew revoke "
check "completion: a flag" test "$(complete_words acmehook renew --lock-t)" = "--lock-timeout "
check "completion: a flag's literal values" \
  test "$(complete_words acmehook certonly --key-type '')" = "ecdsa rsa "
check "completion: after -w a directory" \
  test "$(cd "$P" && complete_words acmehook certonly -w sha)" = "share "
check "completion: no command after the command" \
  test "$(complete_words acmehook renew '')" = ""

ah_finish
