#!/usr/bin/env bash
# What an issuance creates and flushes in the config and work dirs, traced
# with strace: exactly the files, directories and links of the new
# version, its renewal file, its status record (once) and the record of
# the order, and nothing made only to be removed again (no write test
# files, no archive directory made and removed by the checks before the
# order). Flushed (fsync) are what a power cut must not take: the key and
# certificate files, the renewal file, each directory of the version once
# and the status record; not the record of the order. A renewal with a
# deploy hook writes its status record twice: pending before live/
# switches, done after. Lock files are opened with O_CREAT alone and are
# not counted (they stay, and are made once per name).
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ah_setup
ah_require_bin
ah_require_tool strace
ah_start_all

FIRST=first.io.example.test
L=io.example.test
TRACE="$AH_T/strace.out"

ah_issue "$FIRST"
ah_expect_ok "certonly $FIRST registers the account"

# traced ARGS...: acmehook ARGS with this test's directories under strace.
traced() {
  AH_WRAP=(strace -f -y -o "$TRACE"
    -e trace=openat,open,creat,mkdir,mkdirat,symlink,symlinkat,link,linkat,fsync,fdatasync)
  ah_run "$@"
  AH_WRAP=()
}

# report KIND: from the trace, what was created (KIND=made) or flushed
# (KIND=synced) under the config and work dirs, one a line, sorted, with
# the dirs as CONFIG/ and WORK/ and temporaries' random part as XXXXXX.
report() {
  python3 - "$1" "$TRACE" "$AH_CONFIG" "$AH_WORK" <<'EOF'
import re, sys
kind, trace, config, work = sys.argv[1:]
out = []
call = re.compile(r'^\d+ +(\w+)\((.*)\) += (-?\d+)')
for line in open(trace):
    m = call.match(line)
    if not m or int(m.group(3)) < 0:
        continue
    name, args = m.group(1), m.group(2)
    strs = re.findall(r'"((?:[^"\\]|\\.)*)"', args)
    path = None
    if kind == 'made':
        if name in ('openat', 'open') and 'O_EXCL' in args:
            path = strs[0]
        elif name == 'creat':
            path = strs[0]
        elif name in ('mkdir', 'symlink', 'link'):
            path = strs[-1]
    elif kind == 'synced' and name in ('fsync', 'fdatasync'):
        fd = re.match(r'\d+<(.*)>', args)
        path = fd.group(1) if fd else None
    if not path:
        continue
    for top, label in ((config, 'CONFIG'), (work, 'WORK')):
        if path == top or path.startswith(top + '/'):
            out.append(label + path[len(top):])
            break
out = [re.sub(r'\.tmp-[A-Za-z0-9]{6}$', '.tmp-XXXXXX', p) for p in out]
print('\n'.join(sorted(out)))
EOF
}

# expect KIND DESC LINES...: report KIND is exactly LINES (sorted here).
expect() {
  local kind=$1 desc=$2 want got
  shift 2
  want=$(printf '%s\n' "$@" | sort)
  got=$(report "$kind")
  if [ "$got" = "$want" ]; then
    pass "$desc"
  else
    fail "$desc: $(diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") | grep '^[<>]' | tr '\n' ' ')"
  fi
}

# --- a new lineage, no deploy steps ---------------------------------------
traced certonly --webroot -w "$AH_WEBROOT" -d "$L" -n --agree-tos -m test@example.test \
  --server "$AH_DIR_URL"
ah_expect_ok "certonly $L under strace"
ah_verify_cert "$L"
expect made "certonly $L creates its version, renewal file, one status record and the order's record" \
  "CONFIG/renewal/$L.conf.tmp-XXXXXX" \
  "WORK/orders/$L.key.pem.tmp-XXXXXX" "WORK/orders/$L.json.tmp-XXXXXX" \
  "CONFIG/archive/$L" \
  "CONFIG/archive/$L/privkey1.pem.tmp-XXXXXX" "CONFIG/archive/$L/cert1.pem.tmp-XXXXXX" \
  "CONFIG/archive/$L/chain1.pem.tmp-XXXXXX" "CONFIG/archive/$L/fullchain1.pem.tmp-XXXXXX" \
  "CONFIG/live/.$L-v1" \
  "CONFIG/live/.$L-v1/privkey.pem" "CONFIG/live/.$L-v1/cert.pem" \
  "CONFIG/live/.$L-v1/chain.pem" "CONFIG/live/.$L-v1/fullchain.pem" \
  "CONFIG/live/$L.new" \
  "CONFIG/status/$L.json.tmp-XXXXXX"
expect synced "certonly $L flushes the key, certificates, renewal file and status record, and each directory once" \
  "CONFIG/renewal/$L.conf.tmp-XXXXXX" "CONFIG/renewal" \
  "CONFIG/archive/$L/privkey1.pem.tmp-XXXXXX" "CONFIG/archive/$L/cert1.pem.tmp-XXXXXX" \
  "CONFIG/archive/$L/chain1.pem.tmp-XXXXXX" "CONFIG/archive/$L/fullchain1.pem.tmp-XXXXXX" \
  "CONFIG/archive/$L" "CONFIG/live/.$L-v1" "CONFIG/live" \
  "CONFIG/status/$L.json.tmp-XXXXXX" "WORK/orders"
check "the status record holds the version, its facts and the attempt" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
ok = (d["version"] == 1 and d["deploy_pending"] is False and d["cert"]["version"] == 1
      and d["last_outcome"] == "issued" and "failures" not in d)
sys.exit(0 if ok else 1)' "$AH_CONFIG/status/$L.json"

# --- a renewal with a deploy hook -----------------------------------------
HOOK="$AH_T/hook.sh"
cat >"$HOOK" <<EOF2
#!/bin/sh
echo "\$RENEWED_LINEAGE" >>"$AH_T/hook.log"
EOF2
chmod 755 "$HOOK"
traced renew --no-random-sleep-on-renew --force-renewal --cert-name "$L" --deploy-hook "$HOOK"
ah_expect_ok "renew --force-renewal $L with a deploy hook under strace"
ah_verify_cert "$L"
check "the deploy hook ran once" test "$(wc -l <"$AH_T/hook.log")" -eq 1
expect made "the renewal writes the status record twice (pending, then done) and keeps the records aside by links" \
  "CONFIG/renewal/$L.conf.tmp-XXXXXX" "CONFIG/renewal/$L.conf.kept" \
  "WORK/orders/$L.key.pem.tmp-XXXXXX" "WORK/orders/$L.json.tmp-XXXXXX" \
  "CONFIG/archive/$L/privkey2.pem.tmp-XXXXXX" "CONFIG/archive/$L/cert2.pem.tmp-XXXXXX" \
  "CONFIG/archive/$L/chain2.pem.tmp-XXXXXX" "CONFIG/archive/$L/fullchain2.pem.tmp-XXXXXX" \
  "CONFIG/live/.$L-v2" \
  "CONFIG/live/.$L-v2/privkey.pem" "CONFIG/live/.$L-v2/cert.pem" \
  "CONFIG/live/.$L-v2/chain.pem" "CONFIG/live/.$L-v2/fullchain.pem" \
  "CONFIG/live/$L.new" \
  "CONFIG/status/$L.json.kept" \
  "CONFIG/status/$L.json.tmp-XXXXXX" "CONFIG/status/$L.json.tmp-XXXXXX"
check "the status record says the deploy is done" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if d["version"] == 2 and d["deploy_pending"] is False and d["last_outcome"] == "renewed" else 1)' \
  "$AH_CONFIG/status/$L.json"

ah_finish
