// Sleef's AVX2 u10 exp and tanh, 16 values a call: the functions ATen's
// AVX2 build calls, bit for bit the scalar FMA build (sleef_fma.h) that the
// reference uses one value at a time (tests/test_reference_ops.cpp checks
// the two agree). Only call them when sleef_avx2_available().
#pragma once

namespace rwkv_edge::ref {

bool sleef_avx2_available();
void sleef_avx2_exp16(const float* x, float* out);   // out[i] = exp(x[i]), i < 16
void sleef_avx2_tanh16(const float* x, float* out);  // out[i] = tanh(x[i]), i < 16

}  // namespace rwkv_edge::ref
