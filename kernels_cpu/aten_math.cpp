#include "aten_math.h"

#include <sleef.h>

#include <cmath>

#include "sleef_avx2.h"
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

// The vector formula for the full blocks of 16, the scalar one for the
// tail. `e` is the block's exp(0 - x) (or tanh / exp(x) for those ops): 16
// at a time through Sleef's AVX2 build when the CPU has it, else value by
// value through the FMA or portable scalar build (the same bits on FMA CPUs).
enum class Inner { ExpNeg, Exp, Tanh };

template <Inner kInner, typename Vector, typename Scalar>
void aten_unary(const float* x, float* out, size_t n, Vector vector_op, Scalar scalar_op) {
  const size_t vector_end = n - n % kAtenBlock;
  const bool wide = sleef_avx2_available();
  const UnaryFn one = kInner == Inner::Tanh ? sleef().tanh : sleef().exp;
  float in[kAtenBlock], e[kAtenBlock];
  for (size_t b = 0; b < vector_end; b += kAtenBlock) {
    for (size_t i = 0; i < kAtenBlock; ++i) in[i] = kInner == Inner::ExpNeg ? 0.0f - x[b + i] : x[b + i];
    if (wide) {
      kInner == Inner::Tanh ? sleef_avx2_tanh16(in, e) : sleef_avx2_exp16(in, e);
    } else {
      for (size_t i = 0; i < kAtenBlock; ++i) e[i] = one(in[i]);
    }
    for (size_t i = 0; i < kAtenBlock; ++i) out[b + i] = vector_op(x[b + i], e[i]);
  }
  for (size_t i = vector_end; i < n; ++i) out[i] = scalar_op(x[i]);
}

}  // namespace

float aten_exp1(float x) { return sleef().exp(x); }

// exp and tanh use Sleef for every value, the tail too (ATen's scalar tail
// for these calls Sleef's scalar build).
void aten_exp(const float* x, float* out, size_t n) {
  const UnaryFn exp = sleef().exp;
  aten_unary<Inner::Exp>(x, out, n, [](float, float e) { return e; }, exp);
}

void aten_tanh(const float* x, float* out, size_t n) {
  const UnaryFn tanh = sleef().tanh;
  aten_unary<Inner::Tanh>(x, out, n, [](float, float t) { return t; }, tanh);
}

void aten_sigmoid(const float* x, float* out, size_t n) {
  aten_unary<Inner::ExpNeg>(
      x, out, n, [](float, float e) { return 1.0f / (e + 1.0f); },
      [](float v) { return 1.0f / (1.0f + std::exp(-v)); });
}

void aten_silu(const float* x, float* out, size_t n) {
  // -v and 0 - v differ only at v = +-0, where exp gives 1 either way.
  aten_unary<Inner::ExpNeg>(
      x, out, n, [](float v, float e) { return v / (1.0f + e); },
      [](float v) { return v / (1.0f + std::exp(-v)); });
}

}  // namespace rwkv_edge::ref
