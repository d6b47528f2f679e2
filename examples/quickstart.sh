#!/usr/bin/env bash
# Quickstart: the GlobalSign-style command against a local CA, end to end.
#
#   bash examples/quickstart.sh
#
# Installs what is missing (tests/deps.sh), builds acmehook (reusing build/),
# starts a local Pebble that requires External Account Binding, a DNS server
# that points every name at 127.0.0.1 and nginx serving a webroot, then runs
#
#   acmehook certonly --webroot -w ROOT -d NAME -n --agree-tos \
#     --eab-kid kid-1 --eab-hmac-key KEY -m EMAIL --server https://127.0.0.1:PORT/dir
#
# verifies the chain against Pebble's root and prints the certificate's
# location, subject, issuer and expiry. Everything started is stopped on exit.
# The result stays in $QUICKSTART_DIR (default: build/quickstart).
# QUICKSTART_BIN=/path/to/acmehook skips the build and uses that binary.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"

bash tests/deps.sh
if [ -z "${QUICKSTART_BIN:-}" ]; then
  if [ ! -f build/CMakeCache.txt ]; then
    cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
  fi
  cmake --build build -j"$(nproc)"
fi

# QUICKSTART_BIN: use another acmehook binary and skip the build.
AH_BIN=${QUICKSTART_BIN:-$REPO/build/bin/acmehook}
export AH_BIN
# shellcheck source=../tests/integration/lib.sh
. "$REPO/tests/integration/lib.sh"
AH_TEST_NAME=quickstart
ah_setup
ah_require_bin

D=${QUICKSTART_DIR:-$REPO/build/quickstart}
rm -rf "$D/config" "$D/work" "$D/logs"
mkdir -p "$D"
D=$(cd "$D" && pwd)
AH_CONFIG="$D/config" AH_WORK="$D/work" AH_LOGDIR="$D/logs"

NAME=www.quickstart.example.test
EMAIL=admin@quickstart.example.test
echo "== starting DNS, nginx and Pebble (EAB required) on loopback"
ah_start_dns
ah_start_nginx "$AH_T/webroot"
ah_start_pebble --eab

echo "== acmehook certonly --webroot -w $AH_WEBROOT -d $NAME -n --agree-tos --eab-kid $AH_EAB_KID --eab-hmac-key *** -m $EMAIL --server $AH_DIR_URL"
set +e
"$AH_BIN" certonly --webroot -w "$AH_WEBROOT" -d "$NAME" -n --agree-tos \
  --eab-kid "$AH_EAB_KID" --eab-hmac-key "$AH_EAB_KEY" -m "$EMAIL" \
  --server "$AH_DIR_URL" --ca-bundle "$AH_CA_BUNDLE" \
  --config-dir "$D/config" --work-dir "$D/work" --logs-dir "$D/logs"
rc=$?
set -e
[ "$rc" -eq 0 ] || ah_die "acmehook certonly failed (exit $rc)"

live="$D/config/live/$NAME"
ah_pebble_root "$D/pebble-root.pem" || ah_die "cannot fetch Pebble's root"
echo "== openssl verify against Pebble's root"
openssl verify -CAfile "$D/pebble-root.pem" -untrusted "$live/chain.pem" "$live/cert.pem" ||
  ah_die "the chain does not verify"
pass "certificate chain verifies against Pebble's root"

echo
echo "Certificate: $live/fullchain.pem"
echo "Private key: $live/privkey.pem"
openssl x509 -in "$live/cert.pem" -noout -subject -issuer -enddate
echo "(Pebble's root, for verification: $D/pebble-root.pem)"
ah_finish
