#!/usr/bin/env bash
# Installers: the out-of-tree example plugin (examples/plugin-out-of-tree) is
# built against the *installed* SDK, once with find_package and once with
# pkg-config, loaded by the installed binary, and selected with -i for a
# real issuance against Pebble. The choice is stored for renewal, `install`
# deploys an existing lineage without storing anything, a cli.ini
# [instance NAME] works as an installer, and wrong selections are usage
# errors that name the value at fault.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

: "${AH_BUILD_DIR:=$AH_REPO_DIR/build}"
for tool in cmake make pkg-config cc; do
  command -v "$tool" >/dev/null 2>&1 || { echo "missing tool: $tool (run tests/deps.sh)"; exit 1; }
done
ah_setup
ah_require_bin

# ------------------------------------------------- the installed SDK, twice
P="$AH_T/prefix"
cmake --install "$AH_BUILD_DIR" --prefix "$P" >"$AH_T/install.log" 2>&1 ||
  { cat "$AH_T/install.log"; ah_die "cmake --install failed"; }
PLUGINS="$P/lib/acmehook/plugins"

# find_package: ACMEHOOK_PLUGINDIR follows the prefix the package sits in.
SRC="$AH_T/oot-src"
cp -r "$AH_REPO_DIR/examples/plugin-out-of-tree" "$SRC"
if cmake -S "$SRC" -B "$AH_T/oot-cmake" -DCMAKE_PREFIX_PATH="$P" >"$AH_T/oot.log" 2>&1 &&
  cmake --build "$AH_T/oot-cmake" >>"$AH_T/oot.log" 2>&1 &&
  cmake --install "$AH_T/oot-cmake" >>"$AH_T/oot.log" 2>&1; then
  pass "the example builds and installs with find_package(acmehookSDK)"
else
  sed 's/^/  oot| /' "$AH_T/oot.log"
  fail "the example builds with find_package(acmehookSDK)"
fi
check "it landed in the installed host's plugin directory" test -f "$PLUGINS/install-copy.so"

# pkg-config: the .pc file is relocatable too.
MK="$AH_T/oot-make"
cp -r "$AH_REPO_DIR/examples/plugin-out-of-tree" "$MK"
if PKG_CONFIG_PATH="$P/lib/pkgconfig" make -C "$MK" >"$AH_T/make.log" 2>&1; then
  pass "the example builds with pkg-config"
else
  sed 's/^/  make| /' "$AH_T/make.log"
  fail "the example builds with pkg-config"
fi
check "pkg-config's plugindir is the installed host's" \
  test "$(PKG_CONFIG_PATH="$P/lib/pkgconfig" pkg-config --variable=plugindir acmehook-sdk)" -ef "$PLUGINS"
mkdir -m 0755 "$AH_T/mkplugins"
install -m 0644 "$MK/install-copy.so" "$AH_T/mkplugins/"
out=$(ACMEHOOK_PLUGIN_PATH="$AH_T/mkplugins" "$P/bin/acmehook" plugins 2>&1) || true
check "the pkg-config build loads: plugins lists install-copy" grep -q '^\* install-copy' <<<"$out"
check "... as an installer, from the pkg-config build" \
  bash -c 'grep -q "roles: installer" <<<"$1" && grep -q "path: $2/install-copy.so" <<<"$1"' _ "$out" "$AH_T/mkplugins"

# From here on, every run is the installed binary with its own plugins.
AH_BIN="$P/bin/acmehook"
ah_start_all --eab

# ----------------------------------------------------- -i in an issuance
NAME=inst.installer.example.test
DEST="$AH_T/dest"
mkdir -m 0755 "$DEST"
AH_ISSUE_EXTRA="-i install-copy --installer-option dest-dir=$DEST" ah_issue "$NAME"
ah_expect_ok "certonly -i install-copy"
ah_verify_cert "$NAME"
check "the installer copied fullchain.pem" cmp -s "$DEST/fullchain.pem" "$AH_CONFIG/live/$NAME/fullchain.pem"
check "the installer copied privkey.pem" cmp -s "$DEST/privkey.pem" "$AH_CONFIG/live/$NAME/privkey.pem"
check "the copied key is 0600" test "$(ah_mode "$DEST/privkey.pem")" = 600
check "the log says which installer deployed it" grep -q "Deployed $NAME with install-copy" "$AH_LOGDIR/acmehook.log"
check "the renewal file stores the installer" \
  bash -c 'grep -A2 -F "[[deploy]]" "$1" | grep -q "install-copy.*dest-dir=$2"' _ \
  "$AH_CONFIG/renewal/$NAME.conf" "$DEST"

# renew uses the stored installer without being told.
ah_run renew --force-renewal --cert-name "$NAME"
ah_expect_ok "renew --force-renewal"
check "renew made version 2" test -s "$AH_CONFIG/archive/$NAME/cert2.pem"
check "renew installed version 2 with the stored installer" \
  cmp -s "$DEST/fullchain.pem" "$AH_CONFIG/archive/$NAME/fullchain2.pem"

# --------------------------------------------------------------- install
DEST2="$AH_T/dest2"
mkdir -m 0755 "$DEST2"
conf_before=$(md5sum <"$AH_CONFIG/renewal/$NAME.conf")
archive_before=$(ah_snapshot)
ah_run install --cert-name "$NAME" -i install-copy --installer-option "dest-dir=$DEST2"
ah_expect_ok "install --cert-name -i"
check "install deployed the live version" cmp -s "$DEST2/fullchain.pem" "$AH_CONFIG/live/$NAME/fullchain.pem"
check "install deployed the live key" cmp -s "$DEST2/privkey.pem" "$AH_CONFIG/live/$NAME/privkey.pem"
check "install stored nothing in the renewal file" test "$conf_before" = "$(md5sum <"$AH_CONFIG/renewal/$NAME.conf")"
check "install ordered nothing" test "$archive_before" = "$(ah_snapshot)"

# A cli.ini instance is an installer too; its options come from the section.
DEST3="$AH_T/dest3"
mkdir -m 0755 "$DEST3"
cat >"$AH_CONFIG/cli.ini" <<INI
[instance copies]
plugin = install-copy
dest-dir = $DEST3
INI
ah_run install --cert-name "$NAME" -i copies
ah_expect_ok "install -i with a cli.ini instance"
check "the instance's dest-dir received the certificate" \
  cmp -s "$DEST3/fullchain.pem" "$AH_CONFIG/live/$NAME/fullchain.pem"

# cli.ini's `installer =` selects it for certonly, and the renewal file
# then stores the instance's plugin and options.
OTHER=ini.installer.example.test
DEST4="$AH_T/dest4"
mkdir -m 0755 "$DEST4"
cat >"$AH_CONFIG/cli.ini" <<INI
installer = copies4
[instance copies4]
plugin = install-copy
dest-dir = $DEST4
INI
ah_issue "$OTHER"
ah_expect_ok "certonly with cli.ini installer = INSTANCE"
check "cli.ini's installer deployed it" cmp -s "$DEST4/fullchain.pem" "$AH_CONFIG/live/$OTHER/fullchain.pem"
check "the renewal file stores the instance's plugin and options" \
  grep -q "install-copy.*dest-dir=$DEST4" "$AH_CONFIG/renewal/$OTHER.conf"
rm -f "$AH_CONFIG/cli.ini"

# ------------------------------------------------------- wrong selections
ah_run install --cert-name "$NAME" -i no-such-installer
ah_expect_fail 2 'no-such-installer' "an unknown installer is a usage error naming it"
ah_run install --cert-name "$NAME" -i webroot
ah_expect_fail 2 'webroot.*(not an installer|installer)' "an authenticator is not an installer"
ah_run install -i install-copy --installer-option "dest-dir=$DEST2"
ah_expect_fail 2 'cert-name' "install without --cert-name"
ah_run install --cert-name no-such.example.test -i install-copy
ah_expect_fail 2 'no-such\.example\.test' "install names an unknown lineage"
ah_run install --cert-name "$NAME" -i install-copy --installer-option dest-dir
ah_expect_fail 2 'KEY=VALUE.*dest-dir' "an installer option without = is refused"
ah_run install --cert-name "$NAME" --installer-option dest-dir=/x
ah_expect_fail 2 'must follow' "an installer option before any -i is refused"
ah_run install --cert-name "$NAME" -i install-copy --installer-option dest-dir=/nonexistent/dir
ah_expect_fail nz '/nonexistent/dir' "an installer's own failure names its value"

# An installer whose configuration is wrong stops certonly before any order.
before=$(ah_archive_versions "$NAME")
AH_ISSUE_EXTRA="--force-renewal -i install-copy --installer-option dest-dir=/nonexistent/dir" ah_issue "$NAME"
ah_expect_fail 2 '/nonexistent/dir' "a misconfigured installer is refused before ordering"
check "no new version was ordered" test "$(ah_archive_versions "$NAME")" -eq "$before"

ah_finish
