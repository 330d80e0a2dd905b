// Formulas the CPU scalar references and the CUDA kernels share. The host
// compiler and nvcc both compile this header (functions are __host__
// __device__ under nvcc), so one definition fixes what a value is on both
// sides, and the host tests check exactly the code the GPU runs.
//
// Only the per-value or per-row arithmetic lives here; how work is split
// (loops on the CPU, threads and warps on the GPU) stays with each backend.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__CUDACC__)
#define RWKV_EDGE_HD __host__ __device__ __forceinline__
#else
#define RWKV_EDGE_HD inline
#endif

namespace rwkv_edge::shared {

// std::bit_cast for both compilers (memcpy is a builtin in device code too).
template <class To, class From>
RWKV_EDGE_HD To bit_cast(const From& v) {
  static_assert(sizeof(To) == sizeof(From));
  To out;
  memcpy(&out, &v, sizeof(To));
  return out;
}
RWKV_EDGE_HD float bits_to_float(uint32_t u) { return bit_cast<float>(u); }
RWKV_EDGE_HD uint32_t float_to_bits(float f) { return bit_cast<uint32_t>(f); }

// Exact for every half: the 15 value bits moved under float's exponent and
// scaled by 2^112 rebias normal numbers and renormalise subnormals in one
// multiply; infinities and NaNs get float's all-ones exponent.
RWKV_EDGE_HD float half_bits_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t body = static_cast<uint32_t>(h & 0x7FFF) << 13;
  if ((h & 0x7C00) == 0x7C00) return bits_to_float(sign | 0x7F800000u | body);
  return bits_to_float(sign | float_to_bits(bits_to_float(body) * 0x1p112f));
}

RWKV_EDGE_HD float bfloat16_bits_to_float(uint16_t b) { return bits_to_float(static_cast<uint32_t>(b) << 16); }

// A stored value (possibly unaligned, little-endian) as float.
RWKV_EDGE_HD float load_f32(const uint8_t* p) {
  uint32_t u;
  memcpy(&u, p, 4);
  return bits_to_float(u);
}
RWKV_EDGE_HD float load_half(const uint8_t* p) {
  uint16_t h;
  memcpy(&h, p, 2);
  return half_bits_to_float(h);
}
RWKV_EDGE_HD float load_bfloat16(const uint8_t* p) {
  uint16_t h;
  memcpy(&h, p, 2);
  return bfloat16_bits_to_float(h);
}

// Dequantization of one stored value (weight_layout.h has the layouts).
RWKV_EDGE_HD float dequant_i8(int8_t q, float row_scale) { return static_cast<float>(q) * row_scale; }
RWKV_EDGE_HD float dequant_i4(uint8_t q, float scale, float min) { return static_cast<float>(q) * scale + min; }
// The official package's torch_mm8: ((q + 0.5) * ry * rx + my + mx), operation by operation.
RWKV_EDGE_HD float dequant_u8(uint8_t q, float row_min, float row_scale, float col_min, float col_scale) {
  return (static_cast<float>(q) + 0.5f) * col_scale * row_scale + col_min + row_min;
}

// Value k of a little-endian 32-bit word of stored weights (the GPU loads
// words, the CPU references bytes): F16 and BF16 words hold 2 values, I8 4, I4 8.
RWKV_EDGE_HD float word_half(uint32_t w, int k) { return half_bits_to_float(static_cast<uint16_t>(w >> (16 * k))); }
RWKV_EDGE_HD float word_bfloat16(uint32_t w, int k) {
  return bfloat16_bits_to_float(static_cast<uint16_t>(w >> (16 * k)));
}
RWKV_EDGE_HD int8_t word_i8(uint32_t w, int k) { return static_cast<int8_t>(static_cast<uint8_t>(w >> (8 * k))); }
RWKV_EDGE_HD uint8_t word_nibble(uint32_t w, int k) { return static_cast<uint8_t>((w >> (4 * k)) & 0x0F); }

// Elementwise ops of the step graph (schema/rwkv_edge.fbs) with their exact roundings.
RWKV_EDGE_HD float mul_add(float a, float b, float c) { return a + b * c; }
RWKV_EDGE_HD float lerp(float a, float b, float m) { return a * m + b * (1.0f - m); }
// max(x, 0) by the sign bit: -0 and negative NaNs give 0, positive NaN stays NaN (torch.relu).
RWKV_EDGE_HD float relu_square(float x) {
  const auto bits = static_cast<int32_t>(float_to_bits(x));
  const float r = bits_to_float(static_cast<uint32_t>(bits & ~(bits >> 31)));
  return r * r;
}
RWKV_EDGE_HD float v7_key_mix(float k, float a, float k_a) { return k * (1.0f + (a - 1.0f) * k_a); }
inline constexpr float kV7DecayScale = -0.606531f;

// The GPU's activations. The CPU references use ATen's vectorised exp,
// tanh and sigmoid; these use the C library's (CUDA's on the device), and
// agree with them within a few ulps (tests/test_shared_math.cpp).
RWKV_EDGE_HD float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }
RWKV_EDGE_HD float silu(float x) { return x / (1.0f + expf(-x)); }
RWKV_EDGE_HD float exp_neg_exp(float x) { return expf(-expf(x)); }
RWKV_EDGE_HD float v7_decay(float x) { return expf(kV7DecayScale * sigmoid(x)); }

// LayerNorm and GroupNorm after their moments: torch 1.13's CPU kernels fuse
// (x * rstd + shift) * w + b into two FMAs, and GroupNorm rounds its
// per-channel scale and shift before one FMA.
RWKV_EDGE_HD float layer_norm_value(float x, float rstd, float shift, float w, float b) {
  return fmaf(fmaf(x, rstd, shift), w, b);
}
RWKV_EDGE_HD float group_norm_value(float x, float mean, float rstd, float w, float b) {
  const float scale = rstd * w;
  const float product = -scale * mean;
  const float shift = product + b;
  return fmaf(scale, x, shift);
}

// RWKV-4, one channel: returns wkv and advances (aa, bb, pp). `exp` is the
// backend's float exp (ATen's on the CPU, expf on the GPU).
template <class Exp>
RWKV_EDGE_HD float wkv4_channel(float k, float v, float decay, float first, float& aa, float& bb, float& pp,
                                Exp exp) {
  float ww = first + k;
  float p = pp < ww ? ww : pp;  // std::max(pp, ww), NaN cases included
  float e1 = exp(pp - p);
  float e2 = exp(ww - p);
  const float out = (e1 * aa + e2 * v) / (e1 * bb + e2);
  ww = decay + pp;
  p = ww < k ? k : ww;  // std::max(ww, k)
  e1 = exp(ww - p);
  e2 = exp(k - p);
  aa = e1 * aa + e2 * v;
  bb = e1 * bb + e2;
  pp = p;
  return out;
}

// RWKV-5/6, one head and one value index j: column j of S[i][j] (i: key) is
// S_col[i * stride]. Returns out_j = sum_i r_i (u_i k_i v_j + S_ij), summed
// in i order, and sets S_ij = k_i v_j + w_i S_ij: ref::wkv5's operations.
RWKV_EDGE_HD float wkv5_column(const float* r, const float* k, const float* w, const float* u, float vj,
                               float* S_col, uint32_t hs, uint32_t stride) {
  float out = 0.0f;
  for (uint32_t i = 0; i < hs; ++i) {
    float& s = S_col[i * stride];
    const float a = k[i] * vj;
    out += r[i] * (u[i] * a + s);
    s = a + w[i] * s;
  }
  return out;
}

// RWKV-7, one head and one value index i: row i of S[i][j] (j: key). Returns
// out_i = sum_j S_ij r_j after S_ij = S_ij w_j + (sum_l S_il (-kk_l)) kk_j a_j + v_i k_j.
RWKV_EDGE_HD float wkv7_row(float* S_row, const float* r, const float* w, const float* k, const float* kk,
                            const float* a, float vi, uint32_t hs) {
  float sa = 0.0f;
  for (uint32_t l = 0; l < hs; ++l) sa += S_row[l] * -kk[l];
  float y = 0.0f;
  for (uint32_t j = 0; j < hs; ++j) {
    S_row[j] = S_row[j] * w[j] + sa * (kk[j] * a[j]) + vi * k[j];
    y += S_row[j] * r[j];
  }
  return y;
}

}  // namespace rwkv_edge::shared
