#!/usr/bin/env bash
# Without --ca-bundle, the CA's TLS certificate is checked against the
# system's store through its hashed directory (/etc/ssl/certs/HASH.N), one
# issuer at a time, instead of parsing the whole bundle file first:
# - Pebble's self-signed certificate, in no store, is refused: exit 1 and
#   one line saying the certificate did not verify; nothing is stored;
# - that run reads no bundle file under /etc/ssl, and looks the issuer up
#   by its hash;
# - in a private mount namespace whose /etc/ssl/certs holds nothing but
#   Pebble's certificate under its hash name (no bundle file at all), the
#   issuance succeeds.
# The system's trust store itself is never touched.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all
ah_require_tool strace

PEBBLE_TLS=$AH_CA_BUNDLE
ah_root_file >/dev/null || ah_die "cannot fetch Pebble's root"
# Every run below goes without --ca-bundle and without ACMEHOOK_CA_BUNDLE.
AH_CA_BUNDLE=

issue() {
  ah_run certonly --webroot -w "$AH_WEBROOT" -d "$1" -n --agree-tos \
    -m test@example.test --server "$AH_DIR_URL"
}

# --- a self-signed CA certificate is refused -------------------------------
name=refused.trust.example.test
issue "$name"
ah_expect_fail 1 'certificate' "Pebble's self-signed certificate is refused: exit 1"
check "the error says the certificate did not verify" \
  grep -qiE 'error: .*https://127\.0\.0\.1:[0-9]+/dir: .*(self-signed|verif|issuer)' "$AH_ERR"
check "the error is one line" test "$(grep -c 'error' "$AH_ERR")" -eq 1
check "nothing stored for $name" test ! -e "$AH_CONFIG/live/$name"

# --- the issuer is looked up by hash; no bundle file is read ---------------
trace="$AH_T/trust.strace"
set +e
env -u ACMEHOOK_CA_BUNDLE strace -f -o "$trace" -e trace=open,openat,stat,newfstatat,statx \
  "$AH_BIN" certonly --webroot -w "$AH_WEBROOT" -d "$name" -n --agree-tos \
  -m test@example.test --server "$AH_DIR_URL" --config-dir "$AH_CONFIG" \
  --work-dir "$AH_WORK" --logs-dir "$AH_LOGDIR" >/dev/null 2>&1 </dev/null
rc=$?
set -e
check "traced run: exit 1 ($rc)" test "$rc" -eq 1
bundles=$(grep -E 'open(at)?\(.*"/etc/ssl/[^"]*\.(crt|pem)"' "$trace" | grep -v ENOENT || true)
check "no bundle file under /etc/ssl was opened${bundles:+: $bundles}" test -z "$bundles"
check "the issuer was looked up by its hash in /etc/ssl/certs" \
  grep -qE '"/etc/ssl/certs/[0-9a-f]{8}\.[0-9]+"' "$trace"

# --- a hashed directory alone is enough ------------------------------------
if unshare -m sh -c "mount --bind '$AH_T' /etc/ssl/certs" 2>/dev/null; then
  cadir="$AH_T/hashed-certs"
  mkdir -p "$cadir"
  cp "$PEBBLE_TLS" "$cadir/pebble-tls.pem"
  ln -s pebble-tls.pem "$cadir/$(openssl x509 -hash -noout -in "$PEBBLE_TLS").0"
  # acmehook runs with that directory over /etc/ssl/certs, in a mount
  # namespace of its own: the host's mounts are unchanged.
  wrapper="$AH_T/in-namespace"
  cat >"$wrapper" <<EOF
#!/bin/sh
exec unshare -m sh -c 'mount --bind "\$0" /etc/ssl/certs && exec "\$@"' '$cadir' '$AH_BIN' "\$@"
EOF
  chmod 755 "$wrapper"
  real_bin=$AH_BIN
  AH_BIN=$wrapper
  name=hashed.trust.example.test
  issue "$name"
  AH_BIN=$real_bin
  ah_expect_ok "issuance trusting only a hashed directory (no bundle file) succeeds"
  ah_verify_cert "$name" "$name"
else
  ah_log "unshare -m with a bind mount is not allowed here: the hashed-directory issuance is not run"
fi
ah_finish
