# Cross build for 64-bit ARM Linux with Debian's g++-aarch64-linux-gnu.
# Dependencies come from the sysroot folder toolchains/make_aarch64_sysroot.sh
# unpacks; tests run under qemu-aarch64 (ctest uses the emulator below).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

if(NOT RWKV_EDGE_AARCH64_SYSROOT)
  get_filename_component(RWKV_EDGE_AARCH64_SYSROOT "${CMAKE_CURRENT_LIST_DIR}/../build-aarch64-sysroot" ABSOLUTE)
endif()
if(NOT EXISTS "${RWKV_EDGE_AARCH64_SYSROOT}/usr/include/dnnl.h")
  message(FATAL_ERROR "no aarch64 sysroot at ${RWKV_EDGE_AARCH64_SYSROOT}: run toolchains/make_aarch64_sysroot.sh")
endif()
# Passed on to try_compile projects, which re-read this file.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES RWKV_EDGE_AARCH64_SYSROOT)

set(CMAKE_FIND_ROOT_PATH "${RWKV_EDGE_AARCH64_SYSROOT}" /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)  # flatc runs on the build machine
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# The arm64 libraries live in the sysroot, not the cross compiler's own tree.
set(_rwkv_edge_libs "${RWKV_EDGE_AARCH64_SYSROOT}/usr/lib/aarch64-linux-gnu")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,-rpath-link,${_rwkv_edge_libs}")
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64;-L;/usr/aarch64-linux-gnu;-E;LD_LIBRARY_PATH=${_rwkv_edge_libs})
