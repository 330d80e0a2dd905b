// AVX2 WKV recurrences (x86-64); see wkv.h. Every function carries the
// target attribute instead of the file being built with -mavx2.
#include "wkv.h"

#if defined(__x86_64__)

#include <immintrin.h>

#define RWKV_EDGE_AVX2 __attribute__((target("avx2,fma,f16c")))

namespace rwkv_edge::wkv::avx2 {
namespace {

RWKV_EDGE_AVX2 inline float horizontal_sum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// The most head size the stack copies below take (official models use 64).
constexpr size_t kMaxHeadSize = 256;

}  // namespace

RWKV_EDGE_AVX2 bool wkv5(const float* r, const float* k, const float* v, const float* w, const float* u,
                         float* state, float* out, size_t n, size_t heads) {
  const size_t hs = n / heads;
  if (hs % 8 != 0) return false;
  for (size_t h = 0; h < heads; ++h) {
    const size_t o = h * hs;
    float* S = state + h * hs * hs;
    for (size_t j = 0; j < hs; ++j) out[o + j] = 0.0f;
    for (size_t i = 0; i < hs; ++i) {
      const __m256 ri = _mm256_set1_ps(r[o + i]), ki = _mm256_set1_ps(k[o + i]);
      const __m256 ui = _mm256_set1_ps(u[o + i]), wi = _mm256_set1_ps(w[o + i]);
      float* Si = S + i * hs;
      for (size_t j = 0; j < hs; j += 8) {  // the reference's expression, lane by lane
        const __m256 s = _mm256_loadu_ps(Si + j);
        const __m256 a = _mm256_mul_ps(ki, _mm256_loadu_ps(v + o + j));
        const __m256 y = _mm256_add_ps(_mm256_loadu_ps(out + o + j),
                                       _mm256_mul_ps(ri, _mm256_add_ps(_mm256_mul_ps(ui, a), s)));
        _mm256_storeu_ps(out + o + j, y);
        _mm256_storeu_ps(Si + j, _mm256_add_ps(a, _mm256_mul_ps(wi, s)));
      }
    }
  }
  return true;
}

RWKV_EDGE_AVX2 bool wkv7(const float* r, const float* w, const float* k, const float* v, const float* kk,
                         const float* a, float* state, float* out, size_t n, size_t heads) {
  const size_t hs = n / heads;
  if (hs % 8 != 0 || hs > kMaxHeadSize) return false;
  alignas(32) float b[kMaxHeadSize], neg_kk[kMaxHeadSize];
  for (size_t h = 0; h < heads; ++h) {
    const size_t o = h * hs;
    float* S = state + h * hs * hs;
    for (size_t j = 0; j < hs; ++j) {
      b[j] = kk[o + j] * a[o + j];
      neg_kk[j] = -kk[o + j];
    }
    for (size_t i = 0; i < hs; ++i) {
      float* Si = S + i * hs;
      __m256 sa8 = _mm256_setzero_ps();
      for (size_t l = 0; l < hs; l += 8)
        sa8 = _mm256_add_ps(sa8, _mm256_mul_ps(_mm256_loadu_ps(Si + l), _mm256_load_ps(neg_kk + l)));
      const __m256 sa = _mm256_set1_ps(horizontal_sum(sa8)), vi = _mm256_set1_ps(v[o + i]);
      __m256 y8 = _mm256_setzero_ps();
      for (size_t j = 0; j < hs; j += 8) {
        const __m256 s = _mm256_add_ps(
            _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(Si + j), _mm256_loadu_ps(w + o + j)),
                          _mm256_mul_ps(sa, _mm256_load_ps(b + j))),
            _mm256_mul_ps(vi, _mm256_loadu_ps(k + o + j)));
        _mm256_storeu_ps(Si + j, s);
        y8 = _mm256_add_ps(y8, _mm256_mul_ps(s, _mm256_loadu_ps(r + o + j)));
      }
      out[o + i] = horizontal_sum(y8);
    }
  }
  return true;
}

}  // namespace rwkv_edge::wkv::avx2

#else

namespace rwkv_edge::wkv::avx2 {
bool wkv5(const float*, const float*, const float*, const float*, const float*, float*, float*, size_t, size_t) {
  return false;
}
bool wkv7(const float*, const float*, const float*, const float*, const float*, const float*, float*, float*, size_t,
          size_t) {
  return false;
}
}  // namespace rwkv_edge::wkv::avx2

#endif
