#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine (as root): dependencies,
# a warnings-as-errors build, then every ctest test (unit, integration, fuzz
# corpora), the unit tests and corpora again under sanitizers, and a short
# libFuzzer run of every fuzz target. Exits non-zero when anything fails.
# Extra arguments go to ctest (e.g. `bash tests/run.sh -L integration`) and
# skip the sanitizer and fuzzing passes. BUILD_DIR overrides build/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BUILD_DIR=${BUILD_DIR:-build}
bash tests/deps.sh
cmake -S . -B "$BUILD_DIR" -DACMEHOOK_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DACMEHOOK_TESTPOINTS=ON
cmake --build "$BUILD_DIR" -j"$(nproc)"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 "$@"

# The unit tests and the fuzz corpora once more under AddressSanitizer and
# UndefinedBehaviorSanitizer (leaks included), which catch memory errors a
# passing test can hide. Skipped when ctest arguments select something else.
if [ $# -eq 0 ]; then
  cmake -S . -B "$BUILD_DIR-asan" -DACMEHOOK_WERROR=ON -DACMEHOOK_SANITIZE=ON \
    -DCMAKE_BUILD_TYPE=Debug
  cmake --build "$BUILD_DIR-asan" -j"$(nproc)"
  ctest --test-dir "$BUILD_DIR-asan" --output-on-failure -j2 -L 'unit|fuzz'
fi

# The libFuzzer build of tests/fuzz/README.md, when clang is there: it must
# build as documented, and each target fuzzes for a few seconds from its
# seed corpus (up to one target per CPU at a time). A crash, a broken
# property (abort), a leak or an input slower than 20 s fails the run; the
# input that did it stays in $BUILD_DIR-fuzz/fuzz-run/<target>/. New inputs
# go there too, never into the committed corpus.
fuzz_one() {
  local name=$1 dir="$BUILD_DIR-fuzz/fuzz-run/$1" seeds=()

  mkdir -p "$dir"
  if [ -d "tests/fuzz/corpus/$name" ]; then
    seeds=("tests/fuzz/corpus/$name")
  fi
  if "$BUILD_DIR-fuzz/tests/fuzz/$name" -max_total_time=5 -timeout=20 \
    -artifact_prefix="$dir/" "$dir" "${seeds[@]}" >"$dir.log" 2>&1; then
    echo "fuzz $name: passed ($(grep -o 'Done [0-9]* runs' "$dir.log" || echo done))"
  else
    echo "fuzz $name: FAILED (log: $dir.log)"
    tail -n 40 "$dir.log"
    return 1
  fi
}

if [ $# -eq 0 ] && command -v clang >/dev/null; then
  CC=clang cmake -S . -B "$BUILD_DIR-fuzz" -DACMEHOOK_WERROR=ON -DACMEHOOK_FUZZ=ON -DACMEHOOK_SANITIZE=ON
  cmake --build "$BUILD_DIR-fuzz" -j"$(nproc)"
  rm -rf "$BUILD_DIR-fuzz/fuzz-run"
  fuzz_failed=0 running=0
  for bin in "$BUILD_DIR-fuzz"/tests/fuzz/fuzz_*; do
    name=$(basename "$bin")
    case $name in *_replay) continue ;; esac
    [ -f "$bin" ] && [ -x "$bin" ] || continue
    if [ "$running" -ge "$(nproc)" ]; then
      wait -n || fuzz_failed=1
      running=$((running - 1))
    fi
    fuzz_one "$name" &
    running=$((running + 1))
  done
  while [ "$running" -gt 0 ]; do
    wait -n || fuzz_failed=1
    running=$((running - 1))
  done
  if [ "$fuzz_failed" -ne 0 ]; then
    echo "fuzzing found a failure: see the FAILED targets above" >&2
    exit 1
  fi
fi
