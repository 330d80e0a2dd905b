#include "session.h"

#include <cstring>
#include <iterator>
#include <new>

#include "gemv.h"
#include "matvec_batches.h"
#include "placement_split.h"
#include "reference_ops.h"
#include "wkv.h"

#include <omp.h>  // the OpenMP runtime oneDNN threads on (libgomp, see CMakeLists.txt)

namespace rwkv_edge {
namespace {

constexpr uint64_t kSessionMagic = 0x5253455645444745ull;  // "EGDEVESR"
// Work smaller than this runs on the calling thread alone: below it the
// hand-off (about a microsecond when the workers spin, tens when they must be
// woken) costs more than splitting saves. Mat-vecs also need two grains or
// more (a grain is never split). Measured on the tiny model (docs/performance.md).
constexpr uint64_t kParallelMinWeights = 64 * 1024;
// A WKV update's state: heads x head_size^2 floats per token (the 0.1B shape:
// 48K per layer, split; the tiny models' 512, not).
constexpr uint64_t kParallelMinWkvState = 8 * 1024;

uint32_t count_state_buffers(const fb::Model& model) {
  uint32_t n = 0;
  for (const fb::Buffer* b : *model.arena()->buffers()) n += b->region() == fb::RegionKind::Persistent;
  return n;
}

const float* weight_ptr(const VerifiedModel& vm, uint32_t index) {
  const fb::Tensor* t = vm.model->tensors()->Get(index);
  return reinterpret_cast<const float*>(vm.weights + t->offset());
}

float* buffer_ptr(uint8_t* plan_base, const fb::Model& model, uint32_t index) {
  return reinterpret_cast<float*>(plan_base + model.arena()->buffers()->Get(index)->offset());
}

void resolve_op(rwkv_edge_session* s, const fb::Op& op, ResolvedOp* r) {
  const fb::Model& model = *s->model.model;
  *r = ResolvedOp{};
  r->type = static_cast<uint16_t>(op.type());
  for (uint32_t i = 0; i < op.inputs()->size(); ++i) {
    const fb::Operand* o = op.inputs()->Get(i);
    r->in[i] = o->kind() == fb::OperandKind::Weight ? weight_ptr(s->model, o->index())
                                                    : buffer_ptr(s->plan_base, model, o->index());
  }
  for (uint32_t i = 0; i < op.outputs()->size(); ++i)
    r->out[i] = buffer_ptr(s->plan_base, model, op.outputs()->Get(i));
  r->n = model.arena()->buffers()->Get(op.outputs()->Get(0))->numel();
  if (op.iparams() && op.iparams()->size()) r->iparam = op.iparams()->Get(0);
  if (op.fparams() && op.fparams()->size()) r->fparam = op.fparams()->Get(0);
  if (op.type() == fb::OpType::MatVec || op.type() == fb::OpType::Embed) {
    const fb::Tensor* t = model.tensors()->Get(op.inputs()->Get(0)->index());
    r->cols = t->shape()->Get(1);
    r->table.format = static_cast<quant::Format>(t->dtype());
    r->table.data = s->model.weights + t->offset();
    r->table.rows = t->shape()->Get(0);
    r->table.cols = r->cols;
    r->table.group = t->group_size();
    const quant::MatrixLayout l = quant::matrix_layout(r->table.format, r->table.rows, r->table.cols, r->table.group);
    s->step_weight_bytes += op.type() == fb::OpType::MatVec ? l.bytes : quant::row_read_bytes(r->table.format, l, r->cols);
  }
}

Status bind_onednn(rwkv_edge_session* s) {
  const fb::ArenaPlan& plan = *s->model.model->arena();
  uint8_t* scratch = nullptr;
  uint64_t scratch_bytes = 0;
  for (const fb::Region* region : *plan.regions())
    if (region->kind() == fb::RegionKind::Scratch) {
      scratch = s->plan_base + region->offset();
      scratch_bytes = region->size();
    }
  // oneDNN's scratchpad depends on the CPU it runs on (its ISA, its cache
  // sizes): a plan made elsewhere may keep too little. Say how much it takes.
  size_t most = 0;
  for (uint32_t i = 0; i < s->n_ops; ++i) {
    const ResolvedOp& r = s->ops[i];
    bool known = false;
    if (r.type == static_cast<uint16_t>(fb::OpType::MatVec) && r.table.format == quant::Format::F32 &&
        onednn::worth_binding(r.n, r.cols))
      most = std::max(most, onednn::matvec_scratchpad_bytes(s->onednn, r.n, r.cols, &known));
  }
  if (most > scratch_bytes)
    return make_status(RWKV_EDGE_ARENA_TOO_SMALL,
                       "oneDNN on this CPU needs %llu bytes of scratch; this model file keeps %llu: plan it with "
                       "--onednn-scratch %llu (or host), or run without oneDNN",
                       static_cast<unsigned long long>(most), static_cast<unsigned long long>(scratch_bytes),
                       static_cast<unsigned long long>(most));
  for (uint32_t i = 0; i < s->n_ops; ++i) {
    ResolvedOp& r = s->ops[i];
    if (r.type != static_cast<uint16_t>(fb::OpType::MatVec) || r.table.format != quant::Format::F32 ||
        !onednn::worth_binding(r.n, r.cols))
      continue;
    // A shape oneDNN refuses keeps the reference kernel.
    if (onednn::create_matvec(s->onednn, r.in[0], r.in[1], r.out[0], r.n, r.cols, scratch,
                              scratch_bytes, &r.onednn))
      ++s->n_onednn_ops;
  }
  return ok_status();
}

// A WKV recurrence on heads [first, first + count) only, over `rows`
// tokens in order: every operand is per channel, the state per head, so a
// range is pointer offsets.
struct WkvJob {
  cpu::KernelPath kernels;
  const ResolvedOp* op;
  const float* const* in;
  const uint64_t* in_stride;
  float* out;
  uint64_t out_stride;
  uint64_t rows;
  WorkShares shares;  // a unit per head
};

void wkv_heads(const WkvJob& job, uint64_t first, uint64_t count) {
  const ResolvedOp& r = *job.op;
  const uint64_t hs = r.n / static_cast<uint64_t>(r.iparam), o = first * hs, n = count * hs;
  float* state = r.out[1] + first * hs * hs;
  const bool v7 = static_cast<fb::OpType>(r.type) == fb::OpType::Wkv7;
  for (uint64_t t = 0; t < job.rows; ++t) {
    const float* in[kMaxOpInputs];
    for (int i = 0; i < (v7 ? 6 : 5); ++i) in[i] = job.in[i] + t * job.in_stride[i] + o;
    float* out = job.out + t * job.out_stride + o;
    if (v7)
      wkv::wkv7(job.kernels, in[0], in[1], in[2], in[3], in[4], in[5], state, out, n, count);
    else
      wkv::wkv5(job.kernels, in[0], in[1], in[2], in[3], in[4], state, out, n, count);
  }
}

void wkv_job(const void* ctx, uint32_t index, uint32_t count) {
  const auto& job = *static_cast<const WkvJob*>(ctx);
  job.shares.take(index, count, [&](uint64_t head) { wkv_heads(job, head, 1); });
}

// One mat-vec, or a batch of them that read none of each other's outputs
// (matvec_batches.h): inputs prepared once, then the threads share out the
// batch's rows in grains (WorkShares), one hand-off for all.
struct MatVecJob {
  const rwkv_edge_session* session;
  const ResolvedOp* ops;
  uint32_t count;
  gemv::Input inputs[kMaxMatVecBatch];
  float* outputs[kMaxMatVecBatch];
  uint64_t grain_rows[kMaxMatVecBatch];
  uint64_t first_unit[kMaxMatVecBatch + 1];  // matrix k's grains are units [first_unit[k], first_unit[k + 1])
  WorkShares shares;
};

// About this many weights a grain: 64 KiB of int8, some tens of microseconds
// of streaming, so the claims' atomics stay in the noise.
constexpr uint64_t kGrainWeights = 64 * 1024;

uint64_t grain_rows_for(uint64_t cols) {
  const uint64_t rows = (kGrainWeights / (cols > 0 ? cols : 1) + gemv::kRowAlign - 1) / gemv::kRowAlign;
  return (rows > 0 ? rows : 1) * gemv::kRowAlign;
}

void matvec_job(const void* ctx, uint32_t index, uint32_t count) {
  const auto& job = *static_cast<const MatVecJob*>(ctx);
  uint32_t k = 0;
  job.shares.take(index, count, [&](uint64_t unit) {
    if (unit < job.first_unit[k]) k = 0;  // taken from another thread's share, further back
    while (unit >= job.first_unit[k + 1]) ++k;
    const ResolvedOp& r = job.ops[k];
    const uint64_t begin = (unit - job.first_unit[k]) * job.grain_rows[k];
    const uint64_t end = begin + job.grain_rows[k] < r.table.rows ? begin + job.grain_rows[k] : r.table.rows;
    gemv::matvec_rows(job.session->kernels, r.table, job.inputs[k], job.outputs[k], begin, end);
  });
}

// `x` and `y` (a single op only) replace the op's own input and output: a
// prefill row. oneDNN's primitive is bound to the op's own buffers, so such
// a call takes our kernels.
void run_matvecs(rwkv_edge_session* s, const ResolvedOp* ops, uint32_t count, const float* x = nullptr,
                 float* y = nullptr) {
  if (x == nullptr && count == 1 && ops[0].onednn.primitive != nullptr && onednn::run_matvec(s->onednn, ops[0].onednn))
    return;
  MatVecJob job{s, ops, count, {}, {}, {}, {}, {}};
  uint8_t* scratch = s->input_scratch;
  uint64_t weights = 0;
  for (uint32_t k = 0; k < count; ++k) {
    const ref::WeightMatrix& m = ops[k].table;
    job.outputs[k] = y != nullptr ? y : ops[k].out[0];
    job.inputs[k] = gemv::prepare_input(s->kernels, m, x != nullptr ? x : ops[k].in[1], scratch);
    scratch += gemv::input_scratch_bytes(m.format, m.cols, m.group);
    weights += m.rows * m.cols;
    job.grain_rows[k] = grain_rows_for(m.cols);
    job.first_unit[k + 1] = job.first_unit[k] + (m.rows + job.grain_rows[k] - 1) / job.grain_rows[k];
  }
  job.shares.reset(job.first_unit[count], s->pool.size());
  if (s->pool.size() > 1 && weights >= kParallelMinWeights && job.shares.units() >= 2)
    s->pool.run(&matvec_job, &job);
  else
    matvec_job(&job, 0, 1);
}

void run_op(rwkv_edge_session* s, const ResolvedOp& r) {
  switch (static_cast<fb::OpType>(r.type)) {
    case fb::OpType::MatVec: run_matvecs(s, &r, 1); break;
    case fb::OpType::Wkv5:
    case fb::OpType::Wkv7: {
      static constexpr uint64_t kNoStride[kMaxOpInputs] = {};
      run_wkv_rows(s, r, r.in, kNoStride, r.out[0], 0, 1);
      break;
    }
    default: run_row_op(r, r.in, r.out, s->token); break;
  }
}

void release_onednn(rwkv_edge_session* s) {
  for (uint32_t i = 0; i < s->n_ops; ++i)
    if (s->ops[i].onednn.primitive) onednn::destroy_matvec(&s->ops[i].onednn);
  if (s->onednn_live) onednn::destroy_context(&s->onednn);
  s->onednn_live = false;
}

bool valid(const rwkv_edge_session* s) { return s != nullptr && s->magic == kSessionMagic; }

}  // namespace

bool session_valid(const rwkv_edge_session* s) { return valid(s); }

void run_row_op(const ResolvedOp& r, const float* const* in, float* const* out, uint32_t token) {
  using fb::OpType;
  const auto n = static_cast<size_t>(r.n);
  switch (static_cast<OpType>(r.type)) {
    case OpType::Embed: ref::dequantize_row(r.table, token, out[0]); break;
    case OpType::LayerNorm: ref::layer_norm(in[0], in[1], in[2], out[0], n, r.fparam); break;
    case OpType::GroupNorm:
      ref::group_norm(in[0], in[1], in[2], out[0], n, static_cast<size_t>(r.iparam), r.fparam);
      break;
    case OpType::Add: ref::add(in[0], in[1], out[0], n); break;
    case OpType::Sub: ref::sub(in[0], in[1], out[0], n); break;
    case OpType::Mul: ref::mul(in[0], in[1], out[0], n); break;
    case OpType::MulAdd: ref::mul_add(in[0], in[1], in[2], out[0], n); break;
    case OpType::Lerp: ref::lerp(in[0], in[1], in[2], out[0], n); break;
    case OpType::Sigmoid: ref::sigmoid(in[0], out[0], n); break;
    case OpType::Tanh: ref::tanh(in[0], out[0], n); break;
    case OpType::Silu: ref::silu(in[0], out[0], n); break;
    case OpType::ReluSquare: ref::relu_square(in[0], out[0], n); break;
    case OpType::ExpNegExp: ref::exp_neg_exp(in[0], out[0], n); break;
    case OpType::V7Decay: ref::v7_decay(in[0], out[0], n); break;
    case OpType::Copy: ref::copy(in[0], out[0], n); break;
    case OpType::Wkv4: ref::wkv4(in[0], in[1], in[2], in[3], out[1], out[2], out[3], out[0], n); break;
    case OpType::HeadL2Norm: ref::head_l2_norm(in[0], out[0], n, static_cast<size_t>(r.iparam)); break;
    case OpType::V7KeyMix: ref::v7_key_mix(in[0], in[1], in[2], out[0], n); break;
    case OpType::V7Bonus:
      ref::v7_bonus(in[0], in[1], in[2], in[3], in[4], out[0], n, static_cast<size_t>(r.iparam));
      break;
    case OpType::Scale: ref::scale(in[0], r.fparam, out[0], n); break;
    case OpType::MatVec:
    case OpType::Wkv5:
    case OpType::Wkv7: break;  // the callers run these (session.h)
  }
}

// The state update touches heads x head_size^2 floats a token (the 0.1B
// shape: 48K per layer), too much to leave on one thread while the others wait.
void run_wkv_rows(rwkv_edge_session* s, const ResolvedOp& r, const float* const* in, const uint64_t* in_stride,
                  float* out, uint64_t out_stride, uint64_t rows) {
  WkvJob job{s->kernels, &r, in, in_stride, out, out_stride, rows, {}};
  job.shares.reset(static_cast<uint64_t>(r.iparam), s->pool.size());
  const uint64_t head_size = r.n / static_cast<uint64_t>(r.iparam > 0 ? r.iparam : 1);
  if (s->pool.size() > 1 && r.iparam > 1 && r.n * head_size * rows >= kParallelMinWkvState)
    s->pool.run(&wkv_job, &job);
  else
    wkv_heads(job, 0, static_cast<uint64_t>(r.iparam));
}

void run_matvec_single(rwkv_edge_session* s, const ResolvedOp& r, const float* x, float* y) {
  run_matvecs(s, &r, 1, x, y);
}

uint64_t cuda_device_bytes(const VerifiedModel& vm, bool weights_mapped) {
  return (weights_mapped ? 0 : align_cuda(vm.prefix.weights_bytes)) + align_cuda(vm.model->arena()->total_bytes()) +
         kCudaAlignment;
}

ArenaLayout arena_layout(const fb::Model& model) {
  ArenaLayout l;
  l.ops_offset = align_up(sizeof(rwkv_edge_session), RWKV_EDGE_ARENA_ALIGNMENT);
  l.inits_offset = l.ops_offset + align_up(uint64_t{model.graph()->size()} * sizeof(ResolvedOp),
                                           RWKV_EDGE_ARENA_ALIGNMENT);
  l.input_scratch_offset = l.inits_offset + align_up(uint64_t{count_state_buffers(model)} * sizeof(StateInit),
                                                     RWKV_EDGE_ARENA_ALIGNMENT);
  const uint64_t scratch = plan_matvec_batches(model, [](uint32_t, uint32_t) {});
  l.plan_offset = l.input_scratch_offset + align_up(scratch, RWKV_EDGE_ARENA_ALIGNMENT);
  l.total = l.plan_offset + model.arena()->total_bytes();
  return l;
}

rwkv_edge_status step_observed(rwkv_edge_session* s, uint32_t token, OpObserver before_op, void* ctx) {
  if (!valid(s)) return make_status(RWKV_EDGE_INVALID_ARGUMENT, "session is not initialised");
  if (token >= s->vocab)
    return make_status(RWKV_EDGE_TOKEN_OUT_OF_RANGE, "token %u is outside the vocabulary (size %u)",
                       token, s->vocab);
  s->token = token;
  uint32_t first_cpu_op = 0;
  if (s->cuda.live) {  // the device's ops first; observers see only CPU ops (the planner's calibration)
    RWKV_EDGE_RETURN_IF_ERROR(cuda_step(s));
    first_cpu_op = s->cuda.n_ops;
  }
  for (uint32_t i = first_cpu_op; i < s->n_ops;) {
    const uint32_t size = s->ops[i].batch;  // >= 1 at a batch's first op
    if (before_op != nullptr)
      for (uint32_t k = i; k < i + size; ++k) before_op(ctx, k, s->ops[k]);
    if (size == 1)
      run_op(s, s->ops[i]);
    else
      run_matvecs(s, s->ops + i, size);
    i += size;
  }
  return ok_status();
}

}  // namespace rwkv_edge

using namespace rwkv_edge;

extern "C" {

void rwkv_edge_default_options(rwkv_edge_options* options) {
  if (options == nullptr) return;
  options->struct_size = sizeof(rwkv_edge_options);
  options->n_threads = 0;
  options->verify_weights = 0;
  options->use_onednn = 0;  // oneDNN 2.6 execute() allocates (~5 blocks per call): off the no-heap step path
  options->kernels = RWKV_EDGE_KERNELS_AUTO;
  options->backend = RWKV_EDGE_BACKEND_CPU;
  options->cuda_device = 0;
  options->cuda_buffer = nullptr;
  options->cuda_buffer_bytes = 0;
  options->prefill_inputs = RWKV_EDGE_PREFILL_INPUTS_FLOAT;
}

const char* rwkv_edge_kernels_name(uint32_t kernels) {
  return kernels <= RWKV_EDGE_KERNELS_NEON ? cpu::name(static_cast<cpu::KernelPath>(kernels)) : "unknown";
}

rwkv_edge_status rwkv_edge_arena_size_required(const void* model, size_t model_bytes,
                                               size_t* arena_bytes) {
  if (arena_bytes == nullptr) return make_status(RWKV_EDGE_INVALID_ARGUMENT, "arena_bytes is null");
  VerifiedModel vm;
  RWKV_EDGE_RETURN_IF_ERROR(
      verify_model(static_cast<const uint8_t*>(model), model_bytes, false, &vm));
  *arena_bytes = arena_layout(*vm.model).total;
  return ok_status();
}

rwkv_edge_status rwkv_edge_cuda_bytes_required(const void* model, size_t model_bytes, size_t* bytes) {
  if (bytes == nullptr) return make_status(RWKV_EDGE_INVALID_ARGUMENT, "bytes is null");
  VerifiedModel vm;
  RWKV_EDGE_RETURN_IF_ERROR(verify_model(static_cast<const uint8_t*>(model), model_bytes, false, &vm));
  *bytes = cuda_device_bytes(vm, false);
  return ok_status();
}

rwkv_edge_status rwkv_edge_init(const void* model, size_t model_bytes, void* arena,
                                size_t arena_bytes, const rwkv_edge_options* options,
                                rwkv_edge_session** session) {
  if (session == nullptr) return make_status(RWKV_EDGE_INVALID_ARGUMENT, "session is null");
  *session = nullptr;
  rwkv_edge_options opts;
  rwkv_edge_default_options(&opts);
  if (options != nullptr) {
    if (options->struct_size != sizeof(rwkv_edge_options))
      return make_status(RWKV_EDGE_INVALID_ARGUMENT, "options.struct_size is %u, expected %zu",
                         options->struct_size, sizeof(rwkv_edge_options));
    opts = *options;
  }
  if (opts.n_threads > RWKV_EDGE_MAX_THREADS)
    return make_status(RWKV_EDGE_INVALID_ARGUMENT, "n_threads is %u, at most %d are supported", opts.n_threads,
                       RWKV_EDGE_MAX_THREADS);
  if (opts.backend > RWKV_EDGE_BACKEND_CUDA)
    return make_status(RWKV_EDGE_INVALID_ARGUMENT, "backend is %u, not a rwkv_edge_backend value", opts.backend);
  if (opts.prefill_inputs > RWKV_EDGE_PREFILL_INPUTS_INT8)
    return make_status(RWKV_EDGE_INVALID_ARGUMENT, "prefill_inputs is %u, not a rwkv_edge_prefill_inputs value",
                       opts.prefill_inputs);
  if (opts.kernels > RWKV_EDGE_KERNELS_NEON)
    return make_status(RWKV_EDGE_INVALID_ARGUMENT, "kernels is %u, not a rwkv_edge_kernels value", opts.kernels);
  const auto kernels = cpu::resolve(static_cast<cpu::KernelPath>(opts.kernels), cpu::features());
  if (!cpu::supports(kernels, cpu::features()))
    return make_status(RWKV_EDGE_UNSUPPORTED, "the %s kernels need CPU features this machine lacks%s",
                       cpu::name(kernels),
                       kernels == cpu::KernelPath::Avx2 ? " (AVX2, FMA and F16C)" : " (an aarch64 CPU)");
  if (arena == nullptr) return make_status(RWKV_EDGE_INVALID_ARGUMENT, "arena is null");
  if (reinterpret_cast<uintptr_t>(arena) % RWKV_EDGE_ARENA_ALIGNMENT != 0)
    return make_status(RWKV_EDGE_ARENA_MISALIGNED, "arena must be %d-byte aligned",
                       RWKV_EDGE_ARENA_ALIGNMENT);
  VerifiedModel vm;
  RWKV_EDGE_RETURN_IF_ERROR(verify_model(static_cast<const uint8_t*>(model), model_bytes,
                                         opts.verify_weights != 0, &vm));
  const uint32_t cuda_ops = planned_cuda_ops(*vm.model);
  if (opts.backend == RWKV_EDGE_BACKEND_CPU && cuda_ops > 0)
    return make_status(RWKV_EDGE_UNSUPPORTED,
                       "this file was planned to run its first %u of %u ops on CUDA (plan --strategy \"cuda ...\"); "
                       "open it with the CUDA backend, or plan it again without devices",
                       cuda_ops, vm.model->graph()->size());
  const ArenaLayout layout = arena_layout(*vm.model);
  if (arena_bytes < layout.total)
    return make_status(RWKV_EDGE_ARENA_TOO_SMALL, "arena is %zu bytes, this model needs %llu",
                       arena_bytes, static_cast<unsigned long long>(layout.total));

  auto* base = static_cast<uint8_t*>(arena);
  auto* s = new (base) rwkv_edge_session{};
  s->model = vm;
  s->arena = base;
  s->arena_bytes = arena_bytes;
  s->plan_base = base + layout.plan_offset;
  s->kernels = kernels;  // before resolve_sequence, which picks products by it
  s->input_scratch = base + layout.input_scratch_offset;
  const fb::ArenaPlan& plan = *vm.model->arena();
  s->state = s->plan_base + plan.state_offset();
  s->state_bytes = plan.state_bytes();
  s->logits = buffer_ptr(s->plan_base, *vm.model, plan.logits_buffer());
  s->vocab = vm.model->metadata()->vocab_size();
  s->ops = reinterpret_cast<ResolvedOp*>(base + layout.ops_offset);
  s->n_ops = vm.model->graph()->size();
  for (uint32_t i = 0; i < s->n_ops; ++i) resolve_op(s, *vm.model->graph()->Get(i), &s->ops[i]);
  s->max_chunk = plan.max_chunk();
  if (s->max_chunk > 0) {
    s->sequence_scratch = reinterpret_cast<float*>(s->plan_base + plan.sequence_scratch_offset());
    s->sequence_scratch_bytes = plan.sequence_scratch_bytes();
    resolve_sequence(s, opts.prefill_inputs);
  }
  // Batches need threads to share and leave oneDNN-bound mat-vecs alone.
  if (opts.n_threads > 1 && !opts.use_onednn)
    plan_matvec_batches(*vm.model, [s](uint32_t first, uint32_t size) {
      s->ops[first].batch = static_cast<uint16_t>(size);
      for (uint32_t k = first + 1; k < first + size; ++k) s->ops[k].batch = 0;
    });

  s->state_inits = reinterpret_cast<StateInit*>(base + layout.inits_offset);
  const auto& buffers = *plan.buffers();
  for (uint32_t i = 0; i < buffers.size(); ++i) {
    const fb::Buffer& b = *buffers.Get(i);
    if (b.region() != fb::RegionKind::Persistent) continue;
    s->state_inits[s->n_state_inits++] = StateInit{
        buffer_ptr(s->plan_base, *vm.model, i), b.numel(), b.init_value(),
        b.init_tensor() >= 0 ? weight_ptr(vm, static_cast<uint32_t>(b.init_tensor())) : nullptr, false, i};
  }

  if (opts.n_threads > 0) omp_set_num_threads(static_cast<int>(opts.n_threads));
  if (opts.use_onednn) {
    if (!onednn::create_context(&s->onednn))
      return make_status(RWKV_EDGE_BACKEND_ERROR, "oneDNN could not create a CPU engine");
    s->onednn_live = true;
    const Status st = bind_onednn(s);
    if (st.code != RWKV_EDGE_OK) {
      release_onednn(s);
      return st;
    }
  }
  if (opts.backend == RWKV_EDGE_BACKEND_CUDA) {
    const Status st = cuda_init(s, opts.cuda_device, cuda_ops > 0 ? cuda_ops : s->n_ops,
                                opts.cuda_buffer, opts.cuda_buffer_bytes);
    if (st.code != RWKV_EDGE_OK) {
      release_onednn(s);
      return st;
    }
    // The CPU part starts at an op of its own, never inside a mat-vec batch.
    for (uint32_t k = s->cuda.n_ops; k < s->n_ops && s->ops[k].batch == 0; ++k) s->ops[k].batch = 1;
  }
  // Started last: nothing after this can fail, so no path leaks threads.
  const bool all_on_device = s->cuda.live && s->cuda.n_ops == s->n_ops;
  const uint32_t threads = opts.n_threads == 0 || all_on_device ? 1 : opts.n_threads;
  if (!s->pool.start(threads)) {
    release_onednn(s);
    cuda_release(s);
    return make_status(RWKV_EDGE_BACKEND_ERROR, "the system refused to start %u worker threads", threads - 1);
  }
  s->magic = kSessionMagic;
  // One warm-up step lets oneDNN and its thread pool make their lazy
  // allocations now, inside init, instead of on the first real token.
  if (s->n_onednn_ops > 0) {
    s->token = 0;
    for (uint32_t i = 0; i < s->n_ops; ++i) run_op(s, s->ops[i]);
  }
  // Touch every planned byte now, so the pages are the process's from init
  // on and the first prefill pays no page faults.
  std::memset(s->plan_base + plan.state_offset() + plan.state_bytes(), 0,
              plan.total_bytes() - plan.state_offset() - plan.state_bytes());
  rwkv_edge_state_reset(s);
  *session = s;
  return ok_status();
}

rwkv_edge_status rwkv_edge_step(rwkv_edge_session* s, uint32_t token, const float** logits) {
  RWKV_EDGE_RETURN_IF_ERROR(step_observed(s, token, nullptr, nullptr));
  if (logits != nullptr) *logits = s->logits;
  return ok_status();
}

void rwkv_edge_get_info(const rwkv_edge_session* s, rwkv_edge_info* info) {
  if (!valid(s) || info == nullptr) return;
  const fb::Metadata& m = *s->model.model->metadata();
  // Indexed by the schema's RwkvVersion: one code per enum value, checked at compile time.
  static constexpr uint32_t kVersionCodes[] = {rwkv_edge_version_4,   rwkv_edge_version_5,
                                               rwkv_edge_version_5_1, rwkv_edge_version_5_2,
                                               rwkv_edge_version_6,   rwkv_edge_version_7};
  static_assert(std::size(kVersionCodes) == static_cast<size_t>(fb::RwkvVersion::MAX) + 1);
  info->rwkv_version = kVersionCodes[static_cast<int>(m.version())];
  info->n_layer = m.n_layer();
  info->n_embd = m.n_embd();
  info->n_head = m.n_head();
  info->head_size = m.head_size();
  info->n_ffn = m.n_ffn();
  info->vocab_size = m.vocab_size();
  info->model_bytes = s->model.prefix.file_bytes;
  info->weight_bytes = s->model.prefix.weights_bytes;
  info->arena_bytes = arena_layout(*s->model.model).total;
  info->state_bytes = s->state_bytes;
  info->n_ops = s->n_ops;
  info->n_onednn_ops = s->n_onednn_ops;
  info->n_threads = s->pool.size();
  info->kernels = static_cast<uint32_t>(s->kernels);
  info->step_weight_bytes = s->step_weight_bytes;
  info->backend = s->cuda.live ? RWKV_EDGE_BACKEND_CUDA : RWKV_EDGE_BACKEND_CPU;
  info->device_bytes = s->cuda.bytes;
  // A CUDA session prefills with steps on the GPU.
  info->prefill_inputs = s->cuda.live ? uint32_t{RWKV_EDGE_PREFILL_INPUTS_FLOAT} : s->prefill_inputs;
  info->n_prefill_int8_ops = s->cuda.live ? 0 : s->n_prefill_int8_ops;
}

size_t rwkv_edge_state_bytes(const rwkv_edge_session* s) { return valid(s) ? s->state_bytes : 0; }

void rwkv_edge_state_reset(rwkv_edge_session* s) {
  if (!valid(s)) return;
  for (uint32_t i = 0; i < s->n_state_inits; ++i) {
    const StateInit& init = s->state_inits[i];
    if (init.tensor != nullptr) {
      std::memcpy(init.dst, init.tensor, init.n * sizeof(float));
    } else {
      for (uint64_t j = 0; j < init.n; ++j) init.dst[j] = init.value;
    }
  }
  // A failed upload marks the session failed; its next step says so.
  if (s->cuda.live) (void)cuda_state_to_device(s);
}

rwkv_edge_status rwkv_edge_state_save(const rwkv_edge_session* s, void* dst, size_t dst_bytes) {
  if (!valid(s) || dst == nullptr) return make_status(RWKV_EDGE_INVALID_ARGUMENT, "null session or buffer");
  if (dst_bytes != s->state_bytes)
    return make_status(RWKV_EDGE_STATE_SIZE_MISMATCH, "state is %llu bytes, buffer is %zu",
                       static_cast<unsigned long long>(s->state_bytes), dst_bytes);
  if (s->cuda.live) RWKV_EDGE_RETURN_IF_ERROR(cuda_state_to_host(s));
  std::memcpy(dst, s->state, s->state_bytes);
  return ok_status();
}

rwkv_edge_status rwkv_edge_state_restore(rwkv_edge_session* s, const void* src, size_t src_bytes) {
  if (!valid(s) || src == nullptr) return make_status(RWKV_EDGE_INVALID_ARGUMENT, "null session or buffer");
  if (src_bytes != s->state_bytes)
    return make_status(RWKV_EDGE_STATE_SIZE_MISMATCH, "state is %llu bytes, buffer is %zu",
                       static_cast<unsigned long long>(s->state_bytes), src_bytes);
  std::memcpy(s->state, src, s->state_bytes);
  if (s->cuda.live) return cuda_state_to_device(s);
  return ok_status();
}

void rwkv_edge_release(rwkv_edge_session* s) {
  if (!valid(s)) return;
  s->pool.stop();
  release_onednn(s);
  cuda_release(s);
  s->magic = 0;
}

const char* rwkv_edge_code_name(rwkv_edge_code code) {
  switch (code) {
    case RWKV_EDGE_OK: return "ok";
    case RWKV_EDGE_INVALID_ARGUMENT: return "invalid argument";
    case RWKV_EDGE_BAD_MODEL: return "bad model";
    case RWKV_EDGE_ARENA_TOO_SMALL: return "arena too small";
    case RWKV_EDGE_ARENA_MISALIGNED: return "arena misaligned";
    case RWKV_EDGE_TOKEN_OUT_OF_RANGE: return "token out of range";
    case RWKV_EDGE_STATE_SIZE_MISMATCH: return "state size mismatch";
    case RWKV_EDGE_BACKEND_ERROR: return "backend error";
    case RWKV_EDGE_UNSUPPORTED: return "unsupported";
    case RWKV_EDGE_BAD_STATE: return "bad state file";
  }
  return "unknown";
}

}  // extern "C"
