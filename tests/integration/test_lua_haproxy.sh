#!/usr/bin/env bash
# Deploy step in Lua: examples/lua/deploy/haproxy.lua through `script test
# --dry-run` (a throwaway certificate from a throwaway CA). It writes
# HAProxy's combined PEM (the chain, then the key) with mode 0600, runs the
# configuration check and then the reload, each once, by argument vector;
# a second run replaces the PEM atomically (a rename: a hard link to the
# old file keeps the old contents whole). HAProxy itself is not needed: a
# small recorder script stands in for both programs. No servers either.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin

NAME=haproxy.example.test
SCRIPT="$AH_REPO_DIR/examples/lua/deploy/haproxy.lua"
D="$AH_T/haproxy"
PEM="$D/certs/$NAME.pem"
RECORD="$D/calls.log"
FAKE="$D/bin/fake-haproxy"
mkdir -p "$D/certs" "$D/bin" "$AH_T/tmp"
# script test makes its throwaway files under TMPDIR: a private one, so the
# check that they are removed does not see another test's.
export TMPDIR="$AH_T/tmp"
: >"$RECORD"

# The stand-in records, one line per call: its argv joined with '|' and the
# sha256 of the PEM as it found it (so a reload provably saw the new file).
cat >"$FAKE" <<EOF
#!/bin/sh
sum=\$(sha256sum "$PEM" 2>/dev/null | cut -d' ' -f1)
(IFS='|'; printf '%s pem=%s\n' "\$*" "\${sum:-missing}") >>"$RECORD"
exit 0
EOF
chmod 755 "$FAKE"

# reload_cmd and check_cmd are split on spaces (no shell): $FAKE must not
# contain any, nor must the argument words.
case $FAKE in *" "*) ah_die "the temporary directory has a space in it: $FAKE" ;; esac
CRED="$AH_T/haproxy-deploy.ini"
(umask 077 && printf 'pem_path = %s\ncheck_cmd = %s check -c -f %s\nreload_cmd = %s reload -sf 4242\n' \
  "$PEM" "$FAKE" "$D/haproxy.cfg" "$FAKE" >"$CRED")
chmod 600 "$CRED"

# pem_blocks FILE: the PEM block labels in order, space-separated.
pem_blocks() { sed -n 's/^-----BEGIN \(.*\)-----$/\1/p' "$1" | tr '\n' ' ' | sed 's/ $//'; }
# nth_cert FILE N OUT: the Nth certificate block of FILE into OUT.
nth_cert() {
  awk -v n="$2" '/^-----BEGIN CERTIFICATE-----$/ {i++} i == n {print} \
    i == n && /^-----END CERTIFICATE-----$/ {exit}' "$1" >"$3"
}
# chain_then_key "LABELS": two certificates, then one private key (any type).
chain_then_key() { [[ $1 =~ ^CERTIFICATE\ CERTIFICATE\ ([A-Z]+\ )?PRIVATE\ KEY$ ]]; }
# calls_matching REGEX: how many recorded calls match REGEX.
calls_matching() { grep -Ec -- "$1" "$RECORD" || true; }

# --- first dry run: the PEM appears, the check and the reload run once ---
ah_run script test "$SCRIPT" --domain "$NAME" --dns-lua-credentials "$CRED" --dry-run
ah_expect_ok "script test --dry-run of haproxy.lua"
check "it prints the deploy step's time" ah_output_matches '^deploy: ok \([0-9]+ ms\)'
check "the combined PEM exists" test -s "$PEM"
check "the combined PEM is 0600" test "$(ah_mode "$PEM")" = 600
blocks=$(pem_blocks "$PEM")
check "the PEM is the chain (leaf, CA) followed by the key (blocks: $blocks)" \
  chain_then_key "$blocks"
nth_cert "$PEM" 1 "$D/leaf.pem"
nth_cert "$PEM" 2 "$D/ca.pem"
check "openssl x509 reads the first certificate" openssl x509 -in "$PEM" -noout
check "the first certificate's SAN is $NAME" test "$(ah_sans "$PEM")" = "$NAME"
check "the second certificate is the throwaway CA" \
  bash -c "openssl x509 -in '$D/ca.pem' -noout -subject | grep -q 'acmehook script test throwaway CA'"
check "the leaf verifies against the CA that follows it" \
  bash -c "openssl verify -CAfile '$D/ca.pem' '$D/leaf.pem' >/dev/null 2>&1"
check "openssl pkey reads the key in the PEM" bash -c "openssl pkey -in '$PEM' -noout 2>/dev/null"
leaf_pub=$(ah_pubkey "$PEM" cert)
key_pub=$(ah_pubkey "$PEM" key)
check "the key matches the certificate's public key" \
  bash -c "[ -n '$leaf_pub' ] && [ '$leaf_pub' = '$key_pub' ]"
sum1=$(sha256sum "$PEM" | cut -d' ' -f1)
check "the configuration check ran once, with its argv" \
  test "$(calls_matching "^check\|-c\|-f\|$D/haproxy.cfg pem=")" = 1
check "the reload ran once, with its argv" \
  test "$(calls_matching '^reload\|-sf\|4242 pem=')" = 1
check "nothing else ran ($(wc -l <"$RECORD") calls)" test "$(wc -l <"$RECORD")" = 2
check "the check ran before the reload" \
  bash -c "head -n1 '$RECORD' | grep -q '^check|' && tail -n1 '$RECORD' | grep -q '^reload|'"
check "the reload saw the new PEM" \
  test "$(calls_matching "^reload\|.* pem=$sum1\$")" = 1
check "the deploy step logged what it wrote" grep -rq "wrote $PEM for $NAME" "$AH_LOGDIR"
check "no temporary files left beside the PEM" \
  test "$(find "$D/certs" -mindepth 1 | wc -l)" = 1
check "the throwaway files are gone" test -z "$(find "$TMPDIR" -mindepth 1 -print -quit)"

# --- second dry run: a new certificate replaces the PEM by a rename ---
serial1=$(ah_serial "$PEM")
inode1=$(stat -c %i "$PEM")
cp "$PEM" "$D/first.pem"
ln "$PEM" "$D/old-link.pem"
: >"$RECORD"
ah_run script test "$SCRIPT" --domain "$NAME" --dns-lua-credentials "$CRED" --dry-run
ah_expect_ok "a second script test --dry-run"
serial2=$(ah_serial "$PEM")
check "the PEM holds a new certificate (serial $serial1 -> $serial2)" \
  bash -c "[ -n '$serial2' ] && [ '$serial2' != '$serial1' ]"
check "the new PEM is still 0600" test "$(ah_mode "$PEM")" = 600
check "the PEM was replaced by a rename (new inode)" test "$(stat -c %i "$PEM")" != "$inode1"
check "the old file was never written in place" cmp -s "$D/old-link.pem" "$D/first.pem"
check "the new PEM's first certificate is for $NAME" test "$(ah_sans "$PEM")" = "$NAME"
check "the new key matches the new certificate" \
  test "$(ah_pubkey "$PEM" key)" = "$(ah_pubkey "$PEM" cert)"
check "the new key is not the old one" test "$(ah_pubkey "$PEM" key)" != "$key_pub"
sum2=$(sha256sum "$PEM" | cut -d' ' -f1)
check "the second run reloaded once more, seeing the new PEM" \
  test "$(calls_matching "^reload\|-sf\|4242 pem=$sum2\$")" = 1
check "the second run made two calls in all" test "$(wc -l <"$RECORD")" = 2
check "no temporary files left beside the PEM after the replace" \
  test "$(find "$D/certs" -mindepth 1 | wc -l)" = 1

ah_finish
