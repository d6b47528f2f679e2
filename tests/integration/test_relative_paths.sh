#!/usr/bin/env bash
# Relative paths on the command line are stored absolute: a certificate
# made with `-w ./www --config-dir cfg ...` from one directory renews from
# cron's directory (/), and the deploy hook gets absolute paths.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all --eab

A=relative.example.test
here="$AH_T/jobdir"
hookout="$AH_T/hook.out"
mkdir -p "$here"
cd "$here"
wr=$(realpath --relative-to=. "$AH_WEBROOT")
ca=$(realpath --relative-to=. "$AH_CA_BUNDLE")
hook="printf '%s\n' \"\$RENEWED_LINEAGE\" >> '$hookout'"

AH_NO_DIRS=1 ah_run certonly --webroot -w "$wr" -d "$A" -n --agree-tos -m test@example.test \
  --server "$AH_DIR_URL" --eab-kid "$AH_EAB_KID" --eab-hmac-key "$AH_EAB_KEY" \
  --config-dir cfg --work-dir ./work --logs-dir logs --ca-bundle "$ca" --deploy-hook "$hook"
ah_expect_ok "certonly with relative -w, directories and CA bundle"

conf="$here/cfg/renewal/$A.conf"
check "the renewal file exists under the relative config dir" test -s "$conf"
check "the webroot is stored as an absolute path" grep -qF "$(realpath "$AH_WEBROOT")" "$conf"
check "the relative webroot is not stored as typed" bash -c "! grep -qE '(=|; *webroot-path=) *$wr( |;|\$)' '$conf'"
# Every path-valued line of the renewal file starts at the root.
check "archive_dir, cert, privkey, chain, fullchain are absolute" \
  bash -c "grep -E '^(archive_dir|cert|privkey|chain|fullchain) *=' '$conf' | sed 's/^[^=]*= *//' | grep -qv '^/' && exit 1 || exit 0"

# Renew as cron would: from /, with the directories given absolute.
cd /
AH_NO_DIRS=1 ah_run renew --force-renewal --config-dir "$here/cfg" --work-dir "$here/work" \
  --logs-dir "$here/logs" --ca-bundle "$AH_CA_BUNDLE"
ah_expect_ok "renew --force-renewal from / with the stored settings"
check "renewal made version 2" test -s "$here/cfg/archive/$A/cert2.pem"
AH_CONFIG="$here/cfg" ah_verify_cert "$A"
check "the deploy hook ran twice" test "$(wc -l <"$hookout")" -eq 2
check "the deploy hook got absolute lineage paths" bash -c "! grep -qv '^/' '$hookout'"
check "the deploy hook's lineage is the live directory" grep -qxF "$here/cfg/live/$A" "$hookout"
ah_finish
