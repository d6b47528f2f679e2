#!/usr/bin/env bash
# Plugins are opened when a run needs them: a plugin directory holding a
# broken file and a file anyone may write still serves an issuance (and a
# parallel renewal) that needs neither, while `plugins`, which opens every
# file, refuses them as before, and so does a run whose plugin is not found
# by its file name. A needed file that fails the checks is refused (exit 2).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all

: "${AH_BUILD_DIR:=$AH_REPO_DIR/build}"
BUILD_PLUGINS="$AH_BUILD_DIR/lib/acmehook/plugins"
[ -f "$BUILD_PLUGINS/http-webroot.so" ] || ah_die "no plugins in $BUILD_PLUGINS (build first)"

# The build's plugins, a file that is no shared object, and one that group
# and others may write (named to sort first, so a scan meets it first).
PDIR="$AH_T/plugins"
mkdir -m 0755 "$PDIR"
install -m 0644 "$BUILD_PLUGINS"/*.so "$PDIR/"
printf 'not a shared object\n' >"$PDIR/broken.so"
chmod 0644 "$PDIR/broken.so"
install -m 0644 "$BUILD_PLUGINS/manual.so" "$PDIR/aa-open.so"
chmod 0666 "$PDIR/aa-open.so"

issue() {
  ah_run certonly --webroot -w "$AH_WEBROOT" -d "$1" -n --agree-tos -m test@example.test \
    --server "$AH_DIR_URL" --plugin-dir "$PDIR" "${@:2}"
}

# --- a run that needs only webroot works beside the two bad files ---
names=(one.lazy.example.test two.lazy.example.test three.lazy.example.test)
for n in "${names[@]}"; do
  issue "$n"
  ah_expect_ok "certonly $n with a broken and an open plugin file beside webroot"
  ah_verify_cert "$n"
done

# --- threads looking the plugin up at once share one load ---
ah_run renew --force-renewal --parallel 3 --plugin-dir "$PDIR"
ah_expect_ok "renew --parallel 3 with the same plugin directory"
for n in "${names[@]}"; do
  check "$n has version 2" test "$(ah_archive_versions "$n")" -eq 2
  ah_verify_cert "$n"
done

# --- plugins opens every file and refuses the first bad one, as before ---
ah_run plugins --plugin-dir "$PDIR"
ah_expect_fail 2 "refusing plugin $PDIR/aa-open\.so: it is writable by group or others" \
  "plugins refuses the file anyone may write (exit 2)"
rm "$PDIR/aa-open.so"
ah_run plugins --plugin-dir "$PDIR"
ah_expect_fail 2 "refusing plugin $PDIR/broken\.so: dlopen failed" \
  "plugins refuses the file that is no shared object (exit 2)"

# --- a plugin not found by file name: the scan meets broken.so first ---
ah_run certonly -a nosuch -d four.lazy.example.test -n --agree-tos \
  --server "$AH_DIR_URL" --plugin-dir "$PDIR"
ah_expect_fail 2 "refusing plugin $PDIR/broken\.so" \
  "an authenticator found by no file name opens the other files, refusing broken.so"
rm "$PDIR/broken.so"
ah_run certonly -a nosuch -d four.lazy.example.test -n --agree-tos \
  --server "$AH_DIR_URL" --plugin-dir "$PDIR"
ah_expect_fail 2 'no authenticator plugin named "nosuch"' \
  "without broken.so the unknown authenticator is named"

# --- a plugin whose file is named otherwise is found by the scan ---
ODIR="$AH_T/other-plugins"
mkdir -m 0755 "$ODIR"
install -m 0644 "$BUILD_PLUGINS/manual.so" "$ODIR/a-manual.so"
install -m 0644 "$BUILD_PLUGINS/http-webroot.so" "$ODIR/my-web.so"
ah_run certonly --webroot -w "$AH_WEBROOT" -d five.lazy.example.test -n --agree-tos \
  -m test@example.test --server "$AH_DIR_URL" \
  --plugin-dir "$ODIR"
ah_expect_ok "certonly finds webroot in my-web.so when no file is named after it"
ah_verify_cert five.lazy.example.test

# --- the needed file itself fails the checks: refused, nothing issued ---
chmod 0664 "$PDIR/http-webroot.so"
issue six.lazy.example.test
ah_expect_fail 2 "refusing plugin $PDIR/http-webroot\.so: it is writable by group or others" \
  "a group-writable http-webroot.so is refused when the run needs it (exit 2)"
check "no lineage for six" test ! -e "$AH_CONFIG/live/six.lazy.example.test"

ah_finish
