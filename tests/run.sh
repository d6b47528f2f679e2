#!/usr/bin/env bash
# The whole test suite on a fresh Debian 12 machine (as root): dependencies,
# a warnings-as-errors build, then every ctest test (unit, integration, fuzz
# corpora). Exits non-zero when anything fails. Extra arguments go to ctest
# (e.g. `bash tests/run.sh -L integration`). BUILD_DIR overrides build/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BUILD_DIR=${BUILD_DIR:-build}
bash tests/deps.sh
cmake -S . -B "$BUILD_DIR" -DACMEHOOK_WERROR=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$BUILD_DIR" -j"$(nproc)"
ctest --test-dir "$BUILD_DIR" --output-on-failure -j2 "$@"
