#!/usr/bin/env bash
# -d values the CA must never see: a name with a blank inside (once split
# into two names), an empty name between commas, a malformed address, in
# -d or in cli.ini's domains: each exits 2 naming the value, before any
# account or order; "a, b" stays two names, as in certbot. (Well-formed
# addresses are RFC 8738 identifiers: test_ip_idn.sh.)
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all --eab
ah_start_faultproxy --seed 1

# refused VALUE REGEX: certonly -d VALUE exits 2 with REGEX in its output,
# and nothing reached the CA.
refused() {
  ah_run certonly --webroot -w "$AH_WEBROOT" -d "$1" -n --agree-tos -m test@example.test \
    --server "$AH_DIR_URL" --eab-kid "$AH_EAB_KID" --eab-hmac-key "$AH_EAB_KEY"
  ah_expect_fail 2 "$2" "-d '$1': exit 2 naming the value"
  check "-d '$1': no request reached the CA" test "$(ah_proxy_count forwarded)" -eq 0
  check "-d '$1': nothing stored" test ! -e "$AH_CONFIG/live"
}
refused 'a b.example.test' '"a b\.example\.test"'
refused 'x.example.test,,y.example.test' 'x\.example\.test,,y\.example\.test'
refused '2001:db8::1::2' '"2001:db8::1::2"'
refused 'ok.example.test, [198.51.100.7' '"\[198\.51\.100\.7"'

# The same rules for cli.ini.
mkdir -p "$AH_CONFIG"
printf 'domains = ini one.example.test\n' >"$AH_CONFIG/cli.ini"
ah_run certonly --webroot -w "$AH_WEBROOT" -n --agree-tos -m test@example.test \
  --server "$AH_DIR_URL" --eab-kid "$AH_EAB_KID" --eab-hmac-key "$AH_EAB_KEY"
ah_expect_fail 2 '"ini one\.example\.test"' "cli.ini domains with a blank: exit 2 naming it"
check "cli.ini: no request reached the CA" test "$(ah_proxy_count forwarded)" -eq 0
rm "$AH_CONFIG/cli.ini"

# Comma-separated names with blanks around the commas are two names.
ah_run certonly --webroot -w "$AH_WEBROOT" -d "two.example.test, www.two.example.test" -n \
  --agree-tos -m test@example.test --server "$AH_DIR_URL" --eab-kid "$AH_EAB_KID" \
  --eab-hmac-key "$AH_EAB_KEY"
ah_expect_ok "-d 'two.example.test, www.two.example.test'"
ah_verify_cert two.example.test two.example.test www.two.example.test
ah_finish
