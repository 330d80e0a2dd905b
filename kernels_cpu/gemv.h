// Batch-1 mat-vec over a row range, on the SIMD path chosen at init. The
// thread pool gives each worker its own rows, so every kernel takes a range.
//
// Numerics per format (tests/test_gemv.cpp holds every path to these):
// - F32 on every path sums each row in input order with separate multiply and
//   add roundings: bit for bit the scalar reference, hence the official fp32
//   logits. The SIMD paths keep that by putting rows in vector lanes.
// - F16, BF16, I8, I4 on a SIMD path dequantize exactly as the reference does
//   but sum in their own order with fused multiply-adds and apply the per-row
//   (I8) or per-block (I4) scale after the block's sum: a few float ulps of
//   the row's |w|.|x| from the reference.
// - I4 on AVX2 also rounds x to int8 per 32 values (scale max|x|/127, the
//   values of each 32 stored even-indexed first to match the nibble order)
//   so the products run as integer multiply-adds: the float path needs about
//   twice the instructions per weight and cannot keep up with memory. The
//   error this adds is bounded by sum over values of |w - min| * scale/2 and
//   is tested against that bound; NEON keeps float x.
// - U8MinMax (the official int8, kept for bit-exact compatibility) always runs
//   the scalar reference.
#pragma once

#include <cstdint>

#include "cpu_features.h"
#include "quantized_ops.h"

namespace rwkv_edge::gemv {

// Row ranges handed to threads start at multiples of this, so the SIMD
// kernels' row blocks never straddle two threads.
inline constexpr uint64_t kRowAlign = 16;

// x as a kernel reads it: some paths transform it once per mat-vec (before
// the rows are split between threads) into caller-provided scratch.
struct Input {
  const float* x = nullptr;
  const uint8_t* quantized = nullptr;  // I4 on AVX2: see prepare_input; null: use x
};

// Scratch bytes prepare_input may need for a matrix of this format and
// width, on any path (the arena is sized before the path is chosen); a
// multiple of 64, so scratch areas laid side by side stay aligned.
uint64_t input_scratch_bytes(quant::Format format, uint64_t cols, uint32_t group);
// `scratch` is 64-byte aligned with input_scratch_bytes(...) bytes.
Input prepare_input(cpu::KernelPath path, const ref::WeightMatrix& m, const float* x, uint8_t* scratch);

// y[r] = m.row(r) . x for r in [row_begin, row_end); other rows untouched.
// `path` must be supported by this CPU (cpu::supports); Auto is not accepted.
void matvec_rows(cpu::KernelPath path, const ref::WeightMatrix& m, const Input& x, float* y, uint64_t row_begin,
                 uint64_t row_end);

// Int8 copy of x for the I4 integer kernels: per 32-value chunk (whole
// groups only), d = max|x|/127 and q = round(x/d); chunks 2p and 2p+1 are
// stored as 64 bytes: their even-indexed values (16 + 16), then their odd ones.
struct QuantizedInputLayout {
  uint64_t chunks = 0;         // 32-value chunks covered (whole groups)
  uint64_t scale_offset = 0;   // float d[chunks], zero-padded
  uint64_t sum_offset = 0;     // float sum of x per whole group, in input order, zero-padded
  uint64_t bytes = 0;
};
QuantizedInputLayout quantized_input_layout(uint64_t cols, uint32_t group);
void quantize_input_ref(const float* x, uint64_t cols, uint32_t group, uint8_t* scratch);
// The layout's sums: sum[g] = x[g * group] + ... in input order (part of quantize_input_ref).
void input_group_sums(const float* x, uint64_t cols, uint32_t group, float* sum);

}  // namespace rwkv_edge::gemv

namespace rwkv_edge::gemv::avx2 {
// False when this path has no kernel for m's format (the caller then runs the reference).
bool matvec_rows(const ref::WeightMatrix& m, const Input& x, float* y, uint64_t row_begin, uint64_t row_end);
// quantize_input_ref, byte for byte, in vectors (the reference calls libm's
// fmaxf and nearbyintf per value: 3% of a one-thread 0.4B int4 step). AVX2 CPUs only.
void quantize_input(const float* x, uint64_t cols, uint32_t group, uint8_t* scratch);
}  // namespace rwkv_edge::gemv::avx2

namespace rwkv_edge::gemv::neon {
bool matvec_rows(const ref::WeightMatrix& m, const float* x, float* y, uint64_t row_begin, uint64_t row_end);
}  // namespace rwkv_edge::gemv::neon
