// AVX2 + FMA + F16C mat-vec kernels (x86-64). Every function carries the
// target attribute instead of the file being built with -mavx2: inline
// helpers from shared headers then stay baseline code, so the linker can
// never hand an AVX2 copy of them to a caller on a CPU without AVX2.
#include "gemv.h"

#if defined(__x86_64__)

#include <immintrin.h>

#include <cstring>

#include "float16.h"

#define RWKV_EDGE_AVX2 __attribute__((target("avx2,fma,f16c")))

namespace rwkv_edge::gemv::avx2 {
namespace {

using quant::Format;

// A kernel's rows are one contiguous run of memory, and rows are short
// (768 int8 values are 12 lines), too short a stream for the hardware
// prefetcher to lock on to. So while one group of rows is summed, the group
// kPrefetchGroups ahead is prefetched at the same pace (4 measured best of
// 1, 2, 4 on the 0.1B shape). Prefetches never fault, so running past the
// matrix's end is harmless.
constexpr uint64_t kPrefetchGroups = 4;

RWKV_EDGE_AVX2 inline void prefetch_lines(const uint8_t* p, uint64_t bytes) {
  for (uint64_t o = 0; o < bytes; o += 64) _mm_prefetch(reinterpret_cast<const char*>(p + o), _MM_HINT_T0);
}

RWKV_EDGE_AVX2 inline float horizontal_sum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// t[k] lane j <- t[j] lane k.
RWKV_EDGE_AVX2 inline void transpose8(__m256 t[8]) {
  const __m256 a0 = _mm256_unpacklo_ps(t[0], t[1]), a1 = _mm256_unpackhi_ps(t[0], t[1]);
  const __m256 a2 = _mm256_unpacklo_ps(t[2], t[3]), a3 = _mm256_unpackhi_ps(t[2], t[3]);
  const __m256 a4 = _mm256_unpacklo_ps(t[4], t[5]), a5 = _mm256_unpackhi_ps(t[4], t[5]);
  const __m256 a6 = _mm256_unpacklo_ps(t[6], t[7]), a7 = _mm256_unpackhi_ps(t[6], t[7]);
  const __m256 b0 = _mm256_shuffle_ps(a0, a2, 0x44), b1 = _mm256_shuffle_ps(a0, a2, 0xEE);
  const __m256 b2 = _mm256_shuffle_ps(a1, a3, 0x44), b3 = _mm256_shuffle_ps(a1, a3, 0xEE);
  const __m256 b4 = _mm256_shuffle_ps(a4, a6, 0x44), b5 = _mm256_shuffle_ps(a4, a6, 0xEE);
  const __m256 b6 = _mm256_shuffle_ps(a5, a7, 0x44), b7 = _mm256_shuffle_ps(a5, a7, 0xEE);
  t[0] = _mm256_permute2f128_ps(b0, b4, 0x20);
  t[1] = _mm256_permute2f128_ps(b1, b5, 0x20);
  t[2] = _mm256_permute2f128_ps(b2, b6, 0x20);
  t[3] = _mm256_permute2f128_ps(b3, b7, 0x20);
  t[4] = _mm256_permute2f128_ps(b0, b4, 0x31);
  t[5] = _mm256_permute2f128_ps(b1, b5, 0x31);
  t[6] = _mm256_permute2f128_ps(b2, b6, 0x31);
  t[7] = _mm256_permute2f128_ps(b3, b7, 0x31);
}

// Float32, bit-exact with ref::matvec: lane j of an accumulator is row j, so
// each row still adds x[c] * w[c] for c = 0, 1, 2, ... with the product and
// the sum rounded separately. Blocks hold 8 * kBlocks rows; kBlocks = 2 gives
// two independent add chains to hide the add latency.
template <int kBlocks>
RWKV_EDGE_AVX2 void f32_row_blocks(const float* W, uint64_t cols, const float* x, float* y, uint64_t r) {
  __m256 acc[kBlocks];
  for (int b = 0; b < kBlocks; ++b) acc[b] = _mm256_setzero_ps();
  const uint8_t* ahead = reinterpret_cast<const uint8_t*>(W + (r + kPrefetchGroups * 8 * kBlocks) * cols);
  uint64_t c = 0;
  for (; c + 8 <= cols; c += 8) {
    prefetch_lines(ahead + c * 8 * kBlocks * 4, 8 * kBlocks * 8 * 4);
    __m256 t[kBlocks][8];
    for (int b = 0; b < kBlocks; ++b) {
      for (int j = 0; j < 8; ++j) t[b][j] = _mm256_loadu_ps(W + (r + 8 * b + j) * cols + c);
      transpose8(t[b]);
    }
    for (int k = 0; k < 8; ++k) {
      const __m256 xk = _mm256_broadcast_ss(x + c + k);
      for (int b = 0; b < kBlocks; ++b) acc[b] = _mm256_add_ps(acc[b], _mm256_mul_ps(xk, t[b][k]));
    }
  }
  alignas(32) float sums[8 * kBlocks];
  for (int b = 0; b < kBlocks; ++b) _mm256_store_ps(sums + 8 * b, acc[b]);
  for (; c < cols; ++c)
    for (int j = 0; j < 8 * kBlocks; ++j) sums[j] += x[c] * W[(r + j) * cols + c];
  std::memcpy(y + r, sums, sizeof sums);
}

RWKV_EDGE_AVX2 void f32_rows(const float* W, uint64_t cols, const float* x, float* y, uint64_t r, uint64_t end) {
  for (; r + 16 <= end; r += 16) f32_row_blocks<2>(W, cols, x, y, r);
  for (; r + 8 <= end; r += 8) f32_row_blocks<1>(W, cols, x, y, r);
  for (; r < end; ++r) {  // as ref::matvec's single-row tail
    float acc = 0.0f;
    for (uint64_t c = 0; c < cols; ++c) acc += x[c] * W[r * cols + c];
    y[r] = acc;
  }
}

// Eight consecutive stored values of one row as floats.
struct LoadF16 {
  RWKV_EDGE_AVX2 static __m256 load(const uint8_t* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static float scalar(const uint8_t* p) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return half_to_float(h);
  }
  static constexpr uint64_t kBytes = 2;
};
struct LoadBF16 {
  RWKV_EDGE_AVX2 static __m256 load(const uint8_t* p) {
    const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
  }
  static float scalar(const uint8_t* p) {
    uint16_t h;
    std::memcpy(&h, p, 2);
    return bfloat16_to_float(h);
  }
  static constexpr uint64_t kBytes = 2;
};
struct LoadI8 {
  RWKV_EDGE_AVX2 static __m256 load(const uint8_t* p) {
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
  }
  static float scalar(const uint8_t* p) { return static_cast<float>(static_cast<int8_t>(*p)); }
  static constexpr uint64_t kBytes = 1;
};

// Unscaled dot products of kRows rows with x, 16 columns per iteration in two
// accumulators per row (8 independent FMA chains at kRows = 4).
template <typename Load, int kRows>
RWKV_EDGE_AVX2 void dot_rows(const uint8_t* row0, uint64_t row_bytes, uint64_t cols, const float* x, float* out) {
  __m256 acc[kRows][2];
  for (int j = 0; j < kRows; ++j) acc[j][0] = acc[j][1] = _mm256_setzero_ps();
  const uint8_t* ahead = row0 + kPrefetchGroups * kRows * row_bytes;
  uint64_t c = 0;
  for (; c + 16 <= cols; c += 16) {
    prefetch_lines(ahead + c * kRows * Load::kBytes, kRows * 16 * Load::kBytes);
    const __m256 x0 = _mm256_loadu_ps(x + c), x1 = _mm256_loadu_ps(x + c + 8);
    for (int j = 0; j < kRows; ++j) {
      const uint8_t* p = row0 + j * row_bytes + c * Load::kBytes;
      acc[j][0] = _mm256_fmadd_ps(Load::load(p), x0, acc[j][0]);
      acc[j][1] = _mm256_fmadd_ps(Load::load(p + 8 * Load::kBytes), x1, acc[j][1]);
    }
  }
  for (int j = 0; j < kRows; ++j) {
    float s = horizontal_sum(_mm256_add_ps(acc[j][0], acc[j][1]));
    for (uint64_t t = c; t < cols; ++t) s += Load::scalar(row0 + j * row_bytes + t * Load::kBytes) * x[t];
    out[j] = s;
  }
}

template <typename Load>
RWKV_EDGE_AVX2 void dense_rows(const ref::WeightMatrix& m, const quant::MatrixLayout& l, const float* x, float* y,
                               uint64_t r, uint64_t end) {
  for (; r + 4 <= end; r += 4) dot_rows<Load, 4>(m.data + r * l.row_bytes, l.row_bytes, m.cols, x, y + r);
  for (; r < end; ++r) dot_rows<Load, 1>(m.data + r * l.row_bytes, l.row_bytes, m.cols, x, y + r);
}

RWKV_EDGE_AVX2 float load_half(const uint8_t* p) {
  uint16_t h;
  std::memcpy(&h, p, 2);
  return _cvtsh_ss(h);
}

// Sixteen 4-bit values (8 bytes, low nibble first) as two float vectors.
RWKV_EDGE_AVX2 inline void load_nibbles16(const uint8_t* p, __m256* lo, __m256* hi) {
  const __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(p));
  const __m128i mask = _mm_set1_epi8(0x0F);
  const __m128i ordered =
      _mm_unpacklo_epi8(_mm_and_si128(bytes, mask), _mm_and_si128(_mm_srli_epi16(bytes, 4), mask));
  *lo = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(ordered));
  *hi = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(ordered, 8)));
}

// I4: per block, y += scale * (q . x) + min * sum(x), with q . x over the
// block's values in two FMA chains per row; kRows rows share each x load.
template <int kRows>
RWKV_EDGE_AVX2 void i4_rows_block(const ref::WeightMatrix& m, const quant::MatrixLayout& l, const float* x,
                                  float* y, uint64_t r) {
  const uint64_t group = m.group, block_bytes = quant::kI4BlockHeaderBytes + group / 2;
  const uint64_t full_blocks = m.cols / group;
  __m256 acc[kRows];
  for (int j = 0; j < kRows; ++j) acc[j] = _mm256_setzero_ps();
  const uint8_t* ahead = m.data + (r + kPrefetchGroups * kRows) * l.row_bytes;
  for (uint64_t b = 0; b < full_blocks; ++b) {
    prefetch_lines(ahead + b * kRows * block_bytes, kRows * block_bytes);
    const float* xb = x + b * group;
    __m256 dot[kRows][2], xsum = _mm256_setzero_ps();
    for (int j = 0; j < kRows; ++j) dot[j][0] = dot[j][1] = _mm256_setzero_ps();
    for (uint64_t c = 0; c < group; c += 16) {
      const __m256 x0 = _mm256_loadu_ps(xb + c), x1 = _mm256_loadu_ps(xb + c + 8);
      xsum = _mm256_add_ps(xsum, _mm256_add_ps(x0, x1));
      for (int j = 0; j < kRows; ++j) {
        __m256 lo, hi;
        load_nibbles16(m.data + (r + j) * l.row_bytes + b * block_bytes + quant::kI4BlockHeaderBytes + c / 2, &lo,
                       &hi);
        dot[j][0] = _mm256_fmadd_ps(lo, x0, dot[j][0]);
        dot[j][1] = _mm256_fmadd_ps(hi, x1, dot[j][1]);
      }
    }
    for (int j = 0; j < kRows; ++j) {
      const uint8_t* block = m.data + (r + j) * l.row_bytes + b * block_bytes;
      acc[j] = _mm256_fmadd_ps(_mm256_add_ps(dot[j][0], dot[j][1]), _mm256_set1_ps(load_half(block)), acc[j]);
      acc[j] = _mm256_fmadd_ps(xsum, _mm256_set1_ps(load_half(block + 2)), acc[j]);
    }
  }
  float tail[kRows] = {};
  for (uint64_t c = full_blocks * group; c < m.cols; ++c) {  // a last, partial block, value by value
    const uint64_t i = c - full_blocks * group;
    for (int j = 0; j < kRows; ++j) {
      const uint8_t* block = m.data + (r + j) * l.row_bytes + full_blocks * block_bytes;
      const uint8_t byte = block[quant::kI4BlockHeaderBytes + i / 2];
      const uint8_t q = (i & 1) ? byte >> 4 : byte & 0x0F;
      tail[j] += ref::dequant_i4(q, load_half(block), load_half(block + 2)) * x[c];
    }
  }
  for (int j = 0; j < kRows; ++j) y[r + j] = horizontal_sum(acc[j]) + tail[j];
}

}  // namespace

bool matvec_rows(const ref::WeightMatrix& m, const float* x, float* y, uint64_t row_begin, uint64_t row_end) {
  const quant::MatrixLayout l = quant::matrix_layout(m.format, m.rows, m.cols, m.group);
  switch (m.format) {
    case Format::F32:
      f32_rows(reinterpret_cast<const float*>(m.data), m.cols, x, y, row_begin, row_end);
      return true;
    case Format::F16: dense_rows<LoadF16>(m, l, x, y, row_begin, row_end); return true;
    case Format::BF16: dense_rows<LoadBF16>(m, l, x, y, row_begin, row_end); return true;
    case Format::I8:
      dense_rows<LoadI8>(m, l, x, y, row_begin, row_end);
      for (uint64_t r = row_begin; r < row_end; ++r) y[r] *= ref::i8_row_scale(m.data + l.params_offset, r);
      return true;
    case Format::I4: {
      uint64_t r = row_begin;
      for (; r + 4 <= row_end; r += 4) i4_rows_block<4>(m, l, x, y, r);
      for (; r < row_end; ++r) i4_rows_block<1>(m, l, x, y, r);
      return true;
    }
    case Format::U8MinMax: return false;
  }
  return false;
}

}  // namespace rwkv_edge::gemv::avx2

#else  // not x86-64: the path does not exist here

namespace rwkv_edge::gemv::avx2 {
bool matvec_rows(const ref::WeightMatrix&, const float*, float*, uint64_t, uint64_t) { return false; }
}  // namespace rwkv_edge::gemv::avx2

#endif
