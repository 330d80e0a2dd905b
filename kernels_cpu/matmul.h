// Matrix products for chunked prefill: Y[t] = M . X[t] for the T tokens of a
// chunk, reading the weights once per chunk instead of once per token.
//
// The tokens are first packed transposed in blocks (pack_input: x^T, tokens
// padded to kTokenBlock with zeros), once per product and shared by every thread. A
// kernel then dequantizes a few weight rows at a time into a small tile on
// its stack and sweeps all tokens with them, the tokens in vector lanes: no
// horizontal sums, and every (row, token) sum still runs over the inputs in
// order, one accumulator each.
//
// Numerics (tests/test_matmul.cpp holds every path to these):
// - The portable kernel multiplies and adds with separate roundings in input
//   order: bit for bit ref::matmul_weights_rows, which is ref::matvec_weights
//   per token. So prefill equals step mode exactly on the reference path.
// - AVX2 does the same for F32 (float32 prefill stays bit-exact to steps);
//   for the quantized formats it uses fused multiply-adds (a few float ulps
//   of |w|.|x|): those formats are judged by perplexity, and the fused form
//   is twice the work per instruction.
#pragma once

#include <cstdint>

#include "cpu_features.h"
#include "quantized_ops.h"

namespace rwkv_edge::matmul {

// Tokens are packed in blocks of this many (two AVX2 vectors).
inline constexpr uint64_t kTokenBlock = 16;

inline uint64_t padded_tokens(uint64_t tokens) { return (tokens + kTokenBlock - 1) / kTokenBlock * kTokenBlock; }
// Floats pack_input writes for this many tokens of `cols` values.
inline uint64_t packed_input_floats(uint64_t tokens, uint64_t cols) { return padded_tokens(tokens) * cols; }

// Blocks of kTokenBlock tokens, each column-major, so a kernel streams one
// block contiguously: xt[(t / kTokenBlock) * cols * kTokenBlock + c * kTokenBlock + t % kTokenBlock]
// = x[t * cols + c]; the padding tokens are 0. A copy, so every path writes
// the same bytes.
void pack_input(cpu::KernelPath path, const float* x, uint64_t tokens, uint64_t cols, float* xt);
// The scalar version (every path but AVX2), exposed for the tests.
void pack_input_portable(const float* x, uint64_t tokens, uint64_t cols, float* xt);

// y[t * m.rows + r] = m.row(r) . x[t] for t < tokens, r in [row_begin, row_end);
// xt is pack_input's output. Other rows of y are untouched.
void matmul_rows(cpu::KernelPath path, const ref::WeightMatrix& m, const float* xt, uint64_t tokens, float* y,
                 uint64_t row_begin, uint64_t row_end);

// The portable tiled kernel (the Scalar and NEON paths; also what AVX2
// falls back to), exposed for the tests.
void matmul_rows_portable(const ref::WeightMatrix& m, const float* xt, uint64_t tokens, float* y,
                          uint64_t row_begin, uint64_t row_end);

}  // namespace rwkv_edge::matmul

namespace rwkv_edge::matmul::avx2 {
// False when the CPU path cannot run it (the caller falls back).
bool matmul_rows(const ref::WeightMatrix& m, const float* xt, uint64_t tokens, float* y, uint64_t row_begin,
                 uint64_t row_end);
// pack_input with 8 x 8 register transposes for whole blocks of 16 tokens (the
// scalar copy took 4.5% of a two-thread 0.1B int8 prefill, on the calling
// thread while the others waited). AVX2 CPUs only.
void pack_input(const float* x, uint64_t tokens, uint64_t cols, float* xt);
}  // namespace rwkv_edge::matmul::avx2

namespace rwkv_edge::ref {
// The definition: y[t * m.rows + r] = ref::matvec_weights_rows on x[t] (x rows are m.cols apart).
void matmul_weights_rows(const WeightMatrix& m, const float* x, uint64_t tokens, float* y, uint64_t row_begin,
                         uint64_t row_end);
}  // namespace rwkv_edge::ref
