#!/usr/bin/env bash
# Every test, as CI runs them (.ci/run installs the packages first):
#   1. the release build and every suite (with the short soak);
#   1b. the same suites again as on a CPU without SIMD (RWKV_EDGE_CPU=baseline);
#   2. the same suites built with clang, ASan + UBSan (float-cast-overflow included, no
#      recovery) in one build with the fuzz targets (test_prefill's shared-fixture shapes
#      are left to step 1: test_prefill_mini runs the same code on the committed fixtures);
#   3. a fuzz smoke: every libFuzzer target briefly from its seeds and regressions;
#   4. the aarch64 cross build, its suites under qemu-aarch64;
#   5. the CUDA sources compiled for Jetson Orin (aarch64 + sm_87). Step 1 already
#      compiled them for sm_87 and sm_90 when nvcc is installed (RWKV_EDGE_CUDA); GPU
#      suites skip with the driver's reason on a machine without a CUDA device.
# RWKV_EDGE_FUZZ_SMOKE_SECONDS sets step 3's seconds per target (default 10).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

# The README's first command may have configured build/ without the suites.
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DRWKV_EDGE_BUILD_TESTS=ON
cmake --build build
grep -q '^RWKV_EDGE_CUDA:BOOL=ON' build/CMakeCache.txt && echo "CUDA backend: compiled (sm_87, sm_90)" ||
  echo "CUDA backend: not compiled (no nvcc found)"
ctest --test-dir build --output-on-failure -V -j"$jobs"
# The same suites as on a CPU without SIMD (scalar kernels everywhere): no test may
# depend on this machine's ISA unless it asks the CPU's features first.
# test_prefill's shared-fixture shapes are left out for time; test_prefill_mini runs.
RWKV_EDGE_CPU=baseline ctest --test-dir build --output-on-failure -j"$jobs" -E '^test_prefill$'

CC=clang CXX=clang++ cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRWKV_EDGE_FUZZ=ON
cmake --build build-sanitize
ctest --test-dir build-sanitize --output-on-failure -j"$jobs" -E '^test_prefill$'

RWKV_EDGE_FUZZ_BUILD=build-sanitize RWKV_EDGE_CLI=$PWD/build/bin/rwkv-edge \
  fuzz/run.sh all "${RWKV_EDGE_FUZZ_SMOKE_SECONDS:-10}"

tests/run_aarch64.sh

tests/dev/check_jetson_compile.sh build/schema/generated
