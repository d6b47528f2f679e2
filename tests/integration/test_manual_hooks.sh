#!/usr/bin/env bash
# The manual plugin with certbot-style hook scripts: a dns-01 pair calling
# nsupdate against BIND for an apex and its wildcard (issued, records gone,
# renewed from the renewal file), an http-01 pair writing into nginx's
# webroot, and an auth hook that fails for one name (exit 1, one line with
# the hook's stderr, every challenge cleaned up). The hooks log the
# CERTBOT_* variables they were given; the values must be exactly what the
# CA validated.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=lib_dns.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_dns.sh"
ah_setup
ah_require_bin
ah_start_example_zone
ah_start_nginx "$AH_T/webroot"
# No reused authorizations: every run must call the hooks for every name.
ah_start_pebble PEBBLE_AUTHZREUSE=0
COMMON=(-n --agree-tos -m manual@example.test --server "$AH_DIR_URL" "${AH_DNS_FLAGS[@]}")

H="$AH_T/hooks"
LOG="$AH_T/hooks.log"
mkdir -p "$H"
# Each hook logs one line: which hook, then the variables in a fixed order
# ("-" when unset).
cat >"$H/log.sh" <<EOF
log() {
  printf '%s domain=%s validation=%s token=%s remaining=%s all=%s output=%s\n' "\$1" \
    "\${CERTBOT_DOMAIN--}" "\${CERTBOT_VALIDATION--}" "\${CERTBOT_TOKEN--}" \
    "\${CERTBOT_REMAINING_CHALLENGES--}" "\${CERTBOT_ALL_DOMAINS--}" \
    "\${CERTBOT_AUTH_OUTPUT--}" >>"$LOG"
}
EOF
cat >"$H/dns-auth.sh" <<EOF
#!/bin/sh
set -eu
. "$H/log.sh"
log auth
printf 'server 127.0.0.1 %s\nzone example.test\nupdate add _acme-challenge.%s. 60 TXT "%s"\nsend\n' \
  "$AH_NS_PORT" "\$CERTBOT_DOMAIN" "\$CERTBOT_VALIDATION" | nsupdate -t 5 -k "$AH_DNS_DIR/keys/key-example.key"
echo "added \$CERTBOT_VALIDATION"
EOF
cat >"$H/dns-cleanup.sh" <<EOF
#!/bin/sh
set -eu
. "$H/log.sh"
log cleanup
printf 'server 127.0.0.1 %s\nzone example.test\nupdate delete _acme-challenge.%s. TXT "%s"\nsend\n' \
  "$AH_NS_PORT" "\$CERTBOT_DOMAIN" "\$CERTBOT_VALIDATION" | nsupdate -t 5 -k "$AH_DNS_DIR/keys/key-example.key"
EOF
cat >"$H/http-auth.sh" <<EOF
#!/bin/sh
set -eu
. "$H/log.sh"
log auth
if [ "\$CERTBOT_DOMAIN" = bad.example.test ]; then
  echo "first line of noise" >&2
  echo "cannot reach the web server's API" >&2
  exit 3
fi
ls -l /proc/self/fd >"$AH_T/fds-\$CERTBOT_DOMAIN.txt"
mkdir -p "$AH_WEBROOT/.well-known/acme-challenge"
printf '%s' "\$CERTBOT_VALIDATION" >"$AH_WEBROOT/.well-known/acme-challenge/\$CERTBOT_TOKEN"
echo "wrote \$CERTBOT_TOKEN"
EOF
cat >"$H/http-cleanup.sh" <<EOF
#!/bin/sh
set -eu
. "$H/log.sh"
log cleanup
rm -f "$AH_WEBROOT/.well-known/acme-challenge/\$CERTBOT_TOKEN"
EOF
chmod 755 "$H"/*.sh

# field NAME: the NAME=value fields of the log's lines, one a line.
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" "$LOG"; }
# lines KIND: the log's lines of one hook.
lines() { grep -c "^$1 " "$LOG" || true; }

# --- dns-01 for an apex and its wildcard ---
: >"$LOG"
ah_run certonly --manual --preferred-challenges dns-01 --manual-auth-hook "$H/dns-auth.sh" \
  --manual-cleanup-hook "$H/dns-cleanup.sh" -d example.test -d '*.example.test' "${COMMON[@]}"
ah_expect_ok "certonly --manual with nsupdate hooks, dns-01, apex and wildcard"
ah_verify_cert example.test example.test '*.example.test'
ah_check_no_acme_txt "the cleanup hook removed every TXT record"
check "two auth hooks and two cleanup hooks ran" \
  test "$(lines auth) $(lines cleanup)" = "2 2"
check "CERTBOT_DOMAIN is the name without \"*.\" for both" \
  test "$(field domain | sort -u)" = example.test
check "CERTBOT_ALL_DOMAINS lists both challenges" \
  test "$(field all | sort -u)" = example.test,example.test
check "CERTBOT_REMAINING_CHALLENGES counts down 1, 0 in the auth hooks" \
  test "$(grep '^auth ' "$LOG" | sed -n 's/.* remaining=\([0-9]*\) .*/\1/p' | tr '\n' ' ')" = "1 0 "
check "CERTBOT_TOKEN is not set for dns-01" test "$(field token | sort -u)" = -
added=$(ah_txt_changed example.test _acme-challenge.example.test add)
check "the values BIND received are the CERTBOT_VALIDATION values" \
  test "$(grep '^auth ' "$LOG" | sed -n 's/.* validation=\([^ ]*\) .*/\1/p' | sort)" = "$added"
check "each cleanup got its auth hook's output as CERTBOT_AUTH_OUTPUT" \
  test "$(grep '^cleanup ' "$LOG" | sed -n 's/.* validation=\([^ ]*\) .*output=added \(.*\)$/\1 \2/p' |
    awk '$1 == $2' | wc -l)" = 2
CONF="$AH_CONFIG/renewal/example.test.conf"
check "the renewal file keeps the hooks under certbot's names" \
  grep -qxF "example.test = manual; manual_auth_hook=$H/dns-auth.sh; manual_cleanup_hook=$H/dns-cleanup.sh" "$CONF"
check "the renewal file keeps the preferred challenge" grep -qx 'preferred_challenges = dns-01' "$CONF"

: >"$LOG"
# --revalidate: both challenges are presented even when the CA still
# holds an authorization valid.
ah_run renew --force-renewal --revalidate "${AH_DNS_FLAGS[@]}"
ah_expect_ok "renew --force-renewal runs the stored hooks"
ah_verify_cert example.test example.test '*.example.test'
check "renewal ran both hooks for both challenges over dns-01" \
  test "$(lines auth) $(lines cleanup) $(field token | sort -u)" = "2 2 -"
ah_check_no_acme_txt "no TXT record left after the renewal"

# --- http-01 files in nginx's webroot (the default challenge) ---
: >"$LOG"
ah_run certonly --manual --manual-auth-hook "$H/http-auth.sh" \
  --manual-cleanup-hook "$H/http-cleanup.sh" -d h1.example.test -d h2.example.test "${COMMON[@]}"
ah_expect_ok "certonly --manual with hooks writing http-01 files"
ah_verify_cert h1.example.test h1.example.test h2.example.test
check "the cleanup hook removed the token files" ah_no_tokens
check "two auth hooks and two cleanup hooks ran" test "$(lines auth) $(lines cleanup)" = "2 2"
check "CERTBOT_ALL_DOMAINS lists both names" \
  test "$(field all | sort -u)" = h1.example.test,h2.example.test
tokens_ok() {
  local v t
  while read -r v t; do
    case $v in "$t".*) ;; *) return 1 ;; esac
  done < <(grep '^auth ' "$LOG" | sed -n 's/.* validation=\([^ ]*\) token=\([^ ]*\) .*/\1 \2/p')
  [ "$(grep -c '^auth ' "$LOG")" = 2 ]
}
check "CERTBOT_VALIDATION is CERTBOT_TOKEN.thumbprint for http-01" tokens_ok
check "each cleanup got CERTBOT_AUTH_OUTPUT \"wrote TOKEN\"" \
  test "$(grep '^cleanup ' "$LOG" | sed -n 's/.* token=\([^ ]*\) .*output=wrote \(.*\)$/\1 \2/p' |
    awk '$1 == $2' | wc -l)" = 2

# only_std LIST: the `ls -l /proc/self/fd` output LIST shows descriptors 0,
# 1 and 2 (and the directory ls reads) only: no CA connection, no lock or
# record of the config dir, no credentials file.
only_std() {
  local extra
  grep -Eq ' 2 -> ' "$1" || return 1
  extra=$(sed -n 's/.* \([0-9][0-9]*\) -> \(.*\)$/\1 \2/p' "$1" |
    awk '$1 > 2 && $2 !~ /^\/proc\/[0-9]+\/fd$/')
  [ -z "$extra" ] || { printf 'inherited: %s\n' "$extra" >&2; return 1; }
}
check "the auth hook inherited no descriptor beyond 0, 1 and 2" only_std "$AH_T/fds-h1.example.test.txt"
check "the hook's stdin is /dev/null" grep -q ' 0 -> /dev/null' "$AH_T/fds-h2.example.test.txt"

# --- an auth hook that fails for one name ---
: >"$LOG"
ah_run certonly --manual --manual-auth-hook "$H/http-auth.sh" \
  --manual-cleanup-hook "$H/http-cleanup.sh" -d good.example.test -d bad.example.test \
  "${COMMON[@]}"
ah_expect_fail 1 "auth hook for bad\.example\.test failed with exit status 3: first line of noise; cannot reach the web server's API" \
  "a failing auth hook fails the run with exit 1 and the end of its stderr"
check "the error is one line" test "$(grep -c error "$AH_ERR")" -eq 1
check "the failed name and the one presented before it were both cleaned up" \
  test "$(grep '^cleanup ' "$LOG" | sed -n 's/^cleanup domain=\([^ ]*\) .*/\1/p' | sort | tr '\n' ' ')" = \
  "bad.example.test good.example.test "
check "no token file is left" ah_no_tokens
check "nothing stored for good.example.test" test ! -e "$AH_CONFIG/live/good.example.test"

# --- a missing auth hook is a usage error before any order ---
orders=$(ah_pebble_orders)
ah_run certonly --manual -d nohook.example.test "${COMMON[@]}"
ah_expect_fail 2 "no auth hook: give --manual-auth-hook" "--manual without an auth hook is exit 2"
check "no order was placed without an auth hook" test "$(ah_pebble_orders)" = "$orders"
ah_finish
