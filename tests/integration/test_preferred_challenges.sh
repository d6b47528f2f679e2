#!/usr/bin/env bash
# certbot's --preferred-challenges and --webroot-map. Preferences are
# checked against each name's authenticator before any order: a list none
# of them can answer is refused; a mixed webroot + RFC 2136 order takes,
# for each name, the first preferred type its authenticator has; the list
# is kept for renewals; with --manual, which has both, the list's order
# decides. --webroot-map names get -d and their
# own webroot; a malformed map is a usage error naming the flag.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=lib_dns.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_dns.sh"
ah_setup
ah_require_bin
ah_start_example_zone
ah_start_nginx "$AH_T/webroot"
ah_start_pebble

CREDS="$AH_T/example.ini"
ah_credentials "$CREDS" key-example 127.0.0.1
COMMON=(-n --agree-tos -m pc@example.test --server "$AH_DIR_URL" "${AH_DNS_FLAGS[@]}")
WEB=(--webroot -w "$AH_WEBROOT")
DNS=(--dns-rfc2136 --dns-rfc2136-credentials "$CREDS")

# --- refused before any order ---
orders=$(ah_pebble_orders)
ah_run certonly "${WEB[@]}" -d bogus.example.test --preferred-challenges foo-01 "${COMMON[@]}"
ah_dns_expect_fail 2 'preferred-challenges.*foo-01' "an unknown challenge type is a usage error naming it"
ah_run certonly "${WEB[@]}" -d web1.example.test --preferred-challenges dns-01 "${COMMON[@]}"
ah_dns_expect_fail 2 'dns-01.*webroot.*web1\.example\.test' \
  "dns-01 only, for a webroot name: refused, naming the list, the plugin and the name"
ah_run certonly "${DNS[@]}" -d '*.wild.example.test' --preferred-challenges http "${COMMON[@]}"
ah_dns_expect_fail 2 'wildcard needs dns-01' "http-01 only, for a wildcard: refused"
ah_run certonly "${WEB[@]}" -d alpn.example.test --preferred-challenges tls-alpn-01 "${COMMON[@]}"
ah_dns_expect_fail 2 'tls-alpn-01' "a type no plugin answers: refused"
check "Pebble saw no order for any of the refusals" test "$(ah_pebble_orders)" = "$orders"

# --- a mixed order: each name takes the first type its plugin has ---
ah_run certonly --preferred-challenges dns-01,http-01 "${WEB[@]}" -d web.example.test \
  "${DNS[@]}" -d dns.example.test --cert-name mixed "${COMMON[@]}"
ah_expect_ok "dns-01,http-01 over webroot + rfc2136"
ah_verify_cert mixed web.example.test dns.example.test
check "dns.example.test was validated by dns-01 (a TXT in BIND)" \
  test "$(ah_bind_added example.test _acme-challenge.dns.example.test)" -ge 1
check "web.example.test was not (no TXT for it)" \
  test "$(ah_bind_added example.test _acme-challenge.web.example.test)" = 0
check "the preference is kept in the renewal file" \
  grep -qx 'preferred_challenges = dns-01,http-01' "$AH_CONFIG/renewal/mixed.conf"
ah_run renew --force-renewal --cert-name mixed "${AH_DNS_FLAGS[@]}"
ah_expect_ok "the lineage renews with its recorded preference"
ah_verify_cert mixed web.example.test dns.example.test
ah_run certonly --preferred-challenges 'http, dns' "${WEB[@]}" -d web2.example.test \
  "${DNS[@]}" -d dns2.example.test --cert-name mixed2 "${COMMON[@]}"
ah_expect_ok "the short names http and dns, blank separated"
ah_verify_cert mixed2 web2.example.test dns2.example.test
ah_check_no_acme_txt "no _acme-challenge TXT left"

# --- one authenticator with both types (--manual): the order of the list
# decides. The hook publishes either kind and says which it got. ---
HOOKLOG="$AH_T/hook.log"
TSIG="$(ah_tsig_alg key-example):key-example:$(ah_tsig_secret key-example)"
cat >"$AH_T/auth.sh" <<HOOK
#!/bin/sh
if [ -n "\$CERTBOT_TOKEN" ]; then
  echo "http-01 \$CERTBOT_DOMAIN" >>'$HOOKLOG'
  mkdir -p '$AH_WEBROOT/.well-known/acme-challenge'
  printf '%s' "\$CERTBOT_VALIDATION" >'$AH_WEBROOT/.well-known/acme-challenge/'"\$CERTBOT_TOKEN"
else
  echo "dns-01 \$CERTBOT_DOMAIN" >>'$HOOKLOG'
  printf 'server 127.0.0.1 %s\nupdate add _acme-challenge.%s 60 TXT "%s"\nsend\n' \
    '$AH_NS_PORT' "\$CERTBOT_DOMAIN" "\$CERTBOT_VALIDATION" | nsupdate -y '$TSIG'
fi
HOOK
cat >"$AH_T/cleanup.sh" <<HOOK
#!/bin/sh
if [ -n "\$CERTBOT_TOKEN" ]; then
  rm -f '$AH_WEBROOT/.well-known/acme-challenge/'"\$CERTBOT_TOKEN"
else
  printf 'server 127.0.0.1 %s\nupdate delete _acme-challenge.%s TXT\nsend\n' \
    '$AH_NS_PORT' "\$CERTBOT_DOMAIN" | nsupdate -y '$TSIG'
fi
HOOK
chmod 700 "$AH_T/auth.sh" "$AH_T/cleanup.sh"
MANUAL=(--manual --manual-auth-hook "$AH_T/auth.sh" --manual-cleanup-hook "$AH_T/cleanup.sh")
: >"$HOOKLOG"
ah_run certonly "${MANUAL[@]}" -d man1.example.test --preferred-challenges http-01,dns-01 "${COMMON[@]}"
ah_expect_ok "--manual with http-01,dns-01"
ah_verify_cert man1.example.test
check "http-01 was used, the first preference" grep -qx "http-01 man1.example.test" "$HOOKLOG"
ah_run certonly "${MANUAL[@]}" -d man2.example.test --preferred-challenges dns,http "${COMMON[@]}"
ah_expect_ok "--manual with dns,http"
ah_verify_cert man2.example.test
check "dns-01 was used, the first preference" grep -qx "dns-01 man2.example.test" "$HOOKLOG"
check "and not http-01" bash -c "! grep -q 'http-01 man2' '$HOOKLOG'"
ah_check_no_acme_txt "no _acme-challenge TXT left after the manual hooks"

# --- --webroot-map ---
mkdir -p "$AH_T/other-root"
ah_run certonly --webroot-map \
  "{\"m1.example.test,m2.example.test\": \"$AH_WEBROOT\", \"m3.example.test\": \"$AH_WEBROOT/.\"}" \
  --cert-name mapped "${COMMON[@]}"
ah_expect_ok "certonly --webroot-map (no -d: the map's names are the names)"
ah_verify_cert mapped m1.example.test m2.example.test m3.example.test
conf="$AH_CONFIG/renewal/mapped.conf"
check "m1 routed to its webroot" grep -qx "m1.example.test = webroot; webroot-path=$AH_WEBROOT" "$conf"
check "m3 routed to its own webroot" grep -qx "m3.example.test = webroot; webroot-path=$AH_WEBROOT/." "$conf"
ah_run certonly --webroot-map "{\"m5.example.test\": \"$AH_T/other-root\"}" -v "${COMMON[@]}"
ah_expect_fail nz 'm5.example.test' "a map webroot nginx does not serve fails validation for that name"
check "the token was written under the mapped webroot" \
  grep -qF "wrote $AH_T/other-root/.well-known/acme-challenge/" "$AH_ERR"
ah_run certonly --webroot-map 'not json' "${COMMON[@]}"
ah_expect_fail 2 'webroot-map.*not a JSON object' "a map that is not JSON is a usage error"
ah_run certonly --webroot-map '{"bad name!": "/x"}' "${COMMON[@]}"
ah_expect_fail 2 'bad name!' "a bad name in the map is named"
ah_run certonly --webroot-map '{"m6.example.test": 7}' "${COMMON[@]}"
ah_expect_fail 2 'm6.example.test.*not a path' "a webroot that is not a string is named"
ah_finish
