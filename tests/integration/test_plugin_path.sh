#!/usr/bin/env bash
# The plugin search path: a plugin file found in an earlier directory
# shadows the file of the same name in a later one, so the build-tree
# binary next to an installed copy loads each plugin once; two different
# files declaring one plugin name are still refused (exit 2). No servers.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin

: "${AH_BUILD_DIR:=$AH_REPO_DIR/build}"
BUILD_PLUGINS="$AH_BUILD_DIR/lib/acmehook/plugins"
PREFIX="$AH_T/prefix"

[ -f "$BUILD_PLUGINS/http-webroot.so" ] || ah_die "no plugins in $BUILD_PLUGINS (build first)"
if ! cmake --install "$AH_BUILD_DIR" --prefix "$PREFIX" >"$AH_LOGS/install.log" 2>&1; then
  cat "$AH_LOGS/install.log" >&2
  ah_die "cmake --install into $PREFIX failed"
fi
INSTALLED_PLUGINS=$(find "$PREFIX" -name http-webroot.so -printf '%h\n' | head -n 1)
[ -n "$INSTALLED_PLUGINS" ] || ah_die "the install put no http-webroot.so under $PREFIX"
pass "installed into $PREFIX (plugins in ${INSTALLED_PLUGINS#"$PREFIX"/})"

build_names=$(cd "$BUILD_PLUGINS" && ls -1 -- *.so | sort)
installed_names=$(cd "$INSTALLED_PLUGINS" && ls -1 -- *.so | sort)
check "the installed directory holds the build tree's plugin files" \
  test "$build_names" = "$installed_names"
n_files=$(printf '%s\n' "$build_names" | wc -l)

# --- build tree first, installed copy second: every plugin once ---
export ACMEHOOK_PLUGIN_PATH="$BUILD_PLUGINS:$INSTALLED_PLUGINS"
ah_run plugins
ah_expect_ok "plugins with the build tree and its installed copy on the path"
listed=$(sed -n 's/^\* \([a-z0-9-]*\) .*/\1/p' "$AH_OUT" | sort)
n_listed=$(printf '%s\n' "$listed" | grep -c . || true)
n_unique=$(printf '%s\n' "$listed" | { grep . || true; } | sort -u | wc -l)
check "each plugin is listed once ($n_listed listed, $n_unique distinct)" \
  test "$n_listed" -eq "$n_unique"
check "every plugin file is listed ($n_files files, $n_listed listed)" \
  test "$n_listed" -eq "$n_files"
check "the earlier directory wins: no plugin comes from the installed copy" \
  bash -c "! grep -F 'path: $INSTALLED_PLUGINS/' '$AH_OUT'"
check "the webroot plugin comes from the build tree" \
  grep -qF "path: $BUILD_PLUGINS/http-webroot.so" "$AH_OUT"

ah_run certificates
ah_expect_ok "a command runs with both directories on the path"
check "certificates reports no lineages" ah_output_matches "no certificates"

# --- installed copy first: the same, from the other side ---
export ACMEHOOK_PLUGIN_PATH="$INSTALLED_PLUGINS:$BUILD_PLUGINS"
ah_run plugins
ah_expect_ok "plugins with the installed copy first"
check "now the webroot plugin comes from the installed copy" \
  grep -qF "path: $INSTALLED_PLUGINS/http-webroot.so" "$AH_OUT"

# --- one plugin name in two different files is refused ---
EXTRA="$AH_T/extra-plugins"
mkdir -m 0755 "$EXTRA"
install -m 0644 "$BUILD_PLUGINS/http-webroot.so" "$EXTRA/my-webroot.so"
export ACMEHOOK_PLUGIN_PATH="$BUILD_PLUGINS:$EXTRA"
ah_run plugins
ah_expect_fail 2 'plugin name "webroot" is already loaded' \
  "a second file declaring plugin name webroot is refused (exit 2)"
check "the refusal names the second file" ah_output_matches "my-webroot\.so"
check "the refusal names the first file" ah_output_matches "$BUILD_PLUGINS/http-webroot\.so"

unset ACMEHOOK_PLUGIN_PATH
ah_finish
