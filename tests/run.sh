#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine (as root): dependencies,
# a warnings-as-errors build, then every ctest test (unit, integration, fuzz
# corpora). Exits non-zero when anything fails. Extra arguments go to ctest
# (e.g. `bash tests/run.sh -L integration`). BUILD_DIR overrides build/.
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
