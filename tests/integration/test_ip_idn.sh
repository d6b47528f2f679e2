#!/usr/bin/env bash
# Names beyond plain ASCII DNS names: IP addresses become "ip" identifiers
# (RFC 8738) validated over http-01, alone or beside DNS names; an address
# routed to dns-01 is refused before any order. Internationalized names are
# sent as their IDNA 2008 A-labels and stored under them; a name IDNA
# refuses is a usage error naming it.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all --eab

# ah_cert_ips LINEAGE: the certificate's IP address names, sorted, one a line.
ah_cert_ips() {
  openssl x509 -in "$AH_CONFIG/live/$1/cert.pem" -noout -ext subjectAltName 2>/dev/null |
    grep -o 'IP Address:[0-9A-Fa-f:.]*' | sed 's/^IP Address://' | sort
}

# ------------------------------------------------------------- addresses
ah_issue 127.0.0.1
ah_expect_ok "certonly -d 127.0.0.1 over http-01"
check "the lineage is named after the address" test -s "$AH_CONFIG/live/127.0.0.1/cert.pem"
check "the certificate names the address as an IP SAN" test "$(ah_cert_ips 127.0.0.1)" = 127.0.0.1
check "the certificate has no DNS name" \
  bash -c "! openssl x509 -in '$AH_CONFIG/live/127.0.0.1/cert.pem' -noout -ext subjectAltName | grep -q DNS:"
check "it verifies against Pebble's root" \
  ah_chain_verifies "$AH_CONFIG/live/127.0.0.1/cert.pem" "$AH_CONFIG/live/127.0.0.1/chain.pem"
check "Pebble validated an ip identifier" grep -q 'Type:"ip", Value:"127.0.0.1"' "$AH_PEBBLE_LOG"
check "no tokens left in the webroot" ah_no_tokens "$AH_WEBROOT"

MIXED=mixed.ip.example.test
ah_issue "$MIXED" 127.0.0.1
ah_expect_ok "certonly with a DNS name and an address"
ah_verify_cert "$MIXED" "$MIXED"
check "... and the address too" test "$(ah_cert_ips "$MIXED")" = 127.0.0.1

# Renewal keeps the address.
ah_run renew --force-renewal --cert-name 127.0.0.1
ah_expect_ok "renew --force-renewal of the address lineage"
check "version 2 names the address" test "$(ah_cert_ips 127.0.0.1)" = 127.0.0.1
check "version 2 exists" test -s "$AH_CONFIG/archive/127.0.0.1/cert2.pem"

# An address written in brackets, or IPv6 in another spelling, is stored in
# canonical form: no second lineage appears for the same address.
ah_issue '[127.0.0.1]'
ah_expect_ok "certonly -d [127.0.0.1] reuses the lineage"
check "no lineage named with brackets" test ! -e "$AH_CONFIG/live/[127.0.0.1]"

# dns-01 cannot validate an address: refused before the order.
cat >"$AH_T/tsig.ini" <<INI
dns_rfc2136_server = 127.0.0.1
dns_rfc2136_port = 1
dns_rfc2136_name = k
dns_rfc2136_secret = AAAA
dns_rfc2136_algorithm = HMAC-SHA256
INI
chmod 600 "$AH_T/tsig.ini"
orders_before=$(grep -c 'POST /order-plz' "$AH_PEBBLE_LOG" || true)
ah_run certonly --dns-rfc2136 --dns-rfc2136-credentials "$AH_T/tsig.ini" -d 127.0.0.2 \
  -n --agree-tos --server "$AH_DIR_URL"
ah_expect_fail 2 '127\.0\.0\.2.*IP address.*http-01' "an address routed to dns-01 is refused, naming it"
orders_after=$(grep -c 'POST /order-plz' "$AH_PEBBLE_LOG" || true)
check "no order was placed for it" test "$orders_before" = "$orders_after"
ah_run certonly --dns-rfc2136 --dns-rfc2136-credentials "$AH_T/tsig.ini" -d '*.127.0.0.3' \
  -n --agree-tos --server "$AH_DIR_URL"
ah_expect_fail 2 'wildcard cannot cover an IP address' "a wildcard over an address is refused, named"
orders_after2=$(grep -c 'POST /order-plz' "$AH_PEBBLE_LOG" || true)
check "no order was placed for the wildcard address" test "$orders_after" = "$orders_after2"
ah_run certonly --webroot -w "$AH_WEBROOT" -d '::1::2' -n --server "$AH_DIR_URL"
ah_expect_fail 2 '::1::2' "a malformed address is a usage error naming it"

# ----------------------------------------------------- internationalized
U='bücher.idn.example.test'
A='xn--bcher-kva.idn.example.test'
ah_issue "$U"
ah_expect_ok "certonly -d $U"
check "the lineage is stored under the A-label" test -s "$AH_CONFIG/live/$A/cert.pem"
ah_verify_cert "$A" "$A"
# Upper case and NFD input (u + combining diaeresis) give the same A-label.
NFD=$(printf 'BU\xcc\x88CHER.idn.example.test')
ah_run certonly --webroot -w "$AH_WEBROOT" -d "$NFD" -n --server "$AH_DIR_URL"
ah_expect_ok "certonly with the name in upper case and decomposed form"
check "... went to the same lineage" test "$(find "$AH_CONFIG/live" -maxdepth 1 -name 'xn--bcher*' | wc -l)" -eq 1
check "the renewal file stores the A-label" grep -q "$A" "$AH_CONFIG/renewal/$A.conf"

# A label that starts with a combining mark is not a valid IDNA 2008 label.
BAD=$(printf '\xcc\x81abc.idn.example.test')
ah_run certonly --webroot -w "$AH_WEBROOT" -d "$BAD" -n --server "$AH_DIR_URL"
ah_expect_fail 2 'not a valid internationalized domain name' "an invalid U-label is refused, named"
check "nothing stored for it" test "$(ls "$AH_CONFIG/live" | wc -l)" -eq 3

ah_finish
