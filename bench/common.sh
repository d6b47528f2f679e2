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

# bench_fresh_fs: mount a new, empty ext4 file system (a sparse 2 GiB image
# under /var/tmp, mounted over a loop device) and point TMPDIR at it, so
# that every client's state, the webroot and the servers' files live on a
# file system as a server's /etc would be, not on a /tmp where test suites
# have created and deleted millions of files: ext4 then spends most of a
# file creation looking for an inode that was not freed recently, and the
# client that creates the most files pays the most for this machine's
# history. Sets BENCH_FS (a description) and BENCH_FS_CLEANUP (the command
# that unmounts and removes it); leaves TMPDIR alone, with BENCH_FS saying
# why, when it cannot (not root, no loop device, BENCH_FRESH_FS=0).
bench_fresh_fs() {
  local img mnt
  BENCH_FS="${TMPDIR:-/tmp} as it is" BENCH_FS_CLEANUP=:
  if [ "${BENCH_FRESH_FS:-1}" = 0 ]; then
    BENCH_FS="$BENCH_FS (BENCH_FRESH_FS=0)"
    return 0
  fi
  if [ "$(id -u)" -ne 0 ] || ! command -v mkfs.ext4 >/dev/null || ! command -v losetup >/dev/null; then
    BENCH_FS="$BENCH_FS (a fresh file system needs root, mkfs.ext4 and losetup)"
    return 0
  fi
  img=$(mktemp /var/tmp/acmehook-bench-fs.XXXXXX) || return 0
  mnt=$(mktemp -d /var/tmp/acmehook-bench-mnt.XXXXXX) || { rm -f "$img"; return 0; }
  if ! truncate -s 2G "$img" || ! mkfs.ext4 -q -F "$img" >/dev/null 2>&1 ||
    ! mount -o loop "$img" "$mnt" 2>/dev/null; then
    rm -f "$img"
    rmdir "$mnt"
    BENCH_FS="$BENCH_FS (no loop mount here)"
    return 0
  fi
  chmod 1777 "$mnt"
  export TMPDIR=$mnt
  BENCH_FS="a fresh ext4 file system (2 GiB loop image) for every client's files"
  # shellcheck disable=SC2034 # run by the caller's EXIT trap
  BENCH_FS_CLEANUP="umount -l '$mnt'; rmdir '$mnt'; rm -f '$img'"
}
