#!/usr/bin/env bash
# A deploy that failed is retried: a --deploy-hook or a Lua deploy step
# that fails leaves the lineage "deploy pending" (exit 1, shown by
# `certificates`, text and --json); every later certonly/renew runs the
# deploy steps again on the version live/ serves, without a new order,
# and exits 1 while they keep failing; once they succeed the pending
# state is gone and later runs deploy nothing.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all

FLAG="$AH_T/deploy-fails"
HOOKLOG="$AH_T/hook.log"
HOOK="$AH_T/hook.sh"
# The hook records which certificate it saw, and fails while FLAG exists.
cat >"$HOOK" <<EOF2
#!/bin/sh
serial=\$(openssl x509 -in "\$RENEWED_LINEAGE/cert.pem" -noout -serial | sed 's/^serial=//' | tr 'A-F' 'a-f' | sed 's/^0*//')
echo "\$RENEWED_DOMAINS \$serial" >>"$HOOKLOG"
[ ! -e "$FLAG" ]
EOF2
chmod 755 "$HOOK"
hook_runs() { if [ -f "$HOOKLOG" ]; then wc -l <"$HOOKLOG"; else echo 0; fi; }
live_serial() { ah_serial "$AH_CONFIG/live/$1/cert.pem"; }
# json_field NAME FIELD: FIELD of lineage NAME in `certificates --json`.
json_field() {
  python3 -c 'import json,sys
for o in json.load(open(sys.argv[1])):
    if o["name"] == sys.argv[2]:
        v = o.get(sys.argv[3]); print(json.dumps(v)); break' "$AH_OUT" "$1" "$2"
}

# --- --deploy-hook ---
L=hook.example.test
: >"$FLAG"
AH_ISSUE_EXTRA="--deploy-hook $HOOK" ah_issue "$L"
ah_expect_fail 1 "deploy hook .*failed" "issuance whose deploy hook fails exits 1"
ah_verify_cert "$L"
check "the hook ran once" test "$(hook_runs)" -eq 1
ah_run certificates
ah_expect_ok "certificates"
check "certificates shows the deploy of $L pending" ah_output_matches 'Deploy: pending \(deploy hook .*failed'
ah_run certificates --json
check "certificates --json: deploy_pending is true" test "$(json_field "$L" deploy_pending)" = true
check "certificates --json: deploy_error names the hook" \
  bash -c "[[ \$(python3 -c 'import json,sys; print([o.get(\"deploy_error\",\"\") for o in json.load(open(sys.argv[1]))][0])' '$AH_OUT') == *hook* ]]"
check "certificates --json: state ok" test "$(json_field "$L" state)" = '"ok"'
check "the status record says version 1 is pending" \
  grep -q '"deploy_pending":[[:space:]]*true' "$AH_CONFIG/status/$L.json"

serial1=$(live_serial "$L")
ah_run renew
ah_expect_fail 1 "deploy of $L \(version 1\) is still pending" "renew retries the failing hook and exits 1"
check "the hook ran again" test "$(hook_runs)" -eq 2
check "no new order: archive/$L still holds one version" test "$(ah_archive_versions "$L")" -eq 1
check "live/$L unchanged" test "$(live_serial "$L")" = "$serial1"

AH_ISSUE_EXTRA="--deploy-hook $HOOK" ah_issue "$L"
ah_expect_fail 1 "still pending" "certonly for the same names retries it too and exits 1"
check "the hook ran a third time" test "$(hook_runs)" -eq 3
check "still no new order" test "$(ah_archive_versions "$L")" -eq 1

rm -f "$FLAG"
ah_run renew
ah_expect_ok "renew after the hook is fixed"
check "it says the pending deploy is done" ah_output_matches "Deployed $L \(version 1\)"
check "the hook ran a fourth time, for the live certificate" \
  test "$(tail -n 1 "$HOOKLOG")" = "$L $serial1"
check "no new order" test "$(ah_archive_versions "$L")" -eq 1
ah_run certificates --json
check "certificates --json: deploy_pending is false" test "$(json_field "$L" deploy_pending)" = false
ah_run certificates
check "certificates no longer shows a pending deploy" bash -c "! grep -q 'Deploy: pending' '$AH_OUT'"
ah_run renew
ah_expect_ok "renew with nothing pending"
check "it was not due" ah_output_matches 'not yet due'
check "the hook did not run again" test "$(hook_runs)" -eq 4

# A renewal with the hook working deploys at once and leaves nothing pending.
ah_run renew --force-renewal --cert-name "$L"
ah_expect_ok "forced renewal"
check "the hook ran for the renewed certificate" \
  test "$(tail -n 1 "$HOOKLOG")" = "$L $(live_serial "$L")"
check "nothing pending after it" grep -q '"deploy_pending":[[:space:]]*false' "$AH_CONFIG/status/$L.json"

# --- a Lua deploy step ---
D=lua.example.test
OUTCERT="$AH_T/lua-deployed.pem"
SCRIPT="$AH_T/deploy.lua"
cat >"$SCRIPT" <<'EOF2'
function deploy(cert)
  local flag = acme.secret("flag")
  acme.copy_file(cert.fullchain, acme.secret("out"), "0644")
  if acme.read_file(flag) then error("the flag file " .. flag .. " is present") end
end
EOF2
CRED="$AH_T/deploy.ini"
(umask 077 && printf 'flag = %s\nout = %s\n' "$FLAG" "$OUTCERT" >"$CRED")
: >"$FLAG"
AH_ISSUE_EXTRA="--deploy-script $SCRIPT --deploy-script-credentials $CRED" ah_issue "$D"
ah_expect_fail 1 "flag file" "issuance whose Lua deploy step fails exits 1"
ah_verify_cert "$D"
ah_run certificates --json
check "certificates --json: the Lua step's deploy is pending" test "$(json_field "$D" deploy_pending)" = true
rm -f "$OUTCERT"
ah_run renew --cert-name "$D"
ah_expect_fail 1 "deploy of $D \(version 1\) is still pending" "renew retries the Lua step and exits 1"
check "the Lua step ran again" test -s "$OUTCERT"
check "no new order for $D" test "$(ah_archive_versions "$D")" -eq 1
rm -f "$FLAG" "$OUTCERT"
ah_run renew --cert-name "$D"
ah_expect_ok "renew after the Lua step is fixed"
check "the Lua step deployed the live certificate" cmp -s "$OUTCERT" "$AH_CONFIG/live/$D/fullchain.pem"
ah_run certificates --json
check "certificates --json: nothing pending for $D" test "$(json_field "$D" deploy_pending)" = false

ah_finish
