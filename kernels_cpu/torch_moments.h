// Row mean and population variance computed exactly as torch 1.13's CPU
// LayerNorm and GroupNorm kernels compute them (ATen's RowwiseMoments:
// lane-wise Welford updates over chunks of 16 vectors, chunks merged through
// a binary-counter stack, a scalar tail, then the lanes folded one by one).
//
// Why replicate rather than use a more accurate sum: the official package's
// logits are the truth for this runtime, and on some checkpoints (random
// weights with a large mean in the residual stream) layer norm amplifies its
// float rounding into logits that differ by 1e-3 from any other summation
// order. With the same order we match to a few float ulps.
//
// The lane count is that of ATen's Vectorized<T> on AVX2 and in the portable
// build (32 bytes: 8 floats, 16 bfloat16s), which is what Debian's torch uses
// on x86-64 machines without AVX-512. Every operation result passes through
// `round`, so the same code serves float32 (identity) and bfloat16 (round to
// the nearest bf16) arithmetic. Files including this must be compiled without
// floating-point contraction (the project builds with -ffp-contract=off).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace rwkv_edge::ref {

struct RowMoments {
  float mean;
  float variance;  // population (biased) variance
};

namespace torch_moments_detail {

// Vectors per Welford chunk before the cascade merges (ATen's kChunkSize).
inline constexpr int64_t kChunkVectors = 16;
// Enough stack levels for rows of up to lanes * 16 * 2^32 values.
inline constexpr int64_t kMaxDepth = 32;

inline int64_t ceil_log2(int64_t x) {
  if (x <= 2) return 1;
  int64_t bits = 0;
  for (uint64_t v = static_cast<uint64_t>(x - 1); v != 0; v >>= 1) ++bits;
  return bits;
}

template <int kLanes>
struct LaneMoments {
  int64_t count = 0;
  std::array<float, kLanes> mean{};
  std::array<float, kLanes> m2{};
};

// m += add (ATen's AddMomentsVec).
template <int kLanes, typename Round>
void merge(const LaneMoments<kLanes>& add, LaneMoments<kLanes>& m, Round round) {
  const int64_t n = m.count + add.count;
  const float c = n == 0 ? 0.0f : round(round(static_cast<float>(add.count)) / round(static_cast<float>(n)));
  const float count_before = round(static_cast<float>(m.count));
  for (int l = 0; l < kLanes; ++l) {
    const float delta = round(add.mean[l] - m.mean[l]);
    m.mean[l] = round(m.mean[l] + round(c * delta));
    const float spread = round(round(round(delta * delta) * c) * count_before);
    m.m2[l] = round(m.m2[l] + round(add.m2[l] + spread));
  }
  m.count = n;
}

}  // namespace torch_moments_detail

template <int kLanes, typename Round>
RowMoments torch_row_moments(const float* x, size_t size, Round round) {
  using namespace torch_moments_detail;
  using Lanes = LaneMoments<kLanes>;
  const int64_t n_values = static_cast<int64_t>(size);
  const int64_t n_vectors = n_values / kLanes;
  const int64_t n_chunks = (n_vectors + kChunkVectors - 1) / kChunkVectors;
  int64_t depth = ceil_log2(n_chunks);
  if (depth > kMaxDepth) depth = kMaxDepth;  // unreachable for any row a model file can hold
  std::array<Lanes, kMaxDepth> stack{};

  for (int64_t i = 0; i < n_chunks; ++i) {
    Lanes chunk;
    chunk.count = n_vectors - i * kChunkVectors < kChunkVectors ? n_vectors - i * kChunkVectors : kChunkVectors;
    for (int64_t j = 0; j < chunk.count; ++j) {
      const float* v = x + (i * kChunkVectors + j) * kLanes;
      const float c = round(1.0f / round(static_cast<float>(j + 1)));
      for (int l = 0; l < kLanes; ++l) {
        const float delta = round(v[l] - chunk.mean[l]);
        chunk.mean[l] = round(chunk.mean[l] + round(delta * c));
        chunk.m2[l] = round(chunk.m2[l] + round(delta * round(v[l] - chunk.mean[l])));
      }
    }
    merge(chunk, stack[0], round);
    int64_t mask = i + 1;
    for (int64_t j = 1; j < depth && (mask & 1) == 0; ++j) {
      merge(stack[j - 1], stack[j], round);
      stack[j - 1] = Lanes{};
      mask >>= 1;
    }
  }
  for (int64_t i = 1; i < depth; ++i) merge(stack[i], stack[0], round);

  // The tail that does not fill a vector, then each lane merged in as a
  // partial result of n_vectors values (ATen's scalar AddMoments).
  LaneMoments<1> total;
  for (int64_t i = n_vectors * kLanes; i < n_values; ++i) {
    const float delta = round(x[i] - total.mean[0]);
    ++total.count;
    total.mean[0] = round(total.mean[0] + round(delta / round(static_cast<float>(total.count))));
    total.m2[0] = round(total.m2[0] + round(delta * round(x[i] - total.mean[0])));
  }
  for (int l = 0; l < kLanes; ++l) {
    LaneMoments<1> lane;
    lane.count = n_vectors;
    lane.mean[0] = stack[0].mean[l];
    lane.m2[0] = stack[0].m2[l];
    merge(lane, total, round);
  }
  return {total.mean[0], round(total.m2[0] / round(static_cast<float>(n_values)))};
}

}  // namespace rwkv_edge::ref
