// aarch64 integer products for prefill, on the dot-product instructions
// (ARMv8.2 SDOT: Cortex-A55/A75 and later, e.g. Jetson Orin's A78AE); see
// matmul_i8.h. SDOT multiplies signed bytes by signed bytes, so the stored
// q + 64 only needs the 64 taken off once per loaded input vector, with no
// row-sum correction; the sums are the definition's exactly. The functions
// carry the target attribute, so a CPU without SDOT never runs them (the
// caller checks cpu::features().neon_dotprod).
#include "matmul_i8.h"

#if defined(__aarch64__)

#include <arm_neon.h>

#define RWKV_EDGE_DOTPROD __attribute__((target("arch=armv8.2-a+dotprod")))

namespace rwkv_edge::matmul::neon {
namespace {

// Four rows by four tokens: 16 int32x4 sums of the 32 registers, 16 columns
// per SDOT.
constexpr uint64_t kRows = 4, kTokens = 4;

RWKV_EDGE_DOTPROD inline int8x16_t signed_inputs(const uint8_t* u) {
  return vreinterpretq_s8_u8(vsubq_u8(vld1q_u8(u), vdupq_n_u8(kI8InputOffset)));
}

// y for rows [0, nr) and tokens [0, nt) of a tile (nr <= 4, nt <= 4): the
// full tile unrolls; partial ones leave lanes unused.
template <uint64_t kNr, uint64_t kNt>
RWKV_EDGE_DOTPROD void dot_tile(const int8_t* const* w, const uint8_t* u0, uint64_t stride, uint64_t blocks_end,
                                uint64_t cols, const float* scale, const float* d, float* y, uint64_t y_stride) {
  int32x4_t acc[kNr][kNt];
  for (uint64_t i = 0; i < kNr; ++i)
    for (uint64_t j = 0; j < kNt; ++j) acc[i][j] = vdupq_n_s32(0);
  for (uint64_t k = 0; k < blocks_end; k += 16) {
    int8x16_t x[kNt];
    for (uint64_t j = 0; j < kNt; ++j) x[j] = signed_inputs(u0 + j * stride + k);
    for (uint64_t i = 0; i < kNr; ++i) {
      const int8x16_t wv = vld1q_s8(w[i] + k);
      for (uint64_t j = 0; j < kNt; ++j) acc[i][j] = vdotq_s32(acc[i][j], wv, x[j]);
    }
  }
  for (uint64_t j = 0; j < kNt; ++j)
    for (uint64_t i = 0; i < kNr; ++i) {
      const int32_t sum = vaddvq_s32(acc[i][j]) + input_dot(u0 + j * stride, w[i], blocks_end, cols);
      y[j * y_stride + i] = static_cast<float>(sum) * (scale[i] * d[j]);  // the definition's order
    }
}

template <uint64_t kNr>
RWKV_EDGE_DOTPROD void row_group(const int8_t* const* w, const QuantizedInputs& x, uint64_t blocks_end, uint64_t cols,
                                 const float* scale, float* y, uint64_t y_stride) {
  uint64_t t = 0;
  for (; t + kTokens <= x.tokens; t += kTokens)
    dot_tile<kNr, kTokens>(w, x.values + t * x.stride, x.stride, blocks_end, cols, scale, x.scales + t,
                           y + t * y_stride, y_stride);
  for (; t < x.tokens; ++t)
    dot_tile<kNr, 1>(w, x.values + t * x.stride, x.stride, blocks_end, cols, scale, x.scales + t, y + t * y_stride,
                     y_stride);
}

}  // namespace

bool matmul_i8_rows(const ref::WeightMatrix& m, const QuantizedInputs& x, float* y, uint64_t row_begin,
                    uint64_t row_end) {
  if (!cpu::features().neon_dotprod) return false;
  const quant::MatrixLayout l = quant::matrix_layout(m.format, m.rows, m.cols, m.group);
  const uint8_t* params = m.data + l.params_offset;
  const uint64_t blocks_end = m.cols / 16 * 16;
  for (uint64_t r0 = row_begin; r0 < row_end; r0 += kRows) {
    const uint64_t nr = row_end - r0 < kRows ? row_end - r0 : kRows;
    const int8_t* w[kRows] = {};
    float scale[kRows] = {};
    for (uint64_t i = 0; i < nr; ++i) {
      w[i] = reinterpret_cast<const int8_t*>(m.data + (r0 + i) * l.row_bytes);
      scale[i] = ref::i8_row_scale(params, r0 + i);
    }
    float* yr = y + r0;
    if (nr == 4)
      row_group<4>(w, x, blocks_end, m.cols, scale, yr, m.rows);
    else if (nr == 3)
      row_group<3>(w, x, blocks_end, m.cols, scale, yr, m.rows);
    else if (nr == 2)
      row_group<2>(w, x, blocks_end, m.cols, scale, yr, m.rows);
    else
      row_group<1>(w, x, blocks_end, m.cols, scale, yr, m.rows);
  }
  return true;
}

}  // namespace rwkv_edge::matmul::neon

#else

namespace rwkv_edge::matmul::neon {
bool matmul_i8_rows(const ref::WeightMatrix&, const QuantizedInputs&, float*, uint64_t, uint64_t) { return false; }
}  // namespace rwkv_edge::matmul::neon

#endif
