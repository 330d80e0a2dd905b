#include "quantized_ops.h"

#include <cstring>

#include "float16.h"
#include "reference_ops.h"

namespace rwkv_edge::ref {
namespace {

using quant::Format;

float load_f32(const uint8_t* p) {
  float f;
  std::memcpy(&f, p, 4);
  return f;
}

uint16_t load_u16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

// Dequantizes columns [begin, end) of one row into out[0 .. end-begin).
void dequantize_span(const WeightMatrix& m, const quant::MatrixLayout& l, uint64_t row, uint64_t begin,
                     uint64_t end, float* out) {
  const uint8_t* q = m.data + row * l.row_bytes;
  const uint8_t* params = m.data + l.params_offset;
  const uint64_t n = end - begin;
  switch (m.format) {
    case Format::F32: std::memcpy(out, q + begin * 4, n * 4); return;
    case Format::F16:
      for (uint64_t i = 0; i < n; ++i) out[i] = half_to_float(load_u16(q + 2 * (begin + i)));
      return;
    case Format::BF16:
      for (uint64_t i = 0; i < n; ++i) out[i] = bfloat16_to_float(load_u16(q + 2 * (begin + i)));
      return;
    case Format::I8: {
      const float s = i8_row_scale(params, row);
      for (uint64_t i = 0; i < n; ++i) out[i] = dequant_i8(static_cast<int8_t>(q[begin + i]), s);
      return;
    }
    case Format::U8MinMax: {
      const uint8_t* row_min = params;
      const uint8_t* row_scale = params + 4 * m.rows;
      const uint8_t* col_min = params + 8 * m.rows;
      const uint8_t* col_scale = col_min + 4 * m.cols;
      const float rmin = load_f32(row_min + 4 * row), rscale = load_f32(row_scale + 4 * row);
      for (uint64_t i = 0; i < n; ++i) {
        const uint64_t c = begin + i;
        out[i] = dequant_u8(q[c], rmin, rscale, load_f32(col_min + 4 * c), load_f32(col_scale + 4 * c));
      }
      return;
    }
    case Format::I4: {
      const uint64_t block_bytes = quant::kI4BlockHeaderBytes + m.group / 2;
      for (uint64_t i = 0; i < n; ++i) {
        const uint64_t c = begin + i, j = c % m.group;
        const uint8_t* block = q + (c / m.group) * block_bytes;
        const uint8_t byte = block[quant::kI4BlockHeaderBytes + j / 2];
        out[i] = dequant_i4((j & 1) ? byte >> 4 : byte & 0x0F, half_to_float(load_u16(block)),
                            half_to_float(load_u16(block + 2)));
      }
      return;
    }
  }
}

// One row's dot product per format. Each dequantizes exactly as dequantize_span
// does and accumulates in input order; only the loop shapes differ, so that
// per-block values are decoded once instead of per element.
float dot_row(const WeightMatrix& m, const quant::MatrixLayout& l, uint64_t r, const float* x) {
  const uint8_t* q = m.data + r * l.row_bytes;
  const uint8_t* params = m.data + l.params_offset;
  float acc = 0.0f;
  switch (m.format) {
    case Format::F32:
      for (uint64_t c = 0; c < m.cols; ++c) acc += load_f32(q + 4 * c) * x[c];
      break;
    case Format::F16:
      for (uint64_t c = 0; c < m.cols; ++c) acc += half_to_float(load_u16(q + 2 * c)) * x[c];
      break;
    case Format::BF16:
      for (uint64_t c = 0; c < m.cols; ++c) acc += bfloat16_to_float(load_u16(q + 2 * c)) * x[c];
      break;
    case Format::I8: {
      const float s = i8_row_scale(params, r);
      for (uint64_t c = 0; c < m.cols; ++c) acc += dequant_i8(static_cast<int8_t>(q[c]), s) * x[c];
      break;
    }
    case Format::U8MinMax: {
      const uint8_t* col_min = params + 8 * m.rows;
      const uint8_t* col_scale = col_min + 4 * m.cols;
      const float rmin = load_f32(params + 4 * r), rscale = load_f32(params + 4 * (m.rows + r));
      for (uint64_t c = 0; c < m.cols; ++c)
        acc += dequant_u8(q[c], rmin, rscale, load_f32(col_min + 4 * c), load_f32(col_scale + 4 * c)) * x[c];
      break;
    }
    case Format::I4: {
      const uint64_t block_bytes = quant::kI4BlockHeaderBytes + m.group / 2;
      for (uint64_t begin = 0; begin < m.cols; begin += m.group, q += block_bytes) {
        const float s = half_to_float(load_u16(q)), mn = half_to_float(load_u16(q + 2));
        const uint8_t* nib = q + quant::kI4BlockHeaderBytes;
        const uint64_t n = m.cols - begin < m.group ? m.cols - begin : m.group;
        for (uint64_t j = 0; j < n; ++j)
          acc += dequant_i4((j & 1) ? nib[j / 2] >> 4 : nib[j / 2] & 0x0F, s, mn) * x[begin + j];
      }
      break;
    }
  }
  return acc;
}

}  // namespace

float i8_row_scale(const uint8_t* params, uint64_t row) {
  return bfloat16_to_float(load_u16(params + 2 * row));
}

void dequantize_row(const WeightMatrix& m, uint64_t row, float* out) {
  const quant::MatrixLayout l = quant::matrix_layout(m.format, m.rows, m.cols, m.group);
  dequantize_span(m, l, row, 0, m.cols, out);
}

void matvec_weights(const WeightMatrix& m, const float* x, float* y) {
  if (m.format == Format::F32) {
    matvec(reinterpret_cast<const float*>(m.data), x, y, m.rows, m.cols);
    return;
  }
  const quant::MatrixLayout l = quant::matrix_layout(m.format, m.rows, m.cols, m.group);
  for (uint64_t r = 0; r < m.rows; ++r) y[r] = dot_row(m, l, r, x);
}

}  // namespace rwkv_edge::ref
