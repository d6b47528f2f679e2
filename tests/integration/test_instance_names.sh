#!/usr/bin/env bash
# A cli.ini [instance NAME] is called NAME in logs and errors (as
# "webroot[NAME]"), not by a number; the name is kept in the renewal file,
# so renewals say it too.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
# Every order presents its challenges: the renewal must name the instance.
ah_start_all PEBBLE_AUTHZREUSE=0

mkdir -p "$AH_T/not-a-dir-parent"
: >"$AH_T/not-a-dir-parent/file"
cat >"$AH_T/cli.ini" <<EOF
agree-tos = true
email = names@example.test
server = $AH_DIR_URL
[instance site-a]
plugin = webroot
webroot-path = $AH_WEBROOT

[instance broken-site]
plugin = webroot
webroot-path = $AH_T/not-a-dir-parent/file/www

[routes]
inst.example.test = site-a
bad.example.test = broken-site
EOF

ah_run certonly -c "$AH_T/cli.ini" -n -v -d inst.example.test
ah_expect_ok "certonly through [instance site-a]"
ah_verify_cert inst.example.test
check "the log names the instance site-a" grep -qF "webroot[site-a]" "$AH_ERR"
check "no numbered instance in the output" bash -c "! grep -qE 'webroot#[0-9]' '$AH_ERR' '$AH_OUT'"
check "the renewal file keeps the instance's name" \
  grep -qE "^inst\.example\.test = webroot\[site-a\];" "$AH_CONFIG/renewal/inst.example.test.conf"

ah_run certonly -c "$AH_T/cli.ini" -n -d bad.example.test
ah_expect_fail nz 'broken-site' "a failing instance is named in the error"
check "the error has no numbered instance" bash -c "! grep -qE 'webroot#[0-9]' '$AH_ERR'"

# --revalidate: the renewal must present its challenge through site-a
# even when the CA still holds the name's authorization valid.
ah_run renew --force-renewal --revalidate --cert-name inst.example.test -v
ah_expect_ok "renew of the lineage made through site-a"
check "the renewal names site-a" grep -qF "webroot[site-a]" "$AH_ERR"
ah_verify_cert inst.example.test
ah_finish
