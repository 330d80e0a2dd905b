// Assigns every buffer of the step graph a fixed arena offset.
//
// Layout: [persistent state][planned activations][scratch]; sequence mode
// (chunked prefill) gets a second placement of the same activations with
// max_chunk rows each, laid over [planned activations][scratch] (step and
// prefill never run at once), followed by its own scratch. State buffers are
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
  // Sequence mode (chunked prefill), laid over the planned and scratch
  // regions from planned_offset: 0 when the plan has none.
  uint32_t max_chunk = 0;
  uint64_t sequence_bytes = 0;  // activations of max_chunk rows, then the sequence scratch
  uint64_t sequence_scratch_offset = 0, sequence_scratch_bytes = 0;
};

struct SequenceOptions {
  uint32_t max_chunk = 0;      // 0: no sequence mode
  uint64_t scratch_bytes = 0;  // the runtime's transposed chunk input (matmul::packed_input_floats)
};

// Fills every buffer's offset (and seq_offset when sequence.max_chunk > 0).
ArenaPlanResult plan_arena(Graph& g, uint64_t scratch_bytes, const SequenceOptions& sequence);

}  // namespace rwkv_edge::planner
