// The session: everything init resolves, laid out at the front of the
// caller's arena. The planned region (state, activations, scratch) follows it.
//
//   arena: [Session][ResolvedOp x n_ops][StateInit x n_state][mat-vec input scratch][planned arena ...]
#pragma once

#include <cstdint>

#include "cpu_features.h"
#include "cuda_backend.h"
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
  // Sequence mode (prefill.cpp): row 0 of every operand; row t is t * its
  // stride further (stride 0: weights and state, the same every row).
  const float* seq_in[kMaxOpInputs] = {};
  float* seq_out[kMaxOpOutputs] = {};
  uint64_t in_stride[kMaxOpInputs] = {};
  uint64_t out_stride[kMaxOpOutputs] = {};
  uint8_t shifted = 0;         // bit i: input i is a token-shift register (row t reads row t - 1 of seq_in[i])
  bool writes_state = false;   // a Copy into a shift register: only the chunk's last row is copied
  bool writes_logits = false;  // the head: only the rows asked for are computed, one at a time
  bool int8_inputs = false;    // prefill multiplies in integers (RWKV_EDGE_PREFILL_INPUTS_INT8, an int8 matrix)
};

struct StateInit {
  float* dst;
  uint64_t n;
  float value;
  const float* tensor;  // non-null: copy from this tensor instead of filling
  bool on_device;       // a CUDA session's op writes it: the device copy is the live one
  uint32_t buffer;      // its index in the plan's buffers
};

struct ArenaLayout {
  uint64_t ops_offset, inits_offset, input_scratch_offset, plan_offset, total;
};

ArenaLayout arena_layout(const fb::Model& model);

// One step; `before_op` (may be null; the planner's calibration sets it) is
// called ahead of every op, when that op's inputs are valid.
using OpObserver = void (*)(void* ctx, uint32_t op_index, const ResolvedOp& op);
rwkv_edge_status step_observed(rwkv_edge_session* s, uint32_t token, OpObserver before_op, void* ctx);

// Runs one op for one token on explicit operands (a step, or one row of a
// prefill chunk). Not for MatVec and the WKV recurrences of v5-v7, whose
// callers split them between threads.
void run_row_op(const ResolvedOp& r, const float* const* in, float* const* out, uint32_t token);
// The WKV recurrence of v5-v7 over `rows` tokens, heads split between the
// pool's threads: row t's operands are t * their stride further.
void run_wkv_rows(rwkv_edge_session* s, const ResolvedOp& r, const float* const* in, const uint64_t* in_stride,
                  float* out, uint64_t out_stride, uint64_t rows);
// A mat-vec for one token (the head during prefill).
void run_matvec_single(rwkv_edge_session* s, const ResolvedOp& r, const float* x, float* y);
// Binds the sequence-mode fields of every op (init, when the plan has
// max_chunk > 0); `prefill_inputs` is the rwkv_edge_prefill_inputs asked for.
void resolve_sequence(rwkv_edge_session* s, uint32_t prefill_inputs);
bool session_valid(const rwkv_edge_session* s);

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
  uint32_t max_chunk;       // 0: the plan has no sequence mode (prefill runs steps)
  float* sequence_scratch;  // the chunk's transposed mat-vec input
  uint64_t sequence_scratch_bytes;
  uint32_t prefill_inputs;    // rwkv_edge_prefill_inputs in effect
  uint32_t n_prefill_int8_ops;
  rwkv_edge::CudaBackend cuda;  // live: steps run on the GPU (cuda_backend.h)
};
