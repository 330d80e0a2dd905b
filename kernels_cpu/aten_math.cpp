#include "aten_math.h"

#include <sleef.h>

#include <cmath>

#include "sleef_fma.h"

namespace rwkv_edge::ref {
namespace {

// Values per ATen vectorized-loop iteration (2 x Vectorized<float> on AVX2).
constexpr size_t kAtenBlock = 16;

float vector_expf(float x) { return sleef_fma_available() ? sleef_fma_expf(x) : Sleef_expf1_u10purec(x); }
float vector_tanhf(float x) { return sleef_fma_available() ? sleef_fma_tanhf(x) : Sleef_tanhf1_u10purec(x); }

// The vector lambda for the full blocks, the scalar one for the tail.
template <typename Vector, typename Scalar>
void aten_unary(const float* x, float* out, size_t n, Vector vector_op, Scalar scalar_op) {
  const size_t vector_end = n - n % kAtenBlock;
  for (size_t i = 0; i < vector_end; ++i) out[i] = vector_op(x[i]);
  for (size_t i = vector_end; i < n; ++i) out[i] = scalar_op(x[i]);
}

}  // namespace

float aten_exp1(float x) { return vector_expf(x); }

void aten_exp(const float* x, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = vector_expf(x[i]);
}

void aten_tanh(const float* x, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = vector_tanhf(x[i]);
}

void aten_sigmoid(const float* x, float* out, size_t n) {
  aten_unary(
      x, out, n, [](float v) { return 1.0f / (vector_expf(0.0f - v) + 1.0f); },
      [](float v) { return 1.0f / (1.0f + std::exp(-v)); });
}

void aten_silu(const float* x, float* out, size_t n) {
  aten_unary(
      x, out, n, [](float v) { return v / (1.0f + vector_expf(-v)); },
      [](float v) { return v / (1.0f + std::exp(-v)); });
}

}  // namespace rwkv_edge::ref
