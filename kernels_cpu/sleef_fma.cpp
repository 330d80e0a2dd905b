#include "sleef_fma.h"

// sleef.h declares its FMA builds only when math.h reports fast FMA, which
// glibc's does under GCC's -mfma but not clang's; this file is built with
// -mfma, so say it here for both.
#include <cmath>
#if defined(__FMA__) && !defined(FP_FAST_FMA)
#define FP_FAST_FMA
#endif
#if defined(__FMA__) && !defined(FP_FAST_FMAF)
#define FP_FAST_FMAF
#endif
#include <sleef.h>

namespace rwkv_edge::ref {

bool sleef_fma_available() {
#if defined(__x86_64__)
  static const bool has_fma = __builtin_cpu_supports("fma");
  return has_fma;
#else
  return true;  // aarch64 always has FMA
#endif
}

float sleef_fma_expf(float x) { return Sleef_expf1_u10purecfma(x); }
float sleef_fma_tanhf(float x) { return Sleef_tanhf1_u10purecfma(x); }

}  // namespace rwkv_edge::ref
