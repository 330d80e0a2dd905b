// AVX2 integer products for prefill (x86-64); see matmul_i8.h. Like
// gemv_avx2.cpp, every function carries the target attribute instead of the
// file being built with -mavx2.
#include "matmul_i8.h"

#if defined(__x86_64__)

#include <immintrin.h>

#include <cmath>
#include <cstring>

#define RWKV_EDGE_AVX2 __attribute__((target("avx2,fma,f16c")))

namespace rwkv_edge::matmul::avx2 {
namespace {

// Four rows by two tokens: 8 int32 sums, each a dot product 32 columns at a
// time. The fastest of a sweep of tiles on one core, 768 x 768 (G products/s:
// 4x3 68, 3x4 67, 2x6 70, 6x2 63, 4x1 80, 4x2 82).
constexpr uint64_t kRows = 4, kTokens = 2;

RWKV_EDGE_AVX2 inline __m256i dot32(__m256i u, const int8_t* w, __m256i ones16) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w))), ones16);
}

RWKV_EDGE_AVX2 inline int32_t hsum(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
  return _mm_cvtsi128_si32(s);
}

// {sum a, sum b, sum c, sum d}
RWKV_EDGE_AVX2 inline __m128i hsum4(__m256i a, __m256i b, __m256i c, __m256i d) {
  const __m256i abcd = _mm256_hadd_epi32(_mm256_hadd_epi32(a, b), _mm256_hadd_epi32(c, d));
  return _mm_add_epi32(_mm256_castsi256_si128(abcd), _mm256_extracti128_si256(abcd, 1));
}

struct RowGroup {
  const int8_t* w[kRows];
  int32_t offset[kRows];  // 64 * the row's sum over the whole blocks: what the +64 added
  float scale[kRows];
  uint64_t rows;
};

struct Geometry {
  uint64_t cols, blocks_end;  // columns in whole 32-blocks
  uint64_t stride, y_stride;
};

// One token, rows of a partial group: the general case, dot by dot.
RWKV_EDGE_AVX2 void dot_column(const RowGroup& g, const Geometry& geo, const uint8_t* u, float d, float* y) {
  const __m256i ones16 = _mm256_set1_epi16(1);
  for (uint64_t i = 0; i < g.rows; ++i) {
    __m256i acc = _mm256_setzero_si256();
    for (uint64_t k = 0; k < geo.blocks_end; k += 32)
      acc = _mm256_add_epi32(acc, dot32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(u + k)), g.w[i] + k, ones16));
    const int32_t sum = hsum(acc) - g.offset[i] + input_dot(u, g.w[i], geo.blocks_end, geo.cols);
    y[i] = static_cast<float>(sum) * (g.scale[i] * d);
  }
}

// acc_i0 += u0 . w_i and acc_i1 += u1 . w_i over 32 columns, for 4 rows.
// Written as assembly because GCC 12 issues all eight vpmaddubsw first:
// with their eight results, the eight sums, both inputs and the ones there
// are 19 live vectors for 16 registers, so two sums went through the
// stack every iteration (65 G products/s on one core, against 82 for this
// order, which needs 13).
#define RWKV_EDGE_DOT_ROW(w, a0, a1)                \
  "vpmaddubsw (" w ",%[k]), %[x0], %[t0]\n\t"     \
  "vpmaddubsw (" w ",%[k]), %[x1], %[t1]\n\t"     \
  "vpmaddwd %[ones], %[t0], %[t0]\n\t"            \
  "vpmaddwd %[ones], %[t1], %[t1]\n\t"            \
  "vpaddd %[t0], %[" a0 "], %[" a0 "]\n\t"        \
  "vpaddd %[t1], %[" a1 "], %[" a1 "]\n\t"

// Four rows by two tokens.
RWKV_EDGE_AVX2 void dot_tile(const RowGroup& g, const Geometry& geo, const uint8_t* u0, const float* d, float* y) {
  const __m256i ones16 = _mm256_set1_epi16(1);
  const uint8_t* u1 = u0 + geo.stride;
  __m256i a00 = _mm256_setzero_si256(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
  for (uint64_t k = 0; k < geo.blocks_end; k += 32) {
    __m256i x0, x1, t0, t1;
    __asm__(
        "vmovdqu (%[u0],%[k]), %[x0]\n\t"
        "vmovdqu (%[u1],%[k]), %[x1]\n\t"
        RWKV_EDGE_DOT_ROW("%[w0]", "a00", "a01")
        RWKV_EDGE_DOT_ROW("%[w1]", "a10", "a11")
        RWKV_EDGE_DOT_ROW("%[w2]", "a20", "a21")
        RWKV_EDGE_DOT_ROW("%[w3]", "a30", "a31")
        : [a00] "+x"(a00), [a01] "+x"(a01), [a10] "+x"(a10), [a11] "+x"(a11), [a20] "+x"(a20), [a21] "+x"(a21),
          [a30] "+x"(a30), [a31] "+x"(a31), [x0] "=&x"(x0), [x1] "=&x"(x1), [t0] "=&x"(t0), [t1] "=&x"(t1)
        : [u0] "r"(u0), [u1] "r"(u1), [w0] "r"(g.w[0]), [w1] "r"(g.w[1]), [w2] "r"(g.w[2]), [w3] "r"(g.w[3]),
          [k] "r"(k), [ones] "x"(ones16)
        : "memory");
  }
  const __m128i totals[kTokens] = {hsum4(a00, a10, a20, a30), hsum4(a01, a11, a21, a31)};
  const __m128i offset = _mm_loadu_si128(reinterpret_cast<const __m128i*>(g.offset));
  const __m128 scale = _mm_loadu_ps(g.scale);
  for (uint64_t j = 0; j < kTokens; ++j) {
    __m128i sums = _mm_sub_epi32(totals[j], offset);
    if (geo.blocks_end < geo.cols) {
      const uint8_t* u = j == 0 ? u0 : u1;
      alignas(16) int32_t tail[kRows];
      for (uint64_t i = 0; i < kRows; ++i) tail[i] = input_dot(u, g.w[i], geo.blocks_end, geo.cols);
      sums = _mm_add_epi32(sums, _mm_load_si128(reinterpret_cast<const __m128i*>(tail)));
    }
    // float(sum) * (s_r * d_t), in the reference's order
    const __m128 out = _mm_mul_ps(_mm_cvtepi32_ps(sums), _mm_mul_ps(scale, _mm_set1_ps(d[j])));
    _mm_storeu_ps(y + j * geo.y_stride, out);
  }
}

#undef RWKV_EDGE_DOT_ROW

RWKV_EDGE_AVX2 int32_t block_sum(const int8_t* w, uint64_t blocks_end) {
  const __m256i ones8 = _mm256_set1_epi8(1), ones16 = _mm256_set1_epi16(1);
  __m256i acc = _mm256_setzero_si256();
  for (uint64_t k = 0; k < blocks_end; k += 32)
    acc = _mm256_add_epi32(
        acc, _mm256_madd_epi16(_mm256_maddubs_epi16(ones8, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + k))),
                               ones16));
  return hsum(acc);
}

// Eight inputs times inv, rounded half to even (MXCSR's default, as
// nearbyint in the reference) and clamped to [-63, 63].
RWKV_EDGE_AVX2 inline __m256i rounded(const float* x, __m256 inv) {
  const __m256i q = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x), inv));
  return _mm256_min_epi32(_mm256_max_epi32(q, _mm256_set1_epi32(-kI8InputMax)), _mm256_set1_epi32(kI8InputMax));
}

}  // namespace

RWKV_EDGE_AVX2 bool quantize_inputs(const float* x, uint64_t tokens, uint64_t cols, uint8_t* values, float* scales) {
  const uint64_t stride = quantized_input_stride(cols), whole = cols / 32 * 32;
  const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF)), huge = _mm256_set1_ps(__FLT_MAX__);
  const __m256i offset = _mm256_set1_epi8(static_cast<char>(kI8InputOffset));
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  for (uint64_t t = 0; t < tokens; ++t) {
    const float* row = x + t * cols;
    __m256 amax8 = _mm256_setzero_ps(), bad8 = _mm256_setzero_ps();
    uint64_t k = 0;
    for (; k + 8 <= cols; k += 8) {
      const __m256 a = _mm256_and_ps(_mm256_loadu_ps(row + k), abs_mask);
      amax8 = _mm256_max_ps(amax8, a);
      bad8 = _mm256_or_ps(bad8, _mm256_cmp_ps(a, huge, _CMP_NLE_UQ));  // NaN or infinity
    }
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, amax8);
    float amax = 0.0f;
    for (float a : lanes) amax = a > amax ? a : amax;
    bool finite = _mm256_movemask_ps(bad8) == 0;
    for (; k < cols; ++k) {
      const float a = std::fabs(row[k]);
      finite = finite && a <= __FLT_MAX__;
      if (a > amax) amax = a;
    }
    const InputScale s = input_scale(amax, finite);
    uint8_t* out = values + t * stride;
    scales[t] = s.d;
    if (s.inv == 0.0f) {  // every q is 0
      std::memset(out, kI8InputOffset, cols);
      std::memset(out + cols, 0, stride - cols);
      continue;
    }
    const __m256 inv = _mm256_set1_ps(s.inv);
    for (k = 0; k < whole; k += 32) {
      const __m256i ab = _mm256_packs_epi32(rounded(row + k, inv), rounded(row + k + 8, inv));  // a0-3 b0-3 | a4-7 b4-7
      const __m256i cd = _mm256_packs_epi32(rounded(row + k + 16, inv), rounded(row + k + 24, inv));
      const __m256i bytes = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(ab, cd), order);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + k), _mm256_add_epi8(bytes, offset));
    }
    for (; k < cols; ++k) out[k] = quantized_input(row[k], s.inv);
    std::memset(out + cols, 0, stride - cols);
  }
  return true;
}

RWKV_EDGE_AVX2 bool matmul_i8_rows(const ref::WeightMatrix& m, const QuantizedInputs& x, float* y, uint64_t row_begin,
                                   uint64_t row_end) {
  const quant::MatrixLayout l = quant::matrix_layout(m.format, m.rows, m.cols, m.group);
  const uint8_t* params = m.data + l.params_offset;
  const Geometry geo{m.cols, m.cols / 32 * 32, x.stride, m.rows};
  for (uint64_t r0 = row_begin; r0 < row_end; r0 += kRows) {
    RowGroup g{};
    g.rows = row_end - r0 < kRows ? row_end - r0 : kRows;
    for (uint64_t i = 0; i < g.rows; ++i) {
      g.w[i] = reinterpret_cast<const int8_t*>(m.data + (r0 + i) * l.row_bytes);
      g.offset[i] = kI8InputOffset * block_sum(g.w[i], geo.blocks_end);
      g.scale[i] = ref::i8_row_scale(params, r0 + i);
    }
    uint64_t t = 0;
    if (g.rows == kRows)
      for (; t + kTokens <= x.tokens; t += kTokens)
        dot_tile(g, geo, x.values + t * x.stride, x.scales + t, y + t * m.rows + r0);
    for (; t < x.tokens; ++t) dot_column(g, geo, x.values + t * x.stride, x.scales[t], y + t * m.rows + r0);
  }
  return true;
}

}  // namespace rwkv_edge::matmul::avx2

#else

namespace rwkv_edge::matmul::avx2 {
bool quantize_inputs(const float*, uint64_t, uint64_t, uint8_t*, float*) { return false; }
bool matmul_i8_rows(const ref::WeightMatrix&, const QuantizedInputs&, float*, uint64_t, uint64_t) { return false; }
}  // namespace rwkv_edge::matmul::avx2

#endif
