#!/usr/bin/env bash
# Every test, as CI runs them (.ci/run installs the packages first):
#   1. the release build and every suite (with the short soak);
#   2. the same suites built with ASan + UBSan (gcc, float-cast-overflow too);
#   3. a fuzz smoke: every libFuzzer target briefly from its seed corpus (clang, ASan + UBSan);
#   4. the aarch64 cross build, its suites under qemu-aarch64.
# RWKV_EDGE_FUZZ_SMOKE_SECONDS sets step 3's seconds per target (default 15).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build
ctest --test-dir build --output-on-failure -V

cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRWKV_EDGE_SANITIZE=ON
cmake --build build-asan
ctest --test-dir build-asan --output-on-failure -j"$jobs"

RWKV_EDGE_CLI=$PWD/build/bin/rwkv-edge fuzz/run.sh all "${RWKV_EDGE_FUZZ_SMOKE_SECONDS:-15}"

tests/run_aarch64.sh
