// AVX2 matrix-product kernel for prefill (x86-64); see matmul.h. Like
// gemv_avx2.cpp, every function carries the target attribute instead of the
// file being built with -mavx2.
#include "matmul.h"

#if defined(__x86_64__)

#include <immintrin.h>

#include <cstring>

#include "avx2_transpose.h"
#include "float16.h"

#define RWKV_EDGE_AVX2 __attribute__((target("avx2,fma,f16c")))

namespace rwkv_edge::matmul::avx2 {
namespace {

// Six rows by 16 tokens: 12 accumulators, two vector loads of x and six
// broadcasts of w per column (the classic 6x16 register block).
constexpr uint64_t kRows = 6, kSpan = 1024, kT = kTokenBlock;

// ref::dequantize_span, vectorized: every value is converted with the same
// roundings (int8 times the row scale; int4 times its scale, plus its
// minimum, as two operations; halves and bfloat16 exactly), so the tile is
// bit for bit the reference's. The official U8MinMax and a partial last
// int4 group take the scalar code.
RWKV_EDGE_AVX2 void dequantize_span_avx2(const ref::WeightMatrix& m, const quant::MatrixLayout& l, uint64_t row,
                                    uint64_t begin, uint64_t end, float* out) {
  const uint8_t* q = m.data + row * l.row_bytes;
  uint64_t c = begin;
  switch (m.format) {
    case quant::Format::F16:
      for (; c + 8 <= end; c += 8)
        _mm256_storeu_ps(out + c - begin,
                         _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q + 2 * c))));
      break;
    case quant::Format::BF16:
      for (; c + 8 <= end; c += 8) {
        const __m256i h = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(q + 2 * c)));
        _mm256_storeu_ps(out + c - begin, _mm256_castsi256_ps(_mm256_slli_epi32(h, 16)));
      }
      break;
    case quant::Format::I8: {
      const __m256 s = _mm256_set1_ps(ref::i8_row_scale(m.data + l.params_offset, row));
      for (; c + 8 <= end; c += 8) {
        const __m256i v = _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(q + c)));
        _mm256_storeu_ps(out + c - begin, _mm256_mul_ps(_mm256_cvtepi32_ps(v), s));
      }
      break;
    }
    case quant::Format::I4: {
      const uint64_t groups = (m.cols + m.group - 1) / m.group;
      const __m128i low = _mm_set1_epi8(0x0F);
      // Whole groups that start at or after `begin` (spans start on group boundaries).
      for (; c % m.group == 0 && c + m.group <= end; c += m.group) {
        const quant::I4GroupOffsets o = quant::i4_group_offsets(c / m.group, groups, m.group);
        const __m256 s = _mm256_set1_ps(load_half(q + o.scale)), mn = _mm256_set1_ps(load_half(q + o.min));
        float* dst = out + c - begin;
        for (uint64_t i = 0; i < m.group; i += 32) {
          const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q + o.nibbles + i / 2));
          const __m128i lo = _mm_and_si128(b, low), hi = _mm_and_si128(_mm_srli_epi16(b, 4), low);
          const __m128i v[2] = {_mm_unpacklo_epi8(lo, hi), _mm_unpackhi_epi8(lo, hi)};  // values in order
          for (int h = 0; h < 2; ++h)
            for (int k = 0; k < 2; ++k) {
              const __m128i bytes = k ? _mm_srli_si128(v[h], 8) : v[h];
              const __m256 f = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes));
              _mm256_storeu_ps(dst + i + 16 * h + 8 * k, _mm256_add_ps(_mm256_mul_ps(f, s), mn));
            }
        }
      }
      break;
    }
    case quant::Format::F32:
    case quant::Format::U8MinMax: break;
  }
  if (c < end) ref::dequantize_span(m, l, row, c, end, out + c - begin);
}

// acc[j] += w[j][c] * xt[c][0..16) over the span's columns.
template <bool kFused>
RWKV_EDGE_AVX2 void sweep(const float (*w)[kSpan], uint64_t n, const float* xt, __m256 (&acc)[kRows][2]) {
  for (uint64_t c = 0; c < n; ++c) {
    const __m256 x0 = _mm256_loadu_ps(xt + c * kT), x1 = _mm256_loadu_ps(xt + c * kT + 8);
    for (uint64_t j = 0; j < kRows; ++j) {
      const __m256 wv = _mm256_broadcast_ss(&w[j][c]);
      if constexpr (kFused) {
        acc[j][0] = _mm256_fmadd_ps(wv, x0, acc[j][0]);
        acc[j][1] = _mm256_fmadd_ps(wv, x1, acc[j][1]);
      } else {
        acc[j][0] = _mm256_add_ps(acc[j][0], _mm256_mul_ps(wv, x0));
        acc[j][1] = _mm256_add_ps(acc[j][1], _mm256_mul_ps(wv, x1));
      }
    }
  }
}

template <bool kFused>
RWKV_EDGE_AVX2 void matmul(const ref::WeightMatrix& m, const float* xt, uint64_t tokens, float* y,
                           uint64_t row_begin, uint64_t row_end) {
  const quant::MatrixLayout l = quant::matrix_layout(m.format, m.rows, m.cols, m.group);
  const uint64_t tp = padded_tokens(tokens);
  alignas(32) float w[kRows][kSpan];
  alignas(32) float lanes[kRows][kT];
  for (uint64_t r0 = row_begin; r0 < row_end; r0 += kRows) {
    const uint64_t nr = row_end - r0 < kRows ? row_end - r0 : kRows;
    for (uint64_t j = nr; j < kRows; ++j) std::memset(w[j], 0, sizeof w[j]);
    for (uint64_t begin = 0; begin < m.cols; begin += kSpan) {
      const uint64_t n = m.cols - begin < kSpan ? m.cols - begin : kSpan;
      for (uint64_t j = 0; j < nr; ++j) dequantize_span_avx2(m, l, r0 + j, begin, begin + n, w[j]);
      for (uint64_t t0 = 0; t0 < tp; t0 += kT) {
        const uint64_t nt = tokens - t0 < kT ? tokens - t0 : kT;
        __m256 acc[kRows][2];
        if (begin == 0) {
          for (auto& a : acc) a[0] = a[1] = _mm256_setzero_ps();
        } else {  // the sums so far, kept in y between spans
          std::memset(lanes, 0, sizeof lanes);
          for (uint64_t j = 0; j < nr; ++j)
            for (uint64_t t = 0; t < nt; ++t) lanes[j][t] = y[(t0 + t) * m.rows + r0 + j];
          for (uint64_t j = 0; j < kRows; ++j) {
            acc[j][0] = _mm256_load_ps(lanes[j]);
            acc[j][1] = _mm256_load_ps(lanes[j] + 8);
          }
        }
        sweep<kFused>(w, n, xt + t0 * m.cols + begin * kT, acc);
        for (uint64_t j = 0; j < kRows; ++j) {
          _mm256_store_ps(lanes[j], acc[j][0]);
          _mm256_store_ps(lanes[j] + 8, acc[j][1]);
        }
        for (uint64_t j = 0; j < nr; ++j)
          for (uint64_t t = 0; t < nt; ++t) y[(t0 + t) * m.rows + r0 + j] = lanes[j][t];
      }
    }
  }
}

}  // namespace

RWKV_EDGE_AVX2 void pack_input(const float* x, uint64_t tokens, uint64_t cols, float* xt) {
  const uint64_t whole_blocks = tokens / kT, whole_cols = cols / 8 * 8;
  for (uint64_t b = 0; b < whole_blocks; ++b) {
    const float* rows = x + b * kT * cols;
    float* block = xt + b * kT * cols;
    for (uint64_t c = 0; c < whole_cols; c += 8)
      for (uint64_t half = 0; half < 2; ++half) {  // tokens 8 * half .. 8 * half + 7 of the block
        __m256 t[8];
        for (uint64_t i = 0; i < 8; ++i) t[i] = _mm256_loadu_ps(rows + (8 * half + i) * cols + c);
        rwkv_edge::avx2::transpose8(t);
        for (uint64_t k = 0; k < 8; ++k) _mm256_storeu_ps(block + (c + k) * kT + 8 * half, t[k]);
      }
    for (uint64_t c = whole_cols; c < cols; ++c)
      for (uint64_t t = 0; t < kT; ++t) block[c * kT + t] = rows[t * cols + c];
  }
  if (whole_blocks * kT < tokens)  // a last, partial block and its zero padding
    pack_input_portable(x + whole_blocks * kT * cols, tokens - whole_blocks * kT, cols, xt + whole_blocks * kT * cols);
}

bool matmul_rows(const ref::WeightMatrix& m, const float* xt, uint64_t tokens, float* y, uint64_t row_begin,
                 uint64_t row_end) {
  if (m.format == quant::Format::F32)
    matmul<false>(m, xt, tokens, y, row_begin, row_end);
  else
    matmul<true>(m, xt, tokens, y, row_begin, row_end);
  return true;
}

}  // namespace rwkv_edge::matmul::avx2

#else

namespace rwkv_edge::matmul::avx2 {
bool matmul_rows(const ref::WeightMatrix&, const float*, uint64_t, float*, uint64_t, uint64_t) { return false; }
void pack_input(const float* x, uint64_t tokens, uint64_t cols, float* xt) { pack_input_portable(x, tokens, cols, xt); }
}  // namespace rwkv_edge::matmul::avx2

#endif
