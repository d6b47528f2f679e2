#!/usr/bin/env bash
# Alternate chains: Pebble with two roots offers a second chain through
# Link: rel="alternate"; --preferred-chain picks it by its top issuer's CN,
# and an unknown CN falls back to the CA's default chain.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all PEBBLE_ALTERNATE_ROOTS=1

curl -sf --cacert "$AH_CA_BUNDLE" "$AH_MGMT/roots/0" -o "$AH_T/root0.pem"
curl -sf --cacert "$AH_CA_BUNDLE" "$AH_MGMT/roots/1" -o "$AH_T/root1.pem"
cn_of() { openssl x509 -noout -subject -nameopt multiline -in "$1" | sed -n 's/^ *commonName *= *//p'; }
ROOT0=$(cn_of "$AH_T/root0.pem")
ROOT1=$(cn_of "$AH_T/root1.pem")
check "Pebble has two distinct roots ($ROOT0 / $ROOT1)" test -n "$ROOT0" -a -n "$ROOT1" -a "$ROOT0" != "$ROOT1"

# The issuer CN of the top certificate of a chain file.
top_issuer() {
  awk '/BEGIN CERT/{n++} {print > (dir "/c" n ".pem")}' dir="$AH_T/split" "$1"
  local last
  last=$(ls "$AH_T"/split/c*.pem | sort -V | tail -n 1)
  openssl x509 -noout -issuer -nameopt multiline -in "$last" | sed -n 's/^ *commonName *= *//p'
  rm -f "$AH_T"/split/c*.pem
}
mkdir -p "$AH_T/split"

for want in "$ROOT1" "$ROOT0"; do
  name="chain-$(echo "$want" | tr -cd 'a-z0-9' | tail -c 6).example.test"
  ah_run certonly --webroot -w "$AH_WEBROOT" -d "$name" -n --agree-tos --server "$AH_DIR_URL" \
    --preferred-chain "$want"
  ah_expect_ok "certonly --preferred-chain \"$want\""
  got=$(top_issuer "$AH_CONFIG/live/$name/chain.pem")
  check "chain of $name ends under \"$want\" (got \"$got\")" test "$got" = "$want"
  root="$AH_T/root0.pem"; [ "$want" = "$ROOT1" ] && root="$AH_T/root1.pem"
  check "cert of $name verifies against $want" \
    openssl verify -CAfile "$root" -untrusted "$AH_CONFIG/live/$name/chain.pem" "$AH_CONFIG/live/$name/cert.pem"
  check "preferred chain recorded for renewal" grep -q "preferred_chain = $want" "$AH_CONFIG/renewal/$name.conf"
done

ah_run certonly --webroot -w "$AH_WEBROOT" -d default-chain.example.test -n --agree-tos \
  --server "$AH_DIR_URL" --preferred-chain "No Such Root CA"
ah_expect_ok "certonly with an unknown --preferred-chain still succeeds"
check "a warning names the unknown issuer" grep -q "No Such Root CA" "$AH_ERR"
got=$(top_issuer "$AH_CONFIG/live/default-chain.example.test/chain.pem")
check "unknown preference falls back to a chain Pebble offers ($got)" test "$got" = "$ROOT0" -o "$got" = "$ROOT1"
check "no challenge tokens left" ah_no_tokens "$AH_WEBROOT"
ah_finish
