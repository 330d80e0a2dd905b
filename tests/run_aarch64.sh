#!/usr/bin/env bash
# Cross-builds for aarch64 and runs the architecture-sensitive suites under
# qemu-aarch64: reference ops and conformance (the official logits, now
# through the NEON float32 kernels), the NEON kernels against their scalar
# references, importers and runtime safety; prefill's matrix products
# (float and integer: SDOT when qemu's CPU has it) and WKV kernels against
# their references, sequence mode against step mode on the committed
# fixtures, int8 prefill inputs through a session, and state files. The
# allocation and quantization suites are left to the native run: under
# emulation they take minutes each and test nothing architecture-specific
# beyond what test_gemv covers.
set -euo pipefail
cd "$(dirname "$0")/.."
toolchains/make_aarch64_sysroot.sh build-aarch64-sysroot
cmake -S . -B build-aarch64 -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE=toolchains/aarch64-linux-gnu.cmake
cmake --build build-aarch64
ctest --test-dir build-aarch64 --output-on-failure -V \
  -R '^(test_reference_ops|test_importers|test_conformance|test_runtime_safety|test_gemv|test_matmul|test_matmul_i8|test_wkv|test_prefill_mini|test_prefill_int8|test_state_files)$'
