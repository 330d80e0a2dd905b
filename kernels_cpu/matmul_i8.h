// Integer matrix products for prefill over int8 matrices (opt-in:
// RWKV_EDGE_PREFILL_INPUTS_INT8). The float path (matmul.h) converts every
// weight to float and multiplies with fused multiply-adds: 8 products per
// instruction. Here the inputs are rounded to integers too, per token, and
// AVX2's vpmaddubsw multiplies 32 byte pairs per instruction: twice the
// products per cycle (docs/performance.md, "Prefill"). On aarch64, SDOT
// does 16 per instruction against FMLA's 4.
//
// The scheme, per token t of a chunk and matrix row r:
// - d_t = max|x_t| / 63 and q = round-half-even(x * (63 / max|x_t|)),
//   in [-63, 63]. Seven bits, not eight: vpmaddubsw adds two products
//   into an int16 with saturation, and 2 * 127 * 127 = 32258 is the most
//   that stays exact; q + 64 is its unsigned operand, so the kernel also
//   sums 64 * w over the row and takes it off;
// - y = float(sum_k q_k * w_k) * (s_r * d_t), s_r the row's I8 scale. The
//   integer sum is exact, so every kernel (any tile, any order) gives the
//   same bits as the reference below.
// A token whose inputs hold a NaN or an infinity gets NaN outputs; one whose
// largest input is 0 or subnormal gets zeros.
#pragma once

#include <cstdint>

#include "cpu_features.h"
#include "quantized_ops.h"

namespace rwkv_edge::matmul {

// Quantized inputs: tokens rows of `stride` bytes (q + 64, then zeros up to
// the stride), then a float scale d_t per token.
struct QuantizedInputs {
  const uint8_t* values = nullptr;
  const float* scales = nullptr;
  uint64_t tokens = 0, cols = 0, stride = 0;
};

inline constexpr int32_t kI8InputMax = 63, kI8InputOffset = 64;
// Columns past this could overflow the int32 sums (127 * 127 * cols).
inline constexpr uint64_t kI8MaxCols = uint64_t{1} << 17;

// A token's d_t and the multiplier its inputs are rounded with, from its
// largest |x| (`finite`: no NaN or infinity among them). inv = 0 means
// "every q is 0".
struct InputScale {
  float d, inv;
};
inline InputScale input_scale(float amax, bool finite) {
  if (!finite) return {__builtin_nanf(""), 0.0f};
  if (!(amax >= __FLT_MIN__)) return {0.0f, 0.0f};  // 63 / amax would overflow on a subnormal
  return {amax / static_cast<float>(kI8InputMax), static_cast<float>(kI8InputMax) / amax};
}

// One input as the definition stores it: x * inv rounded half to even (the
// default rounding mode, as the AVX2 conversion uses), clamped, plus 64.
inline uint8_t quantized_input(float x, float inv) {
  int32_t q = static_cast<int32_t>(__builtin_nearbyintf(x * inv));
  q = q < -kI8InputMax ? -kI8InputMax : q > kI8InputMax ? kI8InputMax : q;
  return static_cast<uint8_t>(q + kI8InputOffset);
}

// sum of q_k * w_k over columns [from, to) of one token's stored inputs.
inline int32_t input_dot(const uint8_t* u, const int8_t* w, uint64_t from, uint64_t to) {
  int32_t sum = 0;
  for (uint64_t k = from; k < to; ++k) sum += (static_cast<int32_t>(u[k]) - kI8InputOffset) * w[k];
  return sum;
}

inline uint64_t quantized_input_stride(uint64_t cols) { return (cols + 31) / 32 * 32; }
// Bytes quantize_inputs writes for this many tokens of `cols` values.
inline uint64_t quantized_input_bytes(uint64_t tokens, uint64_t cols) {
  return tokens * quantized_input_stride(cols) + tokens * sizeof(float);
}

// Rounds x (tokens rows, `cols` apart) into `scratch` (quantized_input_bytes,
// 4-byte aligned) and returns the view the products read.
QuantizedInputs quantize_inputs(cpu::KernelPath path, const float* x, uint64_t tokens, uint64_t cols, void* scratch);

// Whether `path` (one the CPU supports) has an integer kernel: AVX2, and
// NEON on a CPU with SDOT. Elsewhere matmul_i8_rows runs the scalar
// definition, slower than the portable float kernel.
bool has_integer_kernel(cpu::KernelPath path);

// y[t * m.rows + r] for t < x.tokens, r in [row_begin, row_end); m is I8
// with m.cols == x.cols <= kI8MaxCols. Other rows of y are untouched.
void matmul_i8_rows(cpu::KernelPath path, const ref::WeightMatrix& m, const QuantizedInputs& x, float* y,
                    uint64_t row_begin, uint64_t row_end);

}  // namespace rwkv_edge::matmul

namespace rwkv_edge::matmul::avx2 {
// False when the CPU path cannot run them (the caller falls back).
bool quantize_inputs(const float* x, uint64_t tokens, uint64_t cols, uint8_t* values, float* scales);
bool matmul_i8_rows(const ref::WeightMatrix& m, const QuantizedInputs& x, float* y, uint64_t row_begin,
                    uint64_t row_end);
}  // namespace rwkv_edge::matmul::avx2

namespace rwkv_edge::matmul::neon {
// SDOT (ARMv8.2 dot product); false without it (the caller falls back).
// Rounding the inputs stays scalar on aarch64: a few percent of a product.
bool matmul_i8_rows(const ref::WeightMatrix& m, const QuantizedInputs& x, float* y, uint64_t row_begin,
                    uint64_t row_end);
}  // namespace rwkv_edge::matmul::neon

namespace rwkv_edge::ref {
// The definitions, value by value: the portable path, and what the tests
// hold the SIMD kernels to, bit for bit.
void quantize_inputs(const float* x, uint64_t tokens, uint64_t cols, uint8_t* values, float* scales);
void matmul_i8_rows(const WeightMatrix& m, const matmul::QuantizedInputs& x, float* y, uint64_t row_begin,
                    uint64_t row_end);
}  // namespace rwkv_edge::ref
