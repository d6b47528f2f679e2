#!/usr/bin/env bash
# As root, files that can run commands (renewal files, cli.ini: deploy
# hooks and steps) are read only when nobody but root could have written
# them, as sudo and OpenSSH judge theirs: a renewal file writable by
# others, or owned by another user, or in a directory others can write, is
# refused with exit 2 naming it, its mode and its owner, and nothing is
# ordered; root-owned 0644 files work.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
[ "$(id -u)" -eq 0 ] || ah_die "this test checks what acmehook refuses as root and must run as root"
NOBODY=$(id -u nobody) || ah_die "no user nobody"
ah_start_all

orders() { grep -c 'Added order' "$AH_PEBBLE_LOG" || true; }

N=trust.example.test
ah_issue "$N"
ah_expect_ok "certonly $N"
conf="$AH_CONFIG/renewal/$N.conf"
check "setup: the renewal file is root's, mode 644" test "$(stat -c '%u %a' "$conf")" = "0 644"

ah_run renew --force-renewal --cert-name "$N"
ah_expect_ok "renew with a root-owned 0644 renewal file"

# --- a renewal file others can write ---
chmod 0666 "$conf"
before=$(orders)
ah_run renew --force-renewal --cert-name "$N"
ah_expect_fail 2 "refusing $conf: it is writable by group or others \\(mode 0666, owner uid 0\\)" \
  "renew refuses a 0666 renewal file with exit 2, naming it and its mode"
check "nothing was ordered for the refused file" test "$(orders)" -eq "$before"
ah_run certonly --webroot -w "$AH_WEBROOT" -d "$N" -n --server "$AH_DIR_URL"
ah_expect_fail 2 "refusing $conf: .*mode 0666" "certonly -d $N refuses it too"
chmod 0644 "$conf"

# --- a renewal file another user owns ---
chown nobody "$conf"
ah_run renew --force-renewal --cert-name "$N"
ah_expect_fail 2 "refusing $conf: it is owned by uid $NOBODY \\(mode 0644\\), not root" \
  "renew refuses a renewal file owned by nobody, naming the owner"
chown root "$conf"

# --- a renewal directory others can write: only sticky is safe ---
chmod 0777 "$AH_CONFIG/renewal"
ah_run renew --force-renewal --cert-name "$N"
ah_expect_fail 2 "refusing $conf: its directory $AH_CONFIG/renewal is writable by group or others \\(mode 0777" \
  "renew refuses a renewal file in a 0777 directory"
chmod 1777 "$AH_CONFIG/renewal"
ah_run renew --force-renewal --cert-name "$N"
ah_expect_ok "a sticky 1777 renewal directory is accepted"
chmod 0755 "$AH_CONFIG/renewal"
check "three versions after two good renewals" test -s "$AH_CONFIG/archive/$N/cert3.pem"
check "and no fourth" test ! -e "$AH_CONFIG/archive/$N/cert4.pem"

# --- cli.ini with a deploy hook ---
ini="$AH_CONFIG/cli.ini"
printf 'deploy-hook = touch %s/hook-ran\n' "$AH_T" >"$ini"
chmod 0644 "$ini"
ah_issue hook.example.test
ah_expect_ok "certonly with a root-owned 0644 cli.ini"
check "its deploy hook ran" test -e "$AH_T/hook-ran"
rm -f "$AH_T/hook-ran"

chown nobody "$ini"
before=$(orders)
ah_issue hook2.example.test
ah_expect_fail 2 "refusing $ini: it is owned by uid $NOBODY" \
  "cli.ini owned by nobody is refused with exit 2, naming it and the owner"
check "its hook did not run" test ! -e "$AH_T/hook-ran"
check "nothing was ordered" test "$(orders)" -eq "$before"
chown root "$ini"
chmod 0664 "$ini"
ah_issue hook2.example.test
ah_expect_fail 2 "refusing $ini: it is writable by group or others \\(mode 0664" \
  "a group-writable cli.ini is refused"
chmod 0644 "$ini"

# --- -c FILE in a directory its group can write ---
mkdir -p "$AH_T/shared"
chmod 0775 "$AH_T/shared"
cp "$ini" "$AH_T/shared/cli.ini"
rm -f "$ini"
ah_run certonly --webroot -w "$AH_WEBROOT" -d hook2.example.test -n --server "$AH_DIR_URL" \
  -c "$AH_T/shared/cli.ini"
ah_expect_fail 2 "its directory $AH_T/shared is writable by group or others \\(mode 0775" \
  "-c FILE in a group-writable directory is refused"
chmod 0755 "$AH_T/shared"
ah_run certonly --webroot -w "$AH_WEBROOT" -d hook2.example.test -n --server "$AH_DIR_URL" \
  -c "$AH_T/shared/cli.ini"
ah_expect_ok "-c FILE once its directory is 0755"
check "its deploy hook ran" test -e "$AH_T/hook-ran"
ah_verify_cert hook2.example.test

ah_finish
