#include "quantized_ops.h"

#include <cstring>

#include "float16.h"
#include "reference_ops.h"

namespace rwkv_edge::ref {

using quant::Format;

using shared::load_f32;

void dequantize_span(const WeightMatrix& m, const quant::MatrixLayout& l, uint64_t row, uint64_t begin,
                     uint64_t end, float* out) {
  const uint8_t* q = m.data + row * l.row_bytes;
  const uint8_t* params = m.data + l.params_offset;
  const uint64_t n = end - begin;
  switch (m.format) {
    case Format::F32: std::memcpy(out, q + begin * 4, n * 4); return;
    case Format::F16:
      for (uint64_t i = 0; i < n; ++i) out[i] = load_half(q + 2 * (begin + i));
      return;
    case Format::BF16:
      for (uint64_t i = 0; i < n; ++i) out[i] = load_bfloat16(q + 2 * (begin + i));
      return;
    case Format::I8: {
      const float s = i8_row_scale(params, row);
      for (uint64_t i = 0; i < n; ++i) out[i] = dequant_i8(static_cast<int8_t>(q[begin + i]), s);
      return;
    }
    case Format::U8MinMax: {
      const quant::U8MinMaxParams u = quant::u8_minmax_params(m.rows, m.cols);
      const uint8_t* col_min = params + u.col_min;
      const uint8_t* col_scale = params + u.col_scale;
      const float rmin = load_f32(params + u.row_min + 4 * row), rscale = load_f32(params + u.row_scale + 4 * row);
      for (uint64_t i = 0; i < n; ++i) {
        const uint64_t c = begin + i;
        out[i] = dequant_u8(q[c], rmin, rscale, load_f32(col_min + 4 * c), load_f32(col_scale + 4 * c));
      }
      return;
    }
    case Format::I4: {
      const uint64_t groups = (m.cols + m.group - 1) / m.group;
      uint64_t c = begin;
      while (c < end) {  // a group at a time: scale and minimum decoded once, no division per value
        const uint64_t g = c / m.group, first = c - g * m.group;
        const quant::I4GroupOffsets o = quant::i4_group_offsets(g, groups, m.group);
        const uint8_t* nib = q + o.nibbles;
        const float s = load_half(q + o.scale), mn = load_half(q + o.min);
        const uint64_t last = end - g * m.group < m.group ? end - g * m.group : m.group;
        float* out_group = out + (c - begin) - first;
        uint64_t j = first;
        if (j & 1) {
          out_group[j] = dequant_i4(nib[j >> 1] >> 4, s, mn);
          ++j;
        }
        for (; j + 1 < last; j += 2) {  // a byte holds two values, low nibble first
          out_group[j] = dequant_i4(nib[j >> 1] & 0x0F, s, mn);
          out_group[j + 1] = dequant_i4(nib[j >> 1] >> 4, s, mn);
        }
        if (j < last) out_group[j] = dequant_i4(nib[j >> 1] & 0x0F, s, mn);
        c += last - first;
      }
      return;
    }
  }
}


float i8_row_scale(const uint8_t* params, uint64_t row) {
  return load_bfloat16(params + 2 * row);
}

void scale_i8_rows(const WeightMatrix& m, float* y, uint64_t row_begin, uint64_t row_end) {
  const uint8_t* params = m.data + quant::matrix_layout(m.format, m.rows, m.cols, m.group).params_offset;
  for (uint64_t r = row_begin; r < row_end; ++r) y[r] *= i8_row_scale(params, r);
}

float i4_partial_group_dot(const WeightMatrix& m, const uint8_t* row, const float* x) {
  const uint64_t groups = (m.cols + m.group - 1) / m.group, full_groups = m.cols / m.group;
  if (full_groups == groups) return 0.0f;
  const quant::I4GroupOffsets o = quant::i4_group_offsets(full_groups, groups, m.group);
  const float s = load_half(row + o.scale), mn = load_half(row + o.min);
  const uint64_t first = full_groups * m.group;
  float sum = 0.0f;
  for (uint64_t c = first; c < m.cols; ++c) sum += dequant_i4(quant::i4_nibble(row + o.nibbles, c - first), s, mn) * x[c];
  return sum;
}

void dequantize_row(const WeightMatrix& m, uint64_t row, float* out) {
  const quant::MatrixLayout l = quant::matrix_layout(m.format, m.rows, m.cols, m.group);
  dequantize_span(m, l, row, 0, m.cols, out);
}

void matvec_weights(const WeightMatrix& m, const float* x, float* y) { matvec_weights_rows(m, x, y, 0, m.rows); }

void matvec_weights_rows(const WeightMatrix& m, const float* x, float* y, uint64_t row_begin, uint64_t row_end) {
  if (m.format == Format::F32) {
    matvec(reinterpret_cast<const float*>(m.data) + row_begin * m.cols, x, y + row_begin, row_end - row_begin,
           m.cols);
    return;
  }
  // Eight rows at a time, each still summed in input order: eight independent
  // chains of adds instead of one, as ref::matvec does for float32.
  constexpr uint64_t kRows = 8, kSpan = 64;
  float w[kRows][kSpan];
  const quant::MatrixLayout l = quant::matrix_layout(m.format, m.rows, m.cols, m.group);
  for (uint64_t r0 = row_begin; r0 < row_end; r0 += kRows) {
    const uint64_t nr = row_end - r0 < kRows ? row_end - r0 : kRows;
    float acc[kRows] = {};
    // Rows past the range's end stay zero, so the loop below always runs a
    // fixed count, which keeps the sums in registers.
    for (uint64_t j = nr; j < kRows; ++j) std::memset(w[j], 0, sizeof w[j]);
    for (uint64_t begin = 0; begin < m.cols; begin += kSpan) {
      const uint64_t end = begin + kSpan < m.cols ? begin + kSpan : m.cols;
      for (uint64_t j = 0; j < nr; ++j) dequantize_span(m, l, r0 + j, begin, end, w[j]);
      for (uint64_t c = begin; c < end; ++c)
        for (uint64_t j = 0; j < kRows; ++j) acc[j] += w[j][c - begin] * x[c];
    }
    for (uint64_t j = 0; j < nr; ++j) y[r0 + j] = acc[j];
  }
}

}  // namespace rwkv_edge::ref
