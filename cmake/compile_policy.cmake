# Project-wide compile policy, and the embedded profile for runtime and kernels.
function(rwkv_edge_compile_policy target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror)
  # GCC 12 reports std::string operator+ at -O3 as an overlapping memcpy
  # (GCC bug 105651, a false positive); the check is useless there.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  # Numerics follow the official package's float rounding step by step; the
  # compiler must not fuse a multiply and an add on its own (it would on
  # aarch64 or with -mfma). Kernels that want FMA ask for it explicitly.
  target_compile_options(${target} PRIVATE -ffp-contract=off)
endfunction()

# Runtime and kernels: no exceptions, no RTTI (they run on devices).
function(rwkv_edge_embedded target)
  rwkv_edge_compile_policy(${target})
  target_compile_options(${target} PRIVATE -fno-exceptions -fno-rtti)
endfunction()
