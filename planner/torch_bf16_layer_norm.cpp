#include "torch_bf16_layer_norm.h"

#include <cmath>

#include "checkpoint.h"
#include "torch_moments.h"

namespace rwkv_edge::planner {
namespace {

// c10::BFloat16 arithmetic is each operation in float, rounded to nearest
// even (round_to_bfloat16). Lanes: ATen's Vectorized<BFloat16> width on AVX2
// and in the portable build.
constexpr int kBf16Lanes = 16;

}  // namespace

void torch_bf16_layer_norm_rows(float* rows, uint64_t n_rows, uint64_t cols, const float* weight,
                                const float* bias, float eps) {
  for (uint64_t r = 0; r < n_rows; ++r) {
    float* x = rows + r * cols;
    const ref::RowMoments m = ref::torch_row_moments<kBf16Lanes>(x, cols, round_to_bfloat16);
    // rstd, scale and shift are BFloat16 scalars in ATen; sqrt returns bf16.
    const float root = round_to_bfloat16(std::sqrt(round_to_bfloat16(m.variance + round_to_bfloat16(eps))));
    const float rstd = round_to_bfloat16(1.0f / root);
    const float shift = round_to_bfloat16(-rstd * m.mean);
    // The affine part runs on float vectors (two FMAs) and rounds once.
    for (uint64_t c = 0; c < cols; ++c) x[c] = round_to_bfloat16(std::fma(std::fma(x[c], rstd, shift), weight[c], bias[c]));
  }
}

}  // namespace rwkv_edge::planner
