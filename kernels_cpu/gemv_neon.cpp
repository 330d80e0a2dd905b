// Advanced SIMD (NEON) mat-vec kernels for aarch64, where NEON is baseline.
// The same scheme as gemv_avx2.cpp with 4-lane vectors: float32 keeps rows in
// lanes (bit-exact with the reference); the other formats use FMA chains
// along the row.
#include "gemv.h"

#if defined(__aarch64__)

#include <arm_neon.h>

#include <cstring>

#include "float16.h"

namespace rwkv_edge::gemv::neon {
namespace {

using quant::Format;

// t[k] lane j <- t[j] lane k.
inline void transpose4(float32x4_t t[4]) {
  const float32x4x2_t a = vtrnq_f32(t[0], t[1]), b = vtrnq_f32(t[2], t[3]);
  t[0] = vcombine_f32(vget_low_f32(a.val[0]), vget_low_f32(b.val[0]));
  t[1] = vcombine_f32(vget_low_f32(a.val[1]), vget_low_f32(b.val[1]));
  t[2] = vcombine_f32(vget_high_f32(a.val[0]), vget_high_f32(b.val[0]));
  t[3] = vcombine_f32(vget_high_f32(a.val[1]), vget_high_f32(b.val[1]));
}

// Float32, bit-exact with ref::matvec (rows in lanes, input order, separate
// multiply and add); 4 * kBlocks rows per call for independent add chains.
template <int kBlocks>
void f32_row_blocks(const float* W, uint64_t cols, const float* x, float* y, uint64_t r) {
  float32x4_t acc[kBlocks];
  for (int b = 0; b < kBlocks; ++b) acc[b] = vdupq_n_f32(0.0f);
  uint64_t c = 0;
  for (; c + 4 <= cols; c += 4) {
    float32x4_t t[kBlocks][4];
    for (int b = 0; b < kBlocks; ++b) {
      for (int j = 0; j < 4; ++j) t[b][j] = vld1q_f32(W + (r + 4 * b + j) * cols + c);
      transpose4(t[b]);
    }
    for (int k = 0; k < 4; ++k) {
      const float32x4_t xk = vdupq_n_f32(x[c + k]);
      for (int b = 0; b < kBlocks; ++b) acc[b] = vaddq_f32(acc[b], vmulq_f32(xk, t[b][k]));
    }
  }
  float sums[4 * kBlocks];
  for (int b = 0; b < kBlocks; ++b) vst1q_f32(sums + 4 * b, acc[b]);
  for (; c < cols; ++c)
    for (int j = 0; j < 4 * kBlocks; ++j) sums[j] += x[c] * W[(r + j) * cols + c];
  std::memcpy(y + r, sums, sizeof sums);
}

void f32_rows(const float* W, uint64_t cols, const float* x, float* y, uint64_t r, uint64_t end) {
  for (; r + 16 <= end; r += 16) f32_row_blocks<4>(W, cols, x, y, r);
  for (; r + 4 <= end; r += 4) f32_row_blocks<1>(W, cols, x, y, r);
  for (; r < end; ++r) {
    float acc = 0.0f;
    for (uint64_t c = 0; c < cols; ++c) acc += x[c] * W[r * cols + c];
    y[r] = acc;
  }
}

// Eight consecutive stored values of one row as two float vectors.
struct LoadF16 {
  static void load(const uint8_t* p, float32x4_t* a, float32x4_t* b) {
    const float16x8_t h = vreinterpretq_f16_u16(vld1q_u16(reinterpret_cast<const uint16_t*>(p)));
    *a = vcvt_f32_f16(vget_low_f16(h));
    *b = vcvt_high_f32_f16(h);
  }
  static float scalar(const uint8_t* p) { return load_half(p); }
  static constexpr uint64_t kBytes = 2;
};
struct LoadBF16 {
  static void load(const uint8_t* p, float32x4_t* a, float32x4_t* b) {
    const uint16x8_t h = vld1q_u16(reinterpret_cast<const uint16_t*>(p));
    *a = vreinterpretq_f32_u32(vshll_n_u16(vget_low_u16(h), 16));
    *b = vreinterpretq_f32_u32(vshll_high_n_u16(h, 16));
  }
  static float scalar(const uint8_t* p) { return load_bfloat16(p); }
  static constexpr uint64_t kBytes = 2;
};
struct LoadI8 {
  static void load(const uint8_t* p, float32x4_t* a, float32x4_t* b) {
    const int16x8_t wide = vmovl_s8(vld1_s8(reinterpret_cast<const int8_t*>(p)));
    *a = vcvtq_f32_s32(vmovl_s16(vget_low_s16(wide)));
    *b = vcvtq_f32_s32(vmovl_high_s16(wide));
  }
  static float scalar(const uint8_t* p) { return static_cast<float>(static_cast<int8_t>(*p)); }
  static constexpr uint64_t kBytes = 1;
};

template <typename Load, int kRows>
void dot_rows(const uint8_t* row0, uint64_t row_bytes, uint64_t cols, const float* x, float* out) {
  float32x4_t acc[kRows][2];
  for (int j = 0; j < kRows; ++j) acc[j][0] = acc[j][1] = vdupq_n_f32(0.0f);
  uint64_t c = 0;
  for (; c + 8 <= cols; c += 8) {
    const float32x4_t x0 = vld1q_f32(x + c), x1 = vld1q_f32(x + c + 4);
    for (int j = 0; j < kRows; ++j) {
      float32x4_t w0, w1;
      Load::load(row0 + j * row_bytes + c * Load::kBytes, &w0, &w1);
      acc[j][0] = vfmaq_f32(acc[j][0], w0, x0);
      acc[j][1] = vfmaq_f32(acc[j][1], w1, x1);
    }
  }
  for (int j = 0; j < kRows; ++j) {
    float s = vaddvq_f32(vaddq_f32(acc[j][0], acc[j][1]));
    for (uint64_t t = c; t < cols; ++t) s += Load::scalar(row0 + j * row_bytes + t * Load::kBytes) * x[t];
    out[j] = s;
  }
}

template <typename Load>
void dense_rows(const ref::WeightMatrix& m, const quant::MatrixLayout& l, const float* x, float* y, uint64_t r,
                uint64_t end) {
  for (; r + 4 <= end; r += 4) dot_rows<Load, 4>(m.data + r * l.row_bytes, l.row_bytes, m.cols, x, y + r);
  for (; r < end; ++r) dot_rows<Load, 1>(m.data + r * l.row_bytes, l.row_bytes, m.cols, x, y + r);
}

// Sixteen 4-bit values (8 bytes, low nibble first) as four float vectors.
inline void load_nibbles16(const uint8_t* p, float32x4_t v[4]) {
  const uint8x8_t bytes = vld1_u8(p);
  const uint8x8x2_t z = vzip_u8(vand_u8(bytes, vdup_n_u8(0x0F)), vshr_n_u8(bytes, 4));
  const uint16x8_t lo = vmovl_u8(z.val[0]), hi = vmovl_u8(z.val[1]);
  v[0] = vcvtq_f32_u32(vmovl_u16(vget_low_u16(lo)));
  v[1] = vcvtq_f32_u32(vmovl_high_u16(lo));
  v[2] = vcvtq_f32_u32(vmovl_u16(vget_low_u16(hi)));
  v[3] = vcvtq_f32_u32(vmovl_high_u16(hi));
}

// I4: per group, y += scale * (q . x) + min * sum(x); kRows rows share each x load.
template <int kRows>
void i4_rows_block(const ref::WeightMatrix& m, const quant::MatrixLayout& l, const float* x, float* y, uint64_t r) {
  const uint64_t group = m.group, groups = (m.cols + group - 1) / group, full_groups = m.cols / group;
  float32x4_t acc[kRows];
  for (int j = 0; j < kRows; ++j) acc[j] = vdupq_n_f32(0.0f);
  for (uint64_t g = 0; g < full_groups; ++g) {
    const quant::I4GroupOffsets o = quant::i4_group_offsets(g, groups, m.group);
    const float* xb = x + g * group;
    float32x4_t dot[kRows][2], xsum = vdupq_n_f32(0.0f);
    for (int j = 0; j < kRows; ++j) dot[j][0] = dot[j][1] = vdupq_n_f32(0.0f);
    for (uint64_t c = 0; c < group; c += 16) {
      float32x4_t xv[4];
      for (int k = 0; k < 4; ++k) xv[k] = vld1q_f32(xb + c + 4 * k);
      xsum = vaddq_f32(xsum, vaddq_f32(vaddq_f32(xv[0], xv[1]), vaddq_f32(xv[2], xv[3])));
      for (int j = 0; j < kRows; ++j) {
        float32x4_t w[4];
        load_nibbles16(m.data + (r + j) * l.row_bytes + o.nibbles + c / 2, w);
        dot[j][0] = vfmaq_f32(vfmaq_f32(dot[j][0], w[0], xv[0]), w[2], xv[2]);
        dot[j][1] = vfmaq_f32(vfmaq_f32(dot[j][1], w[1], xv[1]), w[3], xv[3]);
      }
    }
    for (int j = 0; j < kRows; ++j) {
      const uint8_t* row = m.data + (r + j) * l.row_bytes;
      acc[j] = vfmaq_n_f32(acc[j], vaddq_f32(dot[j][0], dot[j][1]), load_half(row + o.scale));
      acc[j] = vfmaq_n_f32(acc[j], xsum, load_half(row + o.min));
    }
  }
  for (int j = 0; j < kRows; ++j)
    y[r + j] = vaddvq_f32(acc[j]) +
               (full_groups < groups ? ref::i4_partial_group_dot(m, m.data + (r + j) * l.row_bytes, x) : 0.0f);
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
      ref::scale_i8_rows(m, y, row_begin, row_end);
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

}  // namespace rwkv_edge::gemv::neon

#else  // not aarch64: the path does not exist here

namespace rwkv_edge::gemv::neon {
bool matvec_rows(const ref::WeightMatrix&, const float*, float*, uint64_t, uint64_t) { return false; }
}  // namespace rwkv_edge::gemv::neon

#endif
