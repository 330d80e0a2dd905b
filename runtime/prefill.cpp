// Sequence mode ("GPT mode", chunked prefill): the step graph run over a
// chunk of tokens at once, in the sequence arena the planner laid out with
// max_chunk rows per activation.
//
// Every op keeps its step meaning, a row per token:
// - mat-vecs become matrix products (kernels_cpu/matmul.h), which read each
//   weight once per chunk instead of once per token: the whole point;
// - the WKV recurrences run token after token, heads split between threads.
//   Their serial form is the step's arithmetic exactly, and costs a few
//   percent of a chunk's time (heads x head_size^2 per token against the
//   mat-vecs' n_embd^2 x ~10), so a chunked-matrix form would buy little
//   and cost step-equality;
// - token shift: a state register read before its Copy gives row t the
//   Copy source's row t - 1 (row 0: the register), and the Copy keeps the
//   chunk's last row (the verifier checks this shape);
// - the head (logits) runs for the rows the caller asks for only.
// With the portable kernels a chunk's logits equal the steps' bit for bit.
#include <cstring>

#include "matmul.h"
#include "matmul_i8.h"
#include "session.h"

namespace rwkv_edge {
namespace {

const fb::Buffer& buffer_of(const rwkv_edge_session* s, uint32_t index) {
  return *s->model.model->arena()->buffers()->Get(index);
}

// Row 0 of a buffer in sequence mode, and how far apart its rows are.
float* seq_row0(const rwkv_edge_session* s, uint32_t index, uint64_t* stride) {
  const fb::Buffer& b = buffer_of(s, index);
  if (b.region() == fb::RegionKind::Persistent) {
    *stride = 0;
    return reinterpret_cast<float*>(s->plan_base + b.offset());
  }
  *stride = b.numel();
  return reinterpret_cast<float*>(s->plan_base + b.seq_offset());
}

struct MatmulJob {
  const rwkv_edge_session* session;
  const ResolvedOp* op;
  const float* xt;                   // float products: pack_input's blocks
  matmul::QuantizedInputs quantized;  // integer products
  uint64_t rows;
  WorkShares shares;
};

// Weight rows a prefill grain takes: a multiple of the AVX2 kernel's 6-row
// tile and of 8; tens to hundreds of microseconds of work on a full chunk.
constexpr uint64_t kGrainRows = 48;

void matmul_job(const void* ctx, uint32_t index, uint32_t count) {
  const auto& job = *static_cast<const MatmulJob*>(ctx);
  const ResolvedOp& r = *job.op;
  job.shares.take(index, count, [&](uint64_t unit) {
    const uint64_t begin = unit * kGrainRows;
    const uint64_t end = begin + kGrainRows < r.table.rows ? begin + kGrainRows : r.table.rows;
    if (r.int8_inputs)
      matmul::matmul_i8_rows(job.session->kernels, r.table, job.quantized, r.seq_out[0], begin, end);
    else
      matmul::matmul_rows(job.session->kernels, r.table, job.xt, job.rows, r.seq_out[0], begin, end);
  });
}

void run_matmul(rwkv_edge_session* s, const ResolvedOp& r, uint64_t rows) {
  MatmulJob job{s, &r, s->sequence_scratch, {}, rows, {}};
  if (r.int8_inputs)
    job.quantized = matmul::quantize_inputs(s->kernels, r.seq_in[1], rows, r.cols, s->sequence_scratch);
  else
    matmul::pack_input(s->kernels, r.seq_in[1], rows, r.cols, s->sequence_scratch);
  job.shares.reset((r.table.rows + kGrainRows - 1) / kGrainRows, s->pool.size());
  if (s->pool.size() > 1)
    s->pool.run(&matmul_job, &job);
  else
    matmul_job(&job, 0, 1);
}

// Every other op, row by row: rows [begin, end).
void run_rows(const ResolvedOp& r, const uint32_t* tokens, uint64_t begin, uint64_t end) {
  const float* in[kMaxOpInputs] = {};
  float* out[kMaxOpOutputs] = {};
  for (uint64_t t = begin; t < end; ++t) {
    for (int i = 0; i < kMaxOpInputs && r.seq_in[i] != nullptr; ++i) {
      if (r.shifted & (1u << i))
        in[i] = t == 0 ? r.in[i] : r.seq_in[i] + (t - 1) * r.in_stride[i];
      else
        in[i] = r.seq_in[i] + t * r.in_stride[i];
    }
    for (int o = 0; o < kMaxOpOutputs && r.seq_out[o] != nullptr; ++o) out[o] = r.seq_out[o] + t * r.out_stride[o];
    run_row_op(r, in, out, tokens[t]);
  }
}

struct RowsJob {
  const ResolvedOp* op;
  const uint32_t* tokens;
  uint64_t rows;
};

void rows_job(const void* ctx, uint32_t index, uint32_t count) {
  const auto& job = *static_cast<const RowsJob*>(ctx);
  uint64_t begin = 0, end = 0;
  split_rows(job.rows, 1, index, count, &begin, &end);
  run_rows(*job.op, job.tokens, begin, end);
}

// Rows are independent except through state: v4's recurrence (its aa, bb,
// pp outputs) runs token after token on one thread.
void run_row_ops(rwkv_edge_session* s, const ResolvedOp& r, const uint32_t* tokens, uint64_t rows) {
  const bool serial = static_cast<fb::OpType>(r.type) == fb::OpType::Wkv4;
  const RowsJob job{&r, tokens, rows};
  if (s->pool.size() > 1 && rows > 1 && !serial)
    s->pool.run(&rows_job, &job);
  else
    run_rows(r, tokens, 0, rows);
}

// One chunk of at most max_chunk tokens (checked by the caller). `each`:
// the logits of every row go to it; otherwise only the last row's are made,
// and only when `last` (earlier chunks' logits are never seen).
void run_chunk(rwkv_edge_session* s, const uint32_t* tokens, uint64_t rows, rwkv_edge_logits_fn each, void* ctx,
               uint64_t first_index, bool last) {
  for (uint32_t i = 0; i < s->n_ops; ++i) {
    const ResolvedOp& r = s->ops[i];
    switch (static_cast<fb::OpType>(r.type)) {
      case fb::OpType::MatVec:
        if (!r.writes_logits) {
          run_matmul(s, r, rows);
        } else if (each == nullptr) {
          if (last) run_matvec_single(s, r, r.seq_in[1] + (rows - 1) * r.in_stride[1], r.out[0]);
        } else {
          for (uint64_t t = 0; t < rows; ++t) {
            run_matvec_single(s, r, r.seq_in[1] + t * r.in_stride[1], r.out[0]);
            each(ctx, first_index + t, r.out[0]);
          }
        }
        break;
      case fb::OpType::Wkv5:
      case fb::OpType::Wkv7: run_wkv_rows(s, r, r.seq_in, r.in_stride, r.seq_out[0], r.out_stride[0], rows); break;
      default:
        if (r.writes_state)  // a shift register keeps the chunk's last row
          std::memcpy(r.out[0], r.seq_in[0] + (rows - 1) * r.in_stride[0], r.n * sizeof(float));
        else
          run_row_ops(s, r, tokens, rows);
        break;
    }
  }
}

rwkv_edge_status prefill(rwkv_edge_session* s, const uint32_t* tokens, size_t n_tokens, rwkv_edge_logits_fn each,
                         void* ctx) {
  if (!session_valid(s)) return make_status(RWKV_EDGE_INVALID_ARGUMENT, "session is not initialised");
  if (tokens == nullptr || n_tokens == 0) return make_status(RWKV_EDGE_INVALID_ARGUMENT, "no tokens to prefill");
  // All of them first: a bad id must not leave the state half advanced.
  for (size_t i = 0; i < n_tokens; ++i)
    if (tokens[i] >= s->vocab)
      return make_status(RWKV_EDGE_TOKEN_OUT_OF_RANGE, "token %u (position %zu) is outside the vocabulary (size %u)",
                         tokens[i], i, s->vocab);
  // A plan without sequence mode, or a CUDA session (chunks on the GPU are
  // not written yet): a step per token.
  if (s->max_chunk == 0 || s->cuda.live) {
    for (size_t i = 0; i < n_tokens; ++i) {
      RWKV_EDGE_RETURN_IF_ERROR(step_observed(s, tokens[i], nullptr, nullptr));
      if (each != nullptr) each(ctx, i, s->logits);
    }
    return ok_status();
  }
  for (size_t done = 0; done < n_tokens;) {
    const uint64_t rows = n_tokens - done < s->max_chunk ? n_tokens - done : s->max_chunk;
    run_chunk(s, tokens + done, rows, each, ctx, done, done + rows == n_tokens);
    done += rows;
  }
  s->token = tokens[n_tokens - 1];
  return ok_status();
}

}  // namespace

void resolve_sequence(rwkv_edge_session* s, uint32_t prefill_inputs) {
  const fb::Model& model = *s->model.model;
  const uint32_t logits = model.arena()->logits_buffer();
  for (uint32_t i = 0; i < s->n_ops; ++i) {
    const fb::Op& op = *model.graph()->Get(i);
    ResolvedOp& r = s->ops[i];
    for (uint32_t k = 0; k < op.inputs()->size(); ++k) {
      const fb::Operand* o = op.inputs()->Get(k);
      if (o->kind() == fb::OperandKind::Weight) {
        r.seq_in[k] = r.in[k];
        r.in_stride[k] = 0;
        continue;
      }
      if (buffer_of(s, o->index()).region() != fb::RegionKind::Persistent) {
        r.seq_in[k] = seq_row0(s, o->index(), &r.in_stride[k]);
        continue;
      }
      // A shift register (model_verifier.cpp: check_sequence_plan): rows
      // past the first read the source of the Copy that updates it.
      for (uint32_t j = i + 1; j < s->n_ops; ++j) {
        const fb::Op& later = *model.graph()->Get(j);
        if (later.type() == fb::OpType::Copy && later.outputs()->Get(0) == o->index()) {
          r.seq_in[k] = seq_row0(s, later.inputs()->Get(0)->index(), &r.in_stride[k]);
          r.shifted |= static_cast<uint8_t>(1u << k);
          break;
        }
      }
    }
    for (uint32_t k = 0; k < op.outputs()->size(); ++k) r.seq_out[k] = seq_row0(s, op.outputs()->Get(k), &r.out_stride[k]);
    r.writes_state = op.type() == fb::OpType::Copy && buffer_of(s, op.outputs()->Get(0)).region() == fb::RegionKind::Persistent;
    r.writes_logits = op.outputs()->Get(0) == logits;
    // Integer products need the int32 sums to stay exact and the scratch to
    // hold the rounded inputs; a matrix that misses either keeps floats. So
    // does every path without an integer kernel: the scalar definition is
    // slower than the portable float kernel (157 against 194 tok/s, 0.1B
    // int8, x86).
    r.int8_inputs = prefill_inputs == RWKV_EDGE_PREFILL_INPUTS_INT8 && matmul::has_integer_kernel(s->kernels) &&
                    op.type() == fb::OpType::MatVec &&
                    !r.writes_logits && r.table.format == quant::Format::I8 && r.cols <= matmul::kI8MaxCols &&
                    matmul::quantized_input_bytes(s->max_chunk, r.cols) <= s->sequence_scratch_bytes;
    s->n_prefill_int8_ops += r.int8_inputs ? 1 : 0;
  }
  s->prefill_inputs = prefill_inputs;
}

}  // namespace rwkv_edge

using namespace rwkv_edge;

extern "C" {

rwkv_edge_status rwkv_edge_prefill(rwkv_edge_session* s, const uint32_t* tokens, size_t n_tokens,
                                   const float** logits) {
  RWKV_EDGE_RETURN_IF_ERROR(prefill(s, tokens, n_tokens, nullptr, nullptr));
  if (logits != nullptr) *logits = s->logits;
  return ok_status();
}

rwkv_edge_status rwkv_edge_prefill_each(rwkv_edge_session* s, const uint32_t* tokens, size_t n_tokens,
                                        rwkv_edge_logits_fn each, void* ctx) {
  if (each == nullptr) return make_status(RWKV_EDGE_INVALID_ARGUMENT, "no logits callback");
  return prefill(s, tokens, n_tokens, each, ctx);
}

uint32_t rwkv_edge_max_chunk(const rwkv_edge_session* s) { return session_valid(s) ? s->max_chunk : 0; }

}  // extern "C"
