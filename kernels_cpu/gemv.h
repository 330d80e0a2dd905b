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

// y[r] = m.row(r) . x for r in [row_begin, row_end); other rows untouched.
// `path` must be supported by this CPU (cpu::supports); Auto is not accepted.
void matvec_rows(cpu::KernelPath path, const ref::WeightMatrix& m, const float* x, float* y,
                 uint64_t row_begin, uint64_t row_end);

}  // namespace rwkv_edge::gemv

namespace rwkv_edge::gemv::avx2 {
// False when this path has no kernel for m's format (the caller then runs the reference).
bool matvec_rows(const ref::WeightMatrix& m, const float* x, float* y, uint64_t row_begin, uint64_t row_end);
}  // namespace rwkv_edge::gemv::avx2

namespace rwkv_edge::gemv::neon {
bool matvec_rows(const ref::WeightMatrix& m, const float* x, float* y, uint64_t row_begin, uint64_t row_end);
}  // namespace rwkv_edge::gemv::neon
