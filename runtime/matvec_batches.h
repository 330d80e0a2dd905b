// Consecutive mat-vecs that neither read nor overwrite each other's buffers
// run as one thread-pool job: one hand-off instead of one per matrix (a v7
// layer's seven mix-reading mat-vecs, then its four LoRA second halves).
// Worked out from the verified model alone, so the arena can be sized for
// the batches' input scratch before init.
#pragma once

#include <cstdint>

#include "rwkv_edge_generated.h"

namespace rwkv_edge {

inline constexpr uint32_t kMaxMatVecBatch = 16;

// Scratch one mat-vec's prepared input needs, a multiple of 64 (0 for most formats).
uint64_t matvec_input_scratch(const fb::Model& model, const fb::Op& op);

// How many ops from `first` on (at least 1) run as one batch.
uint32_t matvec_batch_size(const fb::Model& model, uint32_t first);

// Calls on_batch(first, size) for every batch in op order (a batch of 1 for
// every other op) and returns the input scratch the most demanding batch
// needs (its members' needs, side by side).
template <typename OnBatch>
uint64_t plan_matvec_batches(const fb::Model& model, OnBatch&& on_batch) {
  uint64_t most = 0;
  for (uint32_t i = 0; i < model.graph()->size();) {
    const uint32_t size = matvec_batch_size(model, i);
    uint64_t scratch = 0;
    for (uint32_t k = i; k < i + size; ++k) scratch += matvec_input_scratch(model, *model.graph()->Get(k));
    most = scratch > most ? scratch : most;
    on_batch(i, size);
    i += size;
  }
  return most;
}

}  // namespace rwkv_edge
