#!/usr/bin/env bash
# Taking over certbot's state in place: Debian's certbot makes lineages
# against Pebble (webroot through nginx, an RSA key, a deploy hook; dns-01
# through BIND with an ECDSA key); `acmehook renew --force-renewal`, pointed
# at certbot's config dir, renews each into the same live/ paths with the
# next archive version, the same kind of key and certbot's key modes, runs
# the deploy hook, keeps the renewal keys it does not use and says so once;
# a new certificate uses certbot's account; then `certbot renew
# --force-renewal` renews certbot's lineages again.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=lib_dns.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib_dns.sh"
ah_setup
ah_require_bin
command -v certbot >/dev/null 2>&1 || ah_die "missing tool: certbot (run tests/deps.sh)"
/usr/bin/python3 -c 'import certbot_dns_rfc2136' 2>/dev/null ||
  ah_die "missing python3-certbot-dns-rfc2136 (run tests/deps.sh)"
ah_start_example_zone
ah_start_nginx "$AH_T/webroot"
# certbot gives up on a rejected nonce where acmehook retries (other tests
# keep Pebble's rejections on for acmehook): this test is about certbot's
# files, not its retries. Authorizations are never reused, so every order
# presents its challenges and the dry run below really waits.
ah_start_pebble PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0
CREDS="$AH_T/rfc2136.ini"
ah_credentials "$CREDS" key-example 127.0.0.1

# certbot trusts Pebble through REQUESTS_CA_BUNDLE and keeps everything in
# this test's directories.
cb() {
  REQUESTS_CA_BUNDLE="$AH_CA_BUNDLE" timeout -k 10 180 certbot "$@" \
    --config-dir "$AH_CONFIG" --work-dir "$AH_T/certbot-work" --logs-dir "$AH_T/certbot-logs" \
    --server "$AH_DIR_URL" -n --agree-tos --register-unsafely-without-email \
    --no-random-sleep-on-renew >"$AH_T/certbot.out" 2>&1
}

# keytype FILE: the kind and size of a private key, e.g. "RSA 2048".
keytype() {
  local t
  t=$(openssl pkey -in "$1" -noout -text 2>/dev/null) || return 1
  if grep -q 'ASN1 OID' <<<"$t"; then
    echo "EC $(sed -n 's/.*ASN1 OID: *//p' <<<"$t")"
  else
    echo "RSA $(sed -n 's/.*Private-Key: *(\([0-9]*\) bit.*/\1/p' <<<"$t")"
  fi
}

# serves NAME V: live/NAME is still certbot's directory (with its README)
# and its four links are certbot's relative links to version V.
serves() {
  local name=$1 v=$2 f live="$AH_CONFIG/live/$1"
  [ -d "$live" ] && [ ! -L "$live" ] && [ -f "$live/README" ] || return 1
  for f in cert chain fullchain privkey; do
    [ "$(readlink "$live/$f.pem")" = "../../archive/$name/$f$v.pem" ] || return 1
  done
}

# verifies NAME: the live certificate verifies against Pebble's root through
# the live chain, and the live key is the certificate's.
verifies() {
  local live="$AH_CONFIG/live/$1"
  ah_chain_verifies "$live/cert.pem" "$live/chain.pem" &&
    [ "$(ah_pubkey "$live/cert.pem" cert)" = "$(ah_pubkey "$live/privkey.pem" key)" ]
}

WEB=web.example.test
DNS=dns.example.test
HOOKLOG="$AH_T/deploy-hook.log"
cb certonly --webroot -w "$AH_WEBROOT" -d "$WEB" -d "www.$WEB" --key-type rsa \
  --rsa-key-size 2048 --preferred-challenges http-01 \
  --deploy-hook "echo \"\$RENEWED_LINEAGE\" >>'$HOOKLOG'" ||
  ah_die "certbot certonly --webroot failed: $(tail -5 "$AH_T/certbot.out")"
cb certonly --dns-rfc2136 --dns-rfc2136-credentials "$CREDS" \
  --dns-rfc2136-propagation-seconds 1 -d "$DNS" -d "*.$DNS" --key-type ecdsa \
  --elliptic-curve secp384r1 ||
  ah_die "certbot certonly --dns-rfc2136 failed: $(tail -5 "$AH_T/certbot.out")"
# A manual lineage: certbot's auth and cleanup hooks write and remove the
# token in the web server's root, and log what they were given.
MAN=man.example.test
MANLOG="$AH_T/manual-hook.log"
cat >"$AH_T/auth.sh" <<SH
#!/bin/sh
mkdir -p '$AH_WEBROOT/.well-known/acme-challenge'
printf %s "\$CERTBOT_VALIDATION" >'$AH_WEBROOT/.well-known/acme-challenge/'"\$CERTBOT_TOKEN"
echo "auth \$CERTBOT_DOMAIN" >>'$MANLOG'
SH
cat >"$AH_T/cleanup.sh" <<SH
#!/bin/sh
rm -f '$AH_WEBROOT/.well-known/acme-challenge/'"\$CERTBOT_TOKEN"
echo "cleanup \$CERTBOT_DOMAIN" >>'$MANLOG'
SH
chmod 755 "$AH_T/auth.sh" "$AH_T/cleanup.sh"
cb certonly --manual --preferred-challenges http --manual-auth-hook "$AH_T/auth.sh" \
  --manual-cleanup-hook "$AH_T/cleanup.sh" -d "$MAN" ||
  ah_die "certbot certonly --manual failed: $(tail -5 "$AH_T/certbot.out")"
check "certbot made $MAN through its manual hooks" \
  bash -c "$(declare -f serves); AH_CONFIG='$AH_CONFIG' serves $MAN 1 && test \$(grep -c '^auth $MAN' '$MANLOG') = 1"
check "certbot made $WEB (version 1, its deploy hook ran once)" \
  bash -c "$(declare -f serves); AH_CONFIG='$AH_CONFIG' serves $WEB 1 && test \$(grep -c . '$HOOKLOG') = 1"
check "certbot made $DNS (version 1)" serves "$DNS" 1
KT_WEB=$(keytype "$AH_CONFIG/archive/$WEB/privkey1.pem")
KT_DNS=$(keytype "$AH_CONFIG/archive/$DNS/privkey1.pem")
check "certbot's keys: $KT_WEB and $KT_DNS" test "$KT_WEB|$KT_DNS" = "RSA 2048|EC secp384r1"
ACCOUNTS_BEFORE=$(ah_account_files)
# An administrator's setting and comment, which certbot honours and keeps.
sed -i 's/^# renew_before_expiry = 30 days$/renew_before_expiry = 30 days\n# set by the admin/' \
  "$AH_CONFIG/renewal/$WEB.conf"

# --- acmehook renews certbot's lineages in place ---
ah_run renew --force-renewal "${AH_DNS_FLAGS[@]}"
ah_expect_ok "acmehook renew --force-renewal on certbot's config dir"
for name in "$WEB" "$DNS"; do
  check "$name: version 2 in archive/" test -s "$AH_CONFIG/archive/$name/cert2.pem"
  check "$name: live/ is certbot's directory, its links point at version 2" serves "$name" 2
  check "$name: the new certificate verifies against Pebble's root" verifies "$name"
  check "$name: the new certificate is new" \
    bash -c "test -s '$AH_CONFIG/archive/$name/cert2.pem' && ! cmp -s '$AH_CONFIG/archive/$name/cert1.pem' '$AH_CONFIG/archive/$name/cert2.pem'"
  check "$name: archive privkey2.pem is 0600" test "$(stat -c %a "$AH_CONFIG/archive/$name/privkey2.pem")" = 600
done
check "$WEB keeps its key type ($KT_WEB)" test "$(keytype "$AH_CONFIG/live/$WEB/privkey.pem")" = "$KT_WEB"
check "$DNS keeps its key type ($KT_DNS)" test "$(keytype "$AH_CONFIG/live/$DNS/privkey.pem")" = "$KT_DNS"
check "the deploy hook ran for $WEB with its live path" \
  test "$(sed -n 2p "$HOOKLOG")" = "$AH_CONFIG/live/$WEB"
check "$MAN: version 2 in archive/, live/ at it" serves "$MAN" 2
# Pebble reuses a valid authorization now and then even at
# PEBBLE_AUTHZREUSE=0 (it reuses unless a draw from 0-99 exceeds the
# percentage, and 0 does not): an order then presents nothing for it. So
# the hooks must have run exactly once for each challenge acmehook
# presented for the lineage, and MAN_PRESENTED counts those.
presented() { grep -c "Presenting http-01 for $MAN with manual" "$AH_ERR" || true; }
MAN_PRESENTED=$(presented)
check "$MAN: acmehook ran certbot's auth hook for each challenge it presented ($MAN_PRESENTED)" \
  test "$(grep -c "^auth $MAN" "$MANLOG")" = $((1 + MAN_PRESENTED))
check "$MAN: and its cleanup hook" test "$(grep -c "^cleanup $MAN" "$MANLOG")" = $((1 + MAN_PRESENTED))
check "$MAN: the new certificate verifies against Pebble's root" verifies "$MAN"
check "$MAN: the hooks stay in certbot's keys" \
  bash -c "grep -qx 'manual_auth_hook = $AH_T/auth.sh' '$AH_CONFIG/renewal/$MAN.conf' && grep -qx 'authenticator = manual' '$AH_CONFIG/renewal/$MAN.conf'"
check "acmehook used certbot's account and made none of its own" \
  test "$(ah_account_files)" = "$ACCOUNTS_BEFORE"
RENEWAL="$AH_CONFIG/renewal/$WEB.conf"
check "certbot's pref_challs is taken and written back as certbot writes it" \
  grep -qx 'pref_challs = http-01,' "$RENEWAL"
check "and is not reported as unknown" bash -c "! grep -q pref_challs '$AH_ERR' '$AH_OUT'"
check "the administrator's renew_before_expiry and comment are kept" \
  bash -c "grep -qx 'renew_before_expiry = 30 days' '$RENEWAL' && grep -qx '# set by the admin' '$RENEWAL'"
check "renew_before_expiry is reported" ah_said "renew_before_expiry"
check "certbot's version stays in the renewal file" grep -qx 'version = 2.1.0' "$RENEWAL"

# --- a second run keeps the lineages and does not report the key again ---
ah_run renew --force-renewal "${AH_DNS_FLAGS[@]}"
ah_expect_ok "a second acmehook renew --force-renewal"
MAN_PRESENTED=$((MAN_PRESENTED + $(presented)))
check "$WEB: version 3" serves "$WEB" 3
check "$DNS: version 3" serves "$DNS" 3
check "pref_challs and renew_before_expiry are not reported again" \
  bash -c "! grep -Eq 'pref_challs|renew_before_expiry' '$AH_ERR' '$AH_OUT'"
check "pref_challs is still there" grep -qx 'pref_challs = http-01,' "$RENEWAL"

# --- a new certificate in certbot's config dir uses certbot's account ---
ah_run certonly --webroot -w "$AH_WEBROOT" -d "new.$WEB" -n --agree-tos --server "$AH_DIR_URL"
ah_expect_ok "acmehook certonly for a new name in certbot's config dir"
check "it used certbot's account and registered none" test "$(ah_account_files)" = "$ACCOUNTS_BEFORE"

# --- certificates lists them; a dry run changes nothing and takes
# --dns-rfc2136-propagation-seconds from the command line ---
ah_run certificates
ah_expect_ok "certificates on certbot's config dir"
check "it lists $WEB and $DNS" bash -c "grep -q '$WEB' '$AH_OUT' && grep -q '$DNS' '$AH_OUT'"
before=$(ah_snapshot; cat "$AH_CONFIG"/renewal/*.conf)
ah_run renew --dry-run --dns-rfc2136-propagation-seconds 2 "${AH_DNS_FLAGS[@]}"
ah_expect_ok "renew --dry-run --dns-rfc2136-propagation-seconds 2"
MAN_PRESENTED=$((MAN_PRESENTED + $(presented)))
check "acmehook presented a challenge of $MAN through its hooks ($MAN_PRESENTED times)" \
  test "$MAN_PRESENTED" -ge 1
check "the dry run waited the 2 seconds given" ah_said "waiting 2s"
check "the dry run changed nothing" test "$(ah_snapshot; cat "$AH_CONFIG"/renewal/*.conf)" = "$before"

# --- certbot still reads and renews them ---
# (new.$WEB is in acmehook's own form, which certbot skips: one at a time.)
for name in "$WEB" "$DNS" "$MAN"; do
  cb renew --force-renewal --cert-name "$name" ||
    ah_die "certbot renew $name after acmehook failed: $(tail -20 "$AH_T/certbot.out")"
  pass "certbot renew --force-renewal --cert-name $name after acmehook"
done
check "certbot renewed $WEB to version 4" serves "$WEB" 4
check "certbot renewed $DNS to version 4" serves "$DNS" 4
# The hooks ran for certbot's issuance, for each challenge acmehook
# presented, and (unless Pebble reused the authorization) for certbot's
# renewal.
check "certbot renewed $MAN to version 4 with the same hooks" \
  bash -c "$(declare -f serves); AH_CONFIG='$AH_CONFIG' serves $MAN 4 && n=\$(grep -c '^auth $MAN' '$MANLOG') && test \$n -ge $((1 + MAN_PRESENTED)) -a \$n -le $((2 + MAN_PRESENTED))"
for name in "$WEB" "$DNS"; do
  check "$name: certbot's certificate verifies against Pebble's root" verifies "$name"
done
check "$WEB still $KT_WEB, $DNS still $KT_DNS after certbot" \
  test "$(keytype "$AH_CONFIG/live/$WEB/privkey.pem")|$(keytype "$AH_CONFIG/live/$DNS/privkey.pem")" = "$KT_WEB|$KT_DNS"
check "certbot ran the deploy hook too" test "$(grep -c . "$HOOKLOG")" -ge 4

ah_finish
