#include "sleef_avx2.h"

#if defined(__x86_64__)

#include <immintrin.h>
#include <sleef.h>

namespace rwkv_edge::ref {

bool sleef_avx2_available() {
  static const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return ok;
}

void sleef_avx2_exp16(const float* x, float* out) {
  _mm256_storeu_ps(out, Sleef_expf8_u10avx2(_mm256_loadu_ps(x)));
  _mm256_storeu_ps(out + 8, Sleef_expf8_u10avx2(_mm256_loadu_ps(x + 8)));
}

void sleef_avx2_tanh16(const float* x, float* out) {
  _mm256_storeu_ps(out, Sleef_tanhf8_u10avx2(_mm256_loadu_ps(x)));
  _mm256_storeu_ps(out + 8, Sleef_tanhf8_u10avx2(_mm256_loadu_ps(x + 8)));
}

}  // namespace rwkv_edge::ref

#else

namespace rwkv_edge::ref {
bool sleef_avx2_available() { return false; }
void sleef_avx2_exp16(const float*, float*) {}
void sleef_avx2_tanh16(const float*, float*) {}
}  // namespace rwkv_edge::ref

#endif
