#!/usr/bin/env bash
# `renew` with nothing due over several lineages of one CA that offers no
# renewal information: the CA's directory is fetched once for the run,
# not once a lineage, and nothing else is asked of it.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_start_all --eab
ah_start_faultproxy --seed 1

for n in a b c d; do
  ah_issue "$n.once.example.test"
  ah_expect_ok "certonly $n.once.example.test"
done
dirs_before=$(ah_proxy_count kinds dir)
posts_before=$(ah_proxy_count requests POST)
ah_run renew
ah_expect_ok "renew with nothing due"
check "no lineage was due" ah_output_matches 'No renewals were attempted'
dirs=$(( $(ah_proxy_count kinds dir) - dirs_before ))
check "the directory was fetched once for four lineages ($dirs)" test "$dirs" -eq 1
check "nothing was posted to the CA" test "$(ah_proxy_count requests POST)" -eq "$posts_before"
ah_finish
