// The official loader normalises the embedding with F.layer_norm in the
// checkpoint's own dtype. For bfloat16 weights on the CPU, torch 1.13 (the
// version the official logits come from) computes the row moments with
// Welford updates in which every single operation is rounded to bfloat16, so
// its result is several bf16 ulps away from an exact layer norm. Matching the
// official logits to 1e-4 needs that exact arithmetic, reproduced here.
#pragma once

#include <cstdint>

namespace rwkv_edge::planner {

// Normalises each of n_rows rows of `cols` values in place, bit for bit as
// torch 1.13's CPU LayerNorm does on bfloat16 tensors with AVX2 or the
// default (16-lane) vector width. Every input must already be a bfloat16
// value held in a float; so is every output.
void torch_bf16_layer_norm_rows(float* rows, uint64_t n_rows, uint64_t cols, const float* weight,
                                const float* bias, float eps);

}  // namespace rwkv_edge::planner
