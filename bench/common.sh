# shellcheck shell=bash
# Helpers shared by the bench/ scripts (they need REPO_DIR set).

blog() { printf 'bench: %s\n' "$*" >&2; }

# bench_snapshot_acmehook DIR: copy AH_BIN and the plugins beside it
# (BUILD/lib/acmehook/plugins, found relative to the binary) into DIR and
# point AH_BIN there, so that a rebuild of the checkout during a long run
# cannot mix two builds into one set of numbers. Sets AH_LABEL.
bench_snapshot_acmehook() {
  local dst=$1 root sha v g d=""
  [ -x "$AH_BIN" ] || return 1
  root=$(cd "$(dirname "$AH_BIN")/.." && pwd)
  mkdir -p "$dst/bin"
  cp "$AH_BIN" "$dst/bin/acmehook" || return 1
  if [ -d "$root/lib/acmehook" ]; then
    mkdir -p "$dst/lib"
    cp -r "$root/lib/acmehook" "$dst/lib/" || return 1
  fi
  AH_BIN="$dst/bin/acmehook"
  sha=$(sha256sum "$AH_BIN" | cut -c1-8)
  v=$("$AH_BIN" --version 2>/dev/null | awk '{print $2}')
  g=$(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo "?")
  [ -z "$(git -C "$REPO_DIR" status --porcelain -- core sdk plugins CMakeLists.txt 2>/dev/null)" ] ||
    d="+dirty"
  # shellcheck disable=SC2034 # read by the scripts that source this file
  AH_LABEL="${v:-?} (checkout $g$d, binary $sha)"
  export AH_BIN
}

# bench_servers NAME: start the harness's servers for benchmark NAME (lib.sh
# sourced first): DNS, nginx and Pebble with no injected badNonce errors, no
# authorization reuse and (lib.sh) no artificial validation delay, so that
# every client does the same work. Sets ROOT_PEM (Pebble's root) and B, a
# scratch directory.
bench_servers() {
  AH_TEST_NAME=$1
  ah_setup
  ah_start_all PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0
  ROOT_PEM="$AH_T/pebble-root.pem"
  ah_pebble_root "$ROOT_PEM" || ah_die "cannot fetch Pebble's root"
  B="$AH_T/bench"
  mkdir -p "$B"
}

# children_cpu_ms FILE: user+system ms of the shell's waited-for children, from
# the output of bash's `times` saved in FILE (`times` must run in the measuring
# shell itself, not in a $(...) subshell). Its ms precision beats GNU time's
# %U/%S (10 ms).
children_cpu_ms() {
  awk 'NR == 2 {
    t = 0
    for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] }
    printf "%d", t * 1000 + 0.5 }' "$1"
}
