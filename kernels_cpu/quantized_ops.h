// Scalar reference kernels for weights stored in a non-float32 format
// (weight_layout.h). They define the numerics the SIMD and CUDA kernels are
// tested against: every weight is dequantized to float32 exactly as below and
// products are summed in float32 in input order, as ref::matvec does.
#pragma once

#include <cstddef>
#include <cstdint>

#include "shared_math.h"
#include "weight_layout.h"

namespace rwkv_edge::ref {

struct WeightMatrix {
  quant::Format format = quant::Format::F32;
  const uint8_t* data = nullptr;  // the whole segment
  uint64_t rows = 0, cols = 0;
  uint32_t group = 0;             // I4 only
};

// out[0 .. end-begin) = columns [begin, end) of row `row`, dequantized; `l`
// is m's layout (passed in so a caller looping over spans computes it once).
void dequantize_span(const WeightMatrix& m, const quant::MatrixLayout& l, uint64_t row, uint64_t begin,
                     uint64_t end, float* out);
// out[cols] = row `row` of m, dequantized.
void dequantize_row(const WeightMatrix& m, uint64_t row, float* out);

// y[rows] = m . x[cols]
void matvec_weights(const WeightMatrix& m, const float* x, float* y);
// The same for rows [row_begin, row_end) only.
void matvec_weights_rows(const WeightMatrix& m, const float* x, float* y, uint64_t row_begin, uint64_t row_end);

// The dequantization formulas, one value at a time.
// I8 row scale, a bfloat16: 2 bytes keep a 64-row int8 matrix a whole number
// of 64-byte lines, and bfloat16 has float32's range, so no row underflows.
// `params` points at the segment's parameters (MatrixLayout::params_offset).
float i8_row_scale(const uint8_t* params, uint64_t row);
// y[r] *= row r's I8 scale for r in [row_begin, row_end): SIMD int8 kernels sum unscaled.
void scale_i8_rows(const WeightMatrix& m, float* y, uint64_t row_begin, uint64_t row_end);
// Dot product of x[first_col ..] with the last, partial group of I4 row
// `row` (its bytes), value by value in float; 0 when every group is whole.
// The SIMD kernels use it for the tail they do not vectorize.
float i4_partial_group_dot(const WeightMatrix& m, const uint8_t* row, const float* x);
// (shared_math.h, where the CUDA kernels find them too)
using shared::dequant_i4;
using shared::dequant_i8;
using shared::dequant_u8;

}  // namespace rwkv_edge::ref
