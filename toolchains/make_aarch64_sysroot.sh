#!/usr/bin/env bash
# Prepares an aarch64 cross build on Debian 12 (x86-64): installs the cross
# compiler and qemu-user, and unpacks Debian's arm64 packages of the build's
# dependencies into a sysroot folder (default: build-aarch64-sysroot).
#
# The arm64 -dev packages are unpacked rather than installed: libdnnl-dev:arm64
# cannot be co-installed with the amd64 one (their dnnl_config.h differ), and
# a folder keeps the host's package set untouched.
#
#   toolchains/make_aarch64_sysroot.sh [SYSROOT]
#   cmake -S . -B build-aarch64 -G Ninja -DCMAKE_TOOLCHAIN_FILE=toolchains/aarch64-linux-gnu.cmake
#   cmake --build build-aarch64 && ctest --test-dir build-aarch64   # tests run under qemu-aarch64
set -euo pipefail
cd "$(dirname "$0")/.."
SYSROOT="$(realpath -m "${1:-build-aarch64-sysroot}")"
if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  $SUDO dpkg --add-architecture arm64
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends g++-aarch64-linux-gnu qemu-user >/dev/null

# Libraries and headers the build links or includes (arm64 builds), and the
# architecture-independent header packages the CMake configs come from.
PACKAGES=(
  libdnnl2:arm64 libdnnl-dev:arm64
  libsleef3:arm64 libsleef-dev:arm64
  libflatbuffers2:arm64 libflatbuffers-dev:arm64
  nlohmann-json3-dev doctest-dev
)
DEBS="$(mktemp -d)"
trap 'rm -rf "$DEBS"' EXIT
chmod a+rwx "$DEBS"  # apt downloads as the _apt user
(cd "$DEBS" && apt-get download -qq "${PACKAGES[@]}")
rm -rf "$SYSROOT"
mkdir -p "$SYSROOT"
for deb in "$DEBS"/*.deb; do dpkg-deb -x "$deb" "$SYSROOT"; done
echo "aarch64 sysroot ready: $SYSROOT"
