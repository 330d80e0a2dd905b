// exp, tanh, sigmoid and SiLU rounded exactly as torch 1.13's CPU kernels
// round them, so that the reference path reproduces the official package's
// logits to a few ulps even where a model amplifies rounding differences.
//
// torch.exp and torch.tanh run every value through Sleef's u10 functions
// (the FMA build, on AVX2), partial vectors included. Sigmoid and SiLU run
// blocks of 16 floats (two AVX2 vectors) through Sleef's exp and the last
// n % 16 values through the C library's; they take the whole tensor so they
// can do the same. Sleef comes from Debian's libsleef, the library Debian's
// torch links.
#pragma once

#include <cstddef>

namespace rwkv_edge::ref {

void aten_exp(const float* x, float* out, size_t n);
// One torch.exp value, for kernels that fuse it with other work.
float aten_exp1(float x);
void aten_tanh(const float* x, float* out, size_t n);
// 1 / (1 + exp(-x))
void aten_sigmoid(const float* x, float* out, size_t n);
// x / (1 + exp(-x))
void aten_silu(const float* x, float* out, size_t n);

}  // namespace rwkv_edge::ref
