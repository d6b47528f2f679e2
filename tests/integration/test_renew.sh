#!/usr/bin/env bash
# Renewal: "not due" re-runs, --force-renewal adding archive versions and
# switching live/ links, `renew` with and without --force-renewal, the short
# `certonly -n -d NAME` form using stored settings, and --deploy-hook
# environment (RENEWED_LINEAGE, RENEWED_DOMAINS) at issuance and at renewal.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all --eab

A=renew.example.test
B=hook.renew.example.test
B2=www.hook.renew.example.test
live="$AH_CONFIG/live/$A"
arch="$AH_CONFIG/archive/$A"

# links_point_at NAME N: every live/NAME/*.pem resolves to archive/NAME/*N.pem.
links_point_at() {
  local name=$1 n=$2 f got want
  for f in cert chain fullchain privkey; do
    got=$(readlink -f "$AH_CONFIG/live/$name/$f.pem" 2>/dev/null) || return 1
    want=$(ah_realpath "$AH_CONFIG/archive/$name/$f$n.pem")
    [ "$got" = "$want" ] || { echo "live/$name/$f.pem -> $got, want $want" >&2; return 1; }
  done
}

# --- first issuance ---
ah_issue "$A"
ah_expect_ok "certonly $A"
ah_verify_cert "$A"
check "archive/$A has version 1 only" test "$(ah_archive_versions "$A")" -eq 1
check "live/$A links point at version 1" links_point_at "$A" 1
serial1=$(ah_serial "$live/cert.pem")

# --- same command again: not due ---
ah_issue "$A"
ah_expect_ok "re-run of the same certonly exits 0"
check "re-run says the certificate is not due" ah_output_matches 'not due|not yet due'
check "re-run: archive still has only version 1" test "$(ah_archive_versions "$A")" -eq 1
check "re-run: serial unchanged" test "$(ah_serial "$live/cert.pem")" = "$serial1"

# --- --force-renewal: version 2 ---
ah_run certonly --webroot -w "$AH_WEBROOT" -d "$A" -n --server "$AH_DIR_URL" --force-renewal
ah_expect_ok "certonly --force-renewal"
check "archive/$A/cert2.pem exists" test -s "$arch/cert2.pem"
check "archive/$A/privkey2.pem exists" test -s "$arch/privkey2.pem"
check "live/$A links point at version 2" links_point_at "$A" 2
serial2=$(ah_serial "$live/cert.pem")
check "forced renewal has a new serial ($serial1 -> $serial2)" test "$serial1" != "$serial2"
check "version 1 kept in the archive" test -s "$arch/cert1.pem"
ah_verify_cert "$A"
check "no tokens left after forced renewal" ah_no_tokens

# --- a second lineage with a deploy hook ---
hookout="$AH_T/hook.out"
# The hook appends one line per run: LINEAGE|DOMAINS
hook="printf '%s|%s\n' \"\$RENEWED_LINEAGE\" \"\$RENEWED_DOMAINS\" >> '$hookout'"
ah_run certonly --webroot -w "$AH_WEBROOT" -d "$B" -d "$B2" -n --server "$AH_DIR_URL" \
  --deploy-hook "$hook"
ah_expect_ok "certonly with --deploy-hook"
ah_verify_cert "$B" "$B" "$B2"
check "deploy hook ran once at issuance" test "$(wc -l <"$hookout" 2>/dev/null || echo 0)" -eq 1
check_hook_line() {
  local line lineage domains
  line=$(sed -n "${1}p" "$hookout" 2>/dev/null)
  lineage=${line%%|*}
  domains=${line#*|}
  [ "$(ah_realpath "$lineage")" = "$(ah_realpath "$AH_CONFIG/live/$B")" ] ||
    { echo "RENEWED_LINEAGE='$lineage'" >&2; return 1; }
  # Space-separated, all names, no others (order not asserted).
  [ "$(tr ' ' '\n' <<<"$domains" | grep -v '^$' | sort | tr '\n' ' ')" = \
    "$(printf '%s\n' "$B" "$B2" | sort | tr '\n' ' ')" ] ||
    { echo "RENEWED_DOMAINS='$domains'" >&2; return 1; }
}
check "RENEWED_LINEAGE is live/$B and RENEWED_DOMAINS lists both names" check_hook_line 1
check "renewal/$B.conf records the deploy hook" grep -qF "$hookout" "$AH_CONFIG/renewal/$B.conf"

# --- renew with nothing due ---
before=$(ah_snapshot)
ah_run renew
ah_expect_ok "renew with nothing due exits 0"
check "renew with nothing due changes nothing" test "$before" = "$(ah_snapshot)"
check "renew with nothing due does not run the deploy hook" test "$(wc -l <"$hookout")" -eq 1

# --- renew --force-renewal: version 3 of A, version 2 of B, hook from the renewal conf ---
ah_run renew --force-renewal
ah_expect_ok "renew --force-renewal"
check "archive/$A/cert3.pem exists" test -s "$arch/cert3.pem"
check "live/$A links point at version 3" links_point_at "$A" 3
check "live/$B links point at version 2" links_point_at "$B" 2
ah_verify_cert "$A"
ah_verify_cert "$B" "$B" "$B2"
check "deploy hook ran again at renewal (stored in renewal conf)" test "$(wc -l <"$hookout")" -eq 2
check "renewal hook environment is right" check_hook_line 2
check "$A was not given the hook" bash -c "! grep -q '$AH_CONFIG/live/$A|' '$hookout'"
check "no tokens left after renew" ah_no_tokens

# --- the short form: lineage exists, settings come from renewal/A.conf ---
before=$(ah_snapshot)
ah_run certonly -n -d "$A"
ah_expect_ok "certonly -n -d $A (stored settings) exits 0"
check "short form says not due" ah_output_matches 'not due|not yet due'
check "short form changes nothing" test "$before" = "$(ah_snapshot)"
check "archive/$A still has 3 versions" test "$(ah_archive_versions "$A")" -eq 3

ah_finish
