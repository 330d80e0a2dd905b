#!/bin/sh
# Compiles the CUDA backend for Jetson Orin (aarch64 host code, sm_87 device
# code) with the x86-64 toolkit's nvcc and Debian's aarch64 g++: what can be
# checked without an aarch64 CUDA runtime to link against (that needs a
# JetPack sysroot: toolchains/jetson-orin.cmake, docs/jetson.md). The CUDA
# headers do not depend on the host architecture, so the x86-64 ones serve.
set -eu
cd "$(dirname "$0")/../.."
NVCC=${NVCC:-/usr/local/cuda/bin/nvcc}
if [ ! -x "$NVCC" ] || ! command -v aarch64-linux-gnu-g++ >/dev/null; then
  echo "SKIPPED: Jetson compile check needs $NVCC and aarch64-linux-gnu-g++"; exit 0
fi
GEN=${1:-build/schema/generated}
[ -f "$GEN/rwkv_edge_generated.h" ] || { echo "no generated schema header in $GEN (build first)"; exit 1; }
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
cuda_inc=$(dirname "$NVCC")/../targets/x86_64-linux/include
inc="-Ikernels_cpu -Ikernels_cuda -Iruntime -Iruntime/include -I$GEN"
for f in kernels_cuda/*.cu; do
  "$NVCC" -ccbin aarch64-linux-gnu-g++ -std=c++20 --expt-relaxed-constexpr -Werror=all-warnings \
    -Xcompiler=-Wall,-Wextra,-Werror,-fno-exceptions,-fno-rtti -arch=sm_87 -I"$cuda_inc" $inc -c "$f" \
    -o "$out/$(basename "$f").o"
done
aarch64-linux-gnu-g++ -std=c++20 -Wall -Wextra -Werror -fno-exceptions -fno-rtti -isystem "$cuda_inc" $inc \
  -c runtime/cuda_backend.cpp -o "$out/cuda_backend.o"
file "$out"/*.o | grep -c "ARM aarch64" | xargs -I{} echo "Jetson compile check: {} aarch64 objects (sm_87 device code), ok"
