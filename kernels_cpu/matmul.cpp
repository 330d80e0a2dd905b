#include "matmul.h"

#include <cstring>

namespace rwkv_edge::matmul {

void pack_input_portable(const float* x, uint64_t tokens, uint64_t cols, float* xt) {
  for (uint64_t t0 = 0; t0 < tokens; t0 += kTokenBlock) {
    float* block = xt + t0 * cols;
    const uint64_t nt = tokens - t0 < kTokenBlock ? tokens - t0 : kTokenBlock;
    for (uint64_t c = 0; c < cols; ++c) {
      for (uint64_t t = 0; t < nt; ++t) block[c * kTokenBlock + t] = x[(t0 + t) * cols + c];
      for (uint64_t t = nt; t < kTokenBlock; ++t) block[c * kTokenBlock + t] = 0.0f;
    }
  }
}

void matmul_rows_portable(const ref::WeightMatrix& m, const float* xt, uint64_t tokens, float* y,
                          uint64_t row_begin, uint64_t row_end) {
  // Four rows by 16 tokens: 64 sums, which fit NEON's 32 registers; a span
  // of 1024 columns keeps the tile at 16 KiB of stack.
  constexpr uint64_t kRows = 4, kSpan = 1024, kT = kTokenBlock;
  const quant::MatrixLayout l = quant::matrix_layout(m.format, m.rows, m.cols, m.group);
  const uint64_t tp = padded_tokens(tokens);
  float w[kRows][kSpan];
  for (uint64_t r0 = row_begin; r0 < row_end; r0 += kRows) {
    const uint64_t nr = row_end - r0 < kRows ? row_end - r0 : kRows;
    for (uint64_t j = nr; j < kRows; ++j) std::memset(w[j], 0, sizeof w[j]);
    for (uint64_t begin = 0; begin < m.cols; begin += kSpan) {
      const uint64_t n = m.cols - begin < kSpan ? m.cols - begin : kSpan;
      for (uint64_t j = 0; j < nr; ++j) ref::dequantize_span(m, l, r0 + j, begin, begin + n, w[j]);
      for (uint64_t t0 = 0; t0 < tp; t0 += kT) {
        const uint64_t nt = tokens - t0 < kT ? tokens - t0 : kT;
        float acc[kRows][kT] = {};
        if (begin > 0)  // the sums so far, kept in y between spans
          for (uint64_t j = 0; j < nr; ++j)
            for (uint64_t t = 0; t < nt; ++t) acc[j][t] = y[(t0 + t) * m.rows + r0 + j];
        for (uint64_t c = 0; c < n; ++c) {
          const float* xc = xt + t0 * m.cols + (begin + c) * kT;
          for (uint64_t j = 0; j < kRows; ++j) {
            const float wv = w[j][c];
            for (uint64_t t = 0; t < kT; ++t) acc[j][t] += wv * xc[t];
          }
        }
        for (uint64_t j = 0; j < nr; ++j)
          for (uint64_t t = 0; t < nt; ++t) y[(t0 + t) * m.rows + r0 + j] = acc[j][t];
      }
    }
  }
}

void pack_input(cpu::KernelPath path, const float* x, uint64_t tokens, uint64_t cols, float* xt) {
  if (path == cpu::KernelPath::Avx2)
    avx2::pack_input(x, tokens, cols, xt);
  else
    pack_input_portable(x, tokens, cols, xt);
}

void matmul_rows(cpu::KernelPath path, const ref::WeightMatrix& m, const float* xt, uint64_t tokens, float* y,
                 uint64_t row_begin, uint64_t row_end) {
  if (row_begin >= row_end || tokens == 0) return;
  if (path == cpu::KernelPath::Avx2 && avx2::matmul_rows(m, xt, tokens, y, row_begin, row_end)) return;
  matmul_rows_portable(m, xt, tokens, y, row_begin, row_end);
}

}  // namespace rwkv_edge::matmul

namespace rwkv_edge::ref {

void matmul_weights_rows(const WeightMatrix& m, const float* x, uint64_t tokens, float* y, uint64_t row_begin,
                         uint64_t row_end) {
  for (uint64_t t = 0; t < tokens; ++t) matvec_weights_rows(m, x + t * m.cols, y + t * m.rows, row_begin, row_end);
}

}  // namespace rwkv_edge::ref
