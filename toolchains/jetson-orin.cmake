# Cross build for NVIDIA Jetson Orin (aarch64, GPU sm_87) from an x86-64
# workstation: the aarch64 toolchain (aarch64-linux-gnu.cmake: compilers and
# the Debian arm64 sysroot for oneDNN, flatbuffers, Sleef) plus the host's
# nvcc driving the aarch64 compiler. docs/jetson.md has the steps.
#
# CMake links a test program with the target's CUDA runtime while it detects
# nvcc, so RWKV_EDGE_JETSON_CUDA must name an aarch64 CUDA target folder:
# a JetPack 6 sysroot's usr/local/cuda/targets/aarch64-linux, or
# /usr/local/cuda/targets/aarch64-linux from NVIDIA's cuda-cross-aarch64
# package. tests/dev/check_jetson_compile.sh compiles the CUDA sources for
# aarch64 + sm_87 without one (what CI can check).
include(${CMAKE_CURRENT_LIST_DIR}/aarch64-linux-gnu.cmake)

if(NOT RWKV_EDGE_JETSON_CUDA OR NOT EXISTS "${RWKV_EDGE_JETSON_CUDA}/lib/libcudart_static.a")
  message(FATAL_ERROR "jetson-orin: set -DRWKV_EDGE_JETSON_CUDA=<JetPack sysroot>/usr/local/cuda/targets/aarch64-linux "
                      "(a folder with include/ and lib/libcudart_static.a for aarch64); see docs/jetson.md")
endif()
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES RWKV_EDGE_JETSON_CUDA)

if(NOT CMAKE_CUDA_COMPILER)
  set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
endif()
set(CMAKE_CUDA_HOST_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_CUDA_ARCHITECTURES 87)
set(RWKV_EDGE_CUDA ON CACHE BOOL "Build the CUDA backend" FORCE)
# nvcc and FindCUDAToolkit look for the target's headers and libraries here.
set(CUDAToolkit_ROOT "${RWKV_EDGE_JETSON_CUDA}")
set(CMAKE_CUDA_FLAGS_INIT "-I${RWKV_EDGE_JETSON_CUDA}/include -L${RWKV_EDGE_JETSON_CUDA}/lib")
list(APPEND CMAKE_FIND_ROOT_PATH "${RWKV_EDGE_JETSON_CUDA}")
