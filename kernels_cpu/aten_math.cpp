#include "aten_math.h"

#include <sleef.h>

#include <cmath>

#include "sleef_fma.h"

namespace rwkv_edge::ref {
namespace {

// Values per ATen vectorized-loop iteration (2 x Vectorized<float> on AVX2).
constexpr size_t kAtenBlock = 16;

using UnaryFn = float (*)(float);

// Sleef's FMA build where the CPU has FMA, chosen once, so loops call one
// function without asking the CPU again.
struct SleefFunctions {
  UnaryFn exp;
  UnaryFn tanh;
};
const SleefFunctions& sleef() {
  // (sleef.h declares const-qualified return types; the lambdas drop them.)
  static const SleefFunctions chosen =
      sleef_fma_available() ? SleefFunctions{sleef_fma_expf, sleef_fma_tanhf}
                            : SleefFunctions{[](float v) -> float { return Sleef_expf1_u10purec(v); },
                                             [](float v) -> float { return Sleef_tanhf1_u10purec(v); }};
  return chosen;
}

// The vector formula for the full blocks, the scalar one for the tail.
template <typename Vector, typename Scalar>
void aten_unary(const float* x, float* out, size_t n, Vector vector_op, Scalar scalar_op) {
  const size_t vector_end = n - n % kAtenBlock;
  for (size_t i = 0; i < vector_end; ++i) out[i] = vector_op(x[i]);
  for (size_t i = vector_end; i < n; ++i) out[i] = scalar_op(x[i]);
}

}  // namespace

float aten_exp1(float x) { return sleef().exp(x); }

void aten_exp(const float* x, float* out, size_t n) {
  const UnaryFn exp = sleef().exp;
  for (size_t i = 0; i < n; ++i) out[i] = exp(x[i]);
}

void aten_tanh(const float* x, float* out, size_t n) {
  const UnaryFn tanh = sleef().tanh;
  for (size_t i = 0; i < n; ++i) out[i] = tanh(x[i]);
}

void aten_sigmoid(const float* x, float* out, size_t n) {
  const UnaryFn exp = sleef().exp;
  aten_unary(
      x, out, n, [exp](float v) { return 1.0f / (exp(0.0f - v) + 1.0f); },
      [](float v) { return 1.0f / (1.0f + std::exp(-v)); });
}

void aten_silu(const float* x, float* out, size_t n) {
  const UnaryFn exp = sleef().exp;
  aten_unary(
      x, out, n, [exp](float v) { return v / (1.0f + exp(-v)); },
      [](float v) { return v / (1.0f + std::exp(-v)); });
}

}  // namespace rwkv_edge::ref
