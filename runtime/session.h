// The session: everything init resolves, laid out at the front of the
// caller's arena. The planned region (state, activations, scratch) follows it.
//
//   arena: [Session][ResolvedOp x n_ops][StateInit x n_state][mat-vec input scratch][planned arena ...]
#pragma once

#include <cstdint>

#include "cpu_features.h"
#include "model_verifier.h"
#include "onednn_matvec.h"
#include "op_signatures.h"
#include "quantized_ops.h"
#include "rwkv_edge.h"
#include "thread_pool.h"

namespace rwkv_edge {

struct ResolvedOp {
  uint16_t type = 0;
  int32_t iparam = 0;
  float fparam = 0.0f;
  uint64_t n = 0;      // output elements
  uint64_t cols = 0;   // mat-vec input length
  ref::WeightMatrix table;  // MatVec and Embed: the weight matrix in its stored format
  const float* in[kMaxOpInputs] = {};
  float* out[kMaxOpOutputs] = {};
  onednn::MatVec onednn;  // primitive == nullptr: reference kernel
  uint16_t batch = 1;     // ops from this one on that run as one job (matvec_batches.h); 0 inside a batch
};

struct StateInit {
  float* dst;
  uint64_t n;
  float value;
  const float* tensor;  // non-null: copy from this tensor instead of filling
};

struct ArenaLayout {
  uint64_t ops_offset, inits_offset, input_scratch_offset, plan_offset, total;
};

ArenaLayout arena_layout(const fb::Model& model);

// One step; `before_op` (may be null; the planner's calibration sets it) is
// called ahead of every op, when that op's inputs are valid.
using OpObserver = void (*)(void* ctx, uint32_t op_index, const ResolvedOp& op);
rwkv_edge_status step_observed(rwkv_edge_session* s, uint32_t token, OpObserver before_op, void* ctx);

}  // namespace rwkv_edge

struct rwkv_edge_session {
  uint64_t magic;
  rwkv_edge::VerifiedModel model;
  uint8_t* arena;
  uint64_t arena_bytes;
  uint8_t* plan_base;
  uint8_t* state;
  uint64_t state_bytes;
  const float* logits;
  uint32_t vocab;
  uint32_t token;
  rwkv_edge::ResolvedOp* ops;
  uint32_t n_ops;
  uint32_t n_onednn_ops;
  rwkv_edge::StateInit* state_inits;
  uint32_t n_state_inits;
  rwkv_edge::onednn::Context onednn;
  bool onednn_live;
  rwkv_edge::cpu::KernelPath kernels;
  uint8_t* input_scratch;  // gemv::prepare_input's scratch, side by side for a batch's members
  uint64_t step_weight_bytes;
  rwkv_edge::ThreadPool pool;
};
