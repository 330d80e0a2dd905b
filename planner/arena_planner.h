// Assigns every buffer of the step graph a fixed arena offset.
//
// Layout: [persistent state][planned activations][scratch]. State buffers are
// packed back to back (saved and restored as one block). Activations are
// placed greedy-by-size over their lifetimes, TFLite-Micro style, after
// folding an op's output onto an input that dies at that op when the op
// allows in-place execution.
#pragma once

#include <cstdint>

#include "graph.h"

namespace rwkv_edge::planner {

struct ArenaPlanResult {
  uint64_t state_bytes = 0;
  uint64_t planned_offset = 0, planned_bytes = 0;
  uint64_t scratch_offset = 0, scratch_bytes = 0;
  uint64_t total_bytes = 0;
  uint64_t naive_activation_bytes = 0;  // sum of all activations, for comparison
  uint32_t in_place_merges = 0;
};

ArenaPlanResult plan_arena(Graph& g, uint64_t scratch_bytes);

}  // namespace rwkv_edge::planner
