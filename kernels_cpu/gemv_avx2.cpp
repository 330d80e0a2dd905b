// AVX2 + FMA + F16C mat-vec kernels (x86-64). Every function carries the
// target attribute instead of the file being built with -mavx2: inline
// helpers from shared headers then stay baseline code, so the linker can
// never hand an AVX2 copy of them to a caller on a CPU without AVX2.
#include "gemv.h"

#if defined(__x86_64__)

#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "avx2_transpose.h"
#include "float16.h"

#define RWKV_EDGE_AVX2 __attribute__((target("avx2,fma,f16c")))

namespace rwkv_edge::gemv::avx2 {
namespace {

using quant::Format;

// A kernel's rows are one contiguous run of memory, and rows are short
// (768 int8 values are 12 lines), too short a stream for the hardware
// prefetcher to lock on to. So while one group of rows is summed, the group
// about kPrefetchBytes further on is prefetched at the same pace. Measured
// with two threads (0.1B and 0.4B shapes, int8 and int4): 3 KiB ahead (one
// group of four int8 rows of 768) beat the 4 groups the kernels first used
// by 5-15% per mat-vec, and 6 KiB fell between; one thread did not care.
// Float32's groups of 16 rows are longer than that, so it leads by one
// group (48 KiB at 768 columns), which beat its earlier 4 groups on the FFN
// matrices by about 5%.
// Two threads each keeping 12 KiB or more of prefetches in flight appear to
// crowd out their own demand loads, and prefetch further into the next
// grain, which the other thread may take. Prefetches never fault, so
// running past the matrix's end is harmless.
constexpr uint64_t kPrefetchBytes = 3 * 1024;

// The whole number of `group_bytes` groups closest to kPrefetchBytes, at least one.
inline uint64_t prefetch_offset(uint64_t group_bytes) {
  const uint64_t groups = (kPrefetchBytes + group_bytes / 2) / group_bytes;
  return (groups > 0 ? groups : 1) * group_bytes;
}

RWKV_EDGE_AVX2 inline void prefetch_lines(const uint8_t* p, uint64_t bytes) {
  for (uint64_t o = 0; o < bytes; o += 64) _mm_prefetch(reinterpret_cast<const char*>(p + o), _MM_HINT_T0);
}

RWKV_EDGE_AVX2 inline float horizontal_sum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

RWKV_EDGE_AVX2 inline float horizontal_max(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

// Float32, bit-exact with ref::matvec: lane j of an accumulator is row j, so
// each row still adds x[c] * w[c] for c = 0, 1, 2, ... with the product and
// the sum rounded separately. Blocks hold 8 * kBlocks rows; kBlocks = 2 gives
// two independent add chains to hide the add latency.
template <int kBlocks>
RWKV_EDGE_AVX2 void f32_row_blocks(const float* W, uint64_t cols, const float* x, float* y, uint64_t r) {
  __m256 acc[kBlocks];
  for (int b = 0; b < kBlocks; ++b) acc[b] = _mm256_setzero_ps();
  const uint8_t* ahead =
      reinterpret_cast<const uint8_t*>(W + r * cols) + prefetch_offset(8 * kBlocks * cols * sizeof(float));
  uint64_t c = 0;
  for (; c + 8 <= cols; c += 8) {
    prefetch_lines(ahead + c * 8 * kBlocks * 4, 8 * kBlocks * 8 * 4);
    __m256 t[kBlocks][8];
    for (int b = 0; b < kBlocks; ++b) {
      for (int j = 0; j < 8; ++j) t[b][j] = _mm256_loadu_ps(W + (r + 8 * b + j) * cols + c);
      rwkv_edge::avx2::transpose8(t[b]);
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
  static float scalar(const uint8_t* p) { return load_half(p); }
  static constexpr uint64_t kBytes = 2;
};
struct LoadBF16 {
  RWKV_EDGE_AVX2 static __m256 load(const uint8_t* p) {
    const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
  }
  static float scalar(const uint8_t* p) { return load_bfloat16(p); }
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
  const uint8_t* ahead = row0 + prefetch_offset(kRows * row_bytes);
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

// What every I4 row shares, worked out once per call (divisions are slow
// enough to show when paid per row of a 65536-row head).
struct I4Shape {
  uint64_t group, group_bytes, chunks_per_group, groups, full_groups;
  const int8_t* xq;
  const float* xd;
  const float* xsum;
  const float* x;
};

I4Shape i4_shape(const ref::WeightMatrix& m, const Input& in) {
  I4Shape s{};
  s.group = m.group;
  s.group_bytes = quant::kI4BlockHeaderBytes + m.group / 2;
  s.chunks_per_group = m.group / 32;
  s.groups = (m.cols + m.group - 1) / m.group;
  s.full_groups = m.cols / m.group;
  const gemv::QuantizedInputLayout il = gemv::quantized_input_layout(m.cols, m.group);
  s.xq = reinterpret_cast<const int8_t*>(in.quantized);
  s.xd = reinterpret_cast<const float*>(in.quantized + il.scale_offset);
  s.xsum = reinterpret_cast<const float*>(in.quantized + il.sum_offset);
  s.x = in.x;
  return s;
}

// n (<= 8) consecutive halves as floats, the lanes past n zero.
RWKV_EDGE_AVX2 inline __m256 load_halves(const uint8_t* p, uint64_t n) {
  if (n == quant::kI4SuperGroups) return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  alignas(16) uint16_t h[8] = {};
  std::memcpy(h, p, 2 * n);
  return _mm256_cvtph_ps(_mm_load_si128(reinterpret_cast<const __m128i*>(h)));
}

// I4 with x quantized to int8 (gemv::quantized_input_layout), a superblock
// of 8 groups at a time: 8 scales and 8 minimums convert in one instruction
// each, and 64 weights (two 32-value chunks) go through one 32-byte load and
// two unsigned-by-signed byte multiply-adds. Low nibbles are the even values
// of both chunks, high nibbles the odd ones: the order x was stored in. Lanes
// 0-3 of a pair's sum belong to its first chunk, 4-7 to its second, so each
// chunk's scale x d must be spread over four lanes.
// Per row: y = sum_chunks s_g d_k (q . xq)_k + sum_groups min_g sum(x_g).
struct I4Rows {
  const uint8_t* row0;  // the first of the block's rows
  uint64_t row_bytes;
};

// The integer sums of one 32-byte load of nibbles (two chunks) with x's even
// and odd values: lanes 0-3 hold the first chunk's partial sums, 4-7 the second's.
RWKV_EDGE_AVX2 inline __m256 i4_pair_sums(__m256i w, __m256i x_even, __m256i x_odd) {
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  const __m256i lo = _mm256_and_si256(w, low4), hi = _mm256_and_si256(_mm256_srli_epi16(w, 4), low4);
  const __m256i pairs16 = _mm256_add_epi16(_mm256_maddubs_epi16(lo, x_even), _mm256_maddubs_epi16(hi, x_odd));
  return _mm256_cvtepi32_ps(_mm256_madd_epi16(pairs16, _mm256_set1_epi16(1)));
}

// The group (of its superblock) each chunk k of an octet (8 chunks) belongs to,
// in the order the pair loop wants the chunk scales: k = 0, 2, 4, 6, 1, 3, 5, 7,
// so that chunks 2p and 2p + 1 sit at place p of the low and high halves, where
// one in-lane permute spreads them over their pair's lanes.
RWKV_EDGE_AVX2 inline __m256i octet_groups(uint64_t octet, uint64_t chunks_per_group) {
  const __m256i chunk = _mm256_add_epi32(_mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7),
                                         _mm256_set1_epi32(static_cast<int>(8 * octet)));
  return _mm256_srlv_epi32(chunk, _mm256_set1_epi32(chunks_per_group == 1 ? 0 : chunks_per_group == 2 ? 1 : 2));
}

// A whole superblock (8 whole groups, the common case): straight-line code,
// four chunk pairs per octet and no tail checks, which measured 1.3x the
// general loop below with the same sums (tests/test_gemv.cpp).
template <int kRows>
RWKV_EDGE_AVX2 inline void i4_whole_superblock(const I4Rows& rows, const I4Shape& s, uint64_t first,
                                               __m256 (&acc)[kRows], __m256 (&min_acc)[kRows]) {
  const uint64_t offset = first * s.group_bytes, chunk0 = first * s.chunks_per_group;
  const __m256 group_sums = _mm256_load_ps(s.xsum + first);
  __m256 scales[kRows];
  for (int j = 0; j < kRows; ++j) {
    const uint8_t* sb = rows.row0 + j * rows.row_bytes + offset;
    scales[j] = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(sb)));
    min_acc[j] = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(sb + 16))),
                                 group_sums, min_acc[j]);
  }
  for (uint64_t octet = 0; octet < s.chunks_per_group; ++octet) {
    const uint64_t chunk = chunk0 + 8 * octet;
    const __m256i groups = octet_groups(octet, s.chunks_per_group);
    const __m256 d = _mm256_permutevar8x32_ps(_mm256_load_ps(s.xd + chunk), _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7));
    __m256 chunk_scale[kRows];
    for (int j = 0; j < kRows; ++j) chunk_scale[j] = _mm256_mul_ps(_mm256_permutevar8x32_ps(scales[j], groups), d);
    const int8_t* xp = s.xq + chunk * 32;
    const uint64_t nibbles = offset + 4 * quant::kI4SuperGroups + 128 * octet;
    for (int p = 0; p < 4; ++p) {
      const __m256i x_even = _mm256_load_si256(reinterpret_cast<const __m256i*>(xp + 64 * p));
      const __m256i x_odd = _mm256_load_si256(reinterpret_cast<const __m256i*>(xp + 64 * p + 32));
      const __m256i place = _mm256_set1_epi32(p);
      for (int j = 0; j < kRows; ++j) {
        const __m256i w = _mm256_loadu_si256(
            reinterpret_cast<const __m256i*>(rows.row0 + j * rows.row_bytes + nibbles + 32 * p));
        const __m256 sums = i4_pair_sums(w, x_even, x_odd);
        acc[j] = _mm256_fmadd_ps(sums, _mm256_permutevar_ps(chunk_scale[j], place), acc[j]);
      }
    }
  }
}

// The row's last superblock when it is not whole: fewer than 8 groups stored,
// or whole groups followed by a partial one (summed in float by the caller),
// or an odd last chunk.
template <int kRows>
RWKV_EDGE_AVX2 void i4_last_superblock(const I4Rows& rows, const I4Shape& s, uint64_t first, __m256 (&acc)[kRows],
                                       __m256 (&min_acc)[kRows]) {
  const uint64_t chunks_per_group = s.chunks_per_group;
  const __m256i chunk_to_group_shift = _mm256_set1_epi32(chunks_per_group == 1 ? 0 : chunks_per_group == 2 ? 1 : 2);
  const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const uint64_t stored = std::min<uint64_t>(quant::kI4SuperGroups, s.groups - first);
  const uint64_t whole = std::min<uint64_t>(quant::kI4SuperGroups, s.full_groups - first);
  const uint64_t offset = first * s.group_bytes, chunk0 = first * chunks_per_group, chunks = whole * chunks_per_group;
  const __m256 group_sums = _mm256_load_ps(s.xsum + first);  // zero past the whole groups
  for (int j = 0; j < kRows; ++j) {
    const uint8_t* sb = rows.row0 + j * rows.row_bytes + offset;
    min_acc[j] = _mm256_fmadd_ps(load_halves(sb + 2 * stored, stored), group_sums, min_acc[j]);
  }
  for (uint64_t c8 = 0; c8 < chunks; c8 += 8) {
    // Per chunk c8 + i: its group's scale times its own d.
    const __m256i group_of_chunk = _mm256_srlv_epi32(_mm256_add_epi32(iota, _mm256_set1_epi32(static_cast<int>(c8))),
                                                     chunk_to_group_shift);
    const __m256 d = _mm256_load_ps(s.xd + chunk0 + c8);
    __m256 chunk_scale[kRows];
    for (int j = 0; j < kRows; ++j)
      chunk_scale[j] = _mm256_mul_ps(
          _mm256_permutevar8x32_ps(load_halves(rows.row0 + j * rows.row_bytes + offset, stored), group_of_chunk), d);
    for (uint64_t p = 0; p < 4 && c8 + 2 * p < chunks; ++p) {  // 4 pairs: the 8 chunks of chunk_scale
      const uint64_t chunk = c8 + 2 * p;
      const int8_t* xp = s.xq + (chunk0 + chunk) / 2 * 64;
      const __m256i x_even = _mm256_load_si256(reinterpret_cast<const __m256i*>(xp));
      const __m256i x_odd = _mm256_load_si256(reinterpret_cast<const __m256i*>(xp + 32));
      const __m256i lanes = _mm256_setr_epi32(2 * p, 2 * p, 2 * p, 2 * p, 2 * p + 1, 2 * p + 1, 2 * p + 1, 2 * p + 1);
      const bool pair = chunk + 1 < chunks;  // a lone last chunk reads 16 bytes, never past the row
      for (int j = 0; j < kRows; ++j) {
        const uint8_t* nib = rows.row0 + j * rows.row_bytes + offset + 4 * stored + 16 * chunk;
        const __m256i w = pair ? _mm256_loadu_si256(reinterpret_cast<const __m256i*>(nib))
                               : _mm256_set_m128i(_mm_setzero_si128(), _mm_loadu_si128(reinterpret_cast<const __m128i*>(nib)));
        const __m256 sums = i4_pair_sums(w, x_even, x_odd);
        acc[j] = _mm256_fmadd_ps(sums, _mm256_permutevar8x32_ps(chunk_scale[j], lanes), acc[j]);
      }
    }
  }
}

template <int kRows>
RWKV_EDGE_AVX2 void i4_rows_int8(const ref::WeightMatrix& m, const quant::MatrixLayout& l, const I4Shape& s, float* y,
                                 uint64_t r) {
  const I4Rows rows{m.data + r * l.row_bytes, l.row_bytes};
  __m256 acc[kRows], min_acc[kRows];
  for (int j = 0; j < kRows; ++j) acc[j] = min_acc[j] = _mm256_setzero_ps();
  const uint8_t* ahead = rows.row0 + prefetch_offset(kRows * l.row_bytes);
  const uint64_t superblock_bytes = quant::kI4SuperGroups * s.group_bytes;
  uint64_t first = 0;
  for (; first + quant::kI4SuperGroups <= s.full_groups; first += quant::kI4SuperGroups) {
    prefetch_lines(ahead + first * s.group_bytes * kRows, superblock_bytes * kRows);
    i4_whole_superblock<kRows>(rows, s, first, acc, min_acc);
  }
  if (first < s.full_groups) {
    prefetch_lines(ahead + first * s.group_bytes * kRows, (s.groups - first) * s.group_bytes * kRows);
    i4_last_superblock<kRows>(rows, s, first, acc, min_acc);
  }
  for (int j = 0; j < kRows; ++j) {
    const uint8_t* row = rows.row0 + j * l.row_bytes;
    // Checked here, where it is known: the call's divisions would show per row of a 65536-row head.
    y[r + j] = horizontal_sum(_mm256_add_ps(acc[j], min_acc[j])) +
               (s.full_groups < s.groups ? ref::i4_partial_group_dot(m, row, s.x) : 0.0f);
  }
}

}  // namespace

bool matvec_rows(const ref::WeightMatrix& m, const Input& in, float* y, uint64_t row_begin, uint64_t row_end) {
  const quant::MatrixLayout l = quant::matrix_layout(m.format, m.rows, m.cols, m.group);
  const float* x = in.x;
  switch (m.format) {
    case Format::F32:
      f32_rows(reinterpret_cast<const float*>(m.data), m.cols, x, y, row_begin, row_end);
      return true;
    case Format::F16: dense_rows<LoadF16>(m, l, x, y, row_begin, row_end); return true;
    case Format::BF16: dense_rows<LoadBF16>(m, l, x, y, row_begin, row_end); return true;
    case Format::I8:
      dense_rows<LoadI8>(m, l, x, y, row_begin, row_end);
      ref::scale_i8_rows(m, y, row_begin, row_end);
      return true;
    case Format::I4: {
      if (in.quantized == nullptr) return false;  // x was not prepared (narrower than a group)
      const I4Shape shape = i4_shape(m, in);
      uint64_t r = row_begin;
      for (; r + 4 <= row_end; r += 4) i4_rows_int8<4>(m, l, shape, y, r);
      for (; r < row_end; ++r) i4_rows_int8<1>(m, l, shape, y, r);
      return true;
    }
    case Format::U8MinMax: return false;
  }
  return false;
}

RWKV_EDGE_AVX2 void quantize_input(const float* x, uint64_t cols, uint32_t group, uint8_t* scratch) {
  const QuantizedInputLayout l = quantized_input_layout(cols, group);
  std::memset(scratch, 0, l.bytes);
  auto* q = reinterpret_cast<int8_t*>(scratch);
  auto* scale = reinterpret_cast<float*>(scratch + l.scale_offset);
  const __m256 sign = _mm256_set1_ps(-0.0f), inf = _mm256_set1_ps(std::numeric_limits<float>::infinity());
  const __m256 hi = _mm256_set1_ps(127.0f), lo = _mm256_set1_ps(-127.0f);
  // Bytes back into value order after the two packs, then each 16-value lane
  // split into its even values and its odd ones, then evens before odds.
  const __m256i pack_order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  const __m256i even_odd = _mm256_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15,  //
                                            0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
  for (uint64_t k = 0; k < l.chunks; ++k) {
    const float* v = x + 32 * k;
    __m256 vals[4], amax = _mm256_setzero_ps();
    int finite = 0xFF;
    for (int i = 0; i < 4; ++i) {
      vals[i] = _mm256_loadu_ps(v + 8 * i);
      const __m256 a = _mm256_andnot_ps(sign, vals[i]);
      finite &= _mm256_movemask_ps(_mm256_cmp_ps(a, inf, _CMP_LT_OQ));  // NaN compares false
      amax = _mm256_max_ps(amax, a);
    }
    // The reference's scalar rules exactly (gemv.cpp): NaN scale and zero
    // levels for a chunk with a NaN or Inf, and an inverse of 0 for d = 0.
    const float d = finite == 0xFF ? horizontal_max(amax) / 127.0f : std::numeric_limits<float>::quiet_NaN();
    scale[k] = d;
    if (finite != 0xFF) continue;
    const __m256 inverse = _mm256_set1_ps(d > 0.0f ? 1.0f / d : 0.0f);
    __m256i levels[4];
    for (int i = 0; i < 4; ++i) {
      // nearbyint: the current rounding mode; NaN (0 x Inf) to 0, then the clamp.
      __m256 r = _mm256_round_ps(_mm256_mul_ps(vals[i], inverse), _MM_FROUND_CUR_DIRECTION | _MM_FROUND_NO_EXC);
      r = _mm256_and_ps(r, _mm256_cmp_ps(r, r, _CMP_ORD_Q));
      levels[i] = _mm256_cvtps_epi32(_mm256_max_ps(_mm256_min_ps(r, hi), lo));
    }
    const __m256i bytes = _mm256_permutevar8x32_epi32(
        _mm256_packs_epi16(_mm256_packs_epi32(levels[0], levels[1]), _mm256_packs_epi32(levels[2], levels[3])),
        pack_order);
    const __m256i split = _mm256_permute4x64_epi64(_mm256_shuffle_epi8(bytes, even_odd), 0xD8);
    int8_t* pair = q + k / 2 * 64 + (k & 1) * 16;
    _mm_storeu_si128(reinterpret_cast<__m128i*>(pair), _mm256_castsi256_si128(split));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(pair + 32), _mm256_extracti128_si256(split, 1));
  }
  input_group_sums(x, cols, group, reinterpret_cast<float*>(scratch + l.sum_offset));
}

}  // namespace rwkv_edge::gemv::avx2

#else  // not x86-64: the path does not exist here

namespace rwkv_edge::gemv::avx2 {
bool matvec_rows(const ref::WeightMatrix&, const Input&, float*, uint64_t, uint64_t) { return false; }
void quantize_input(const float* x, uint64_t cols, uint32_t group, uint8_t* scratch) {
  quantize_input_ref(x, cols, group, scratch);
}
}  // namespace rwkv_edge::gemv::avx2

#endif
