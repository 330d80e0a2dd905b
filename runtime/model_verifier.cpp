#include "model_verifier.h"

#include <algorithm>
#include <cmath>

#include "matmul.h"
#include "op_signatures.h"
#include "tokenizer.h"
#include "weight_layout.h"

namespace rwkv_edge {
namespace {

using fb::OperandKind;

Status bad(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
Status bad(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  const Status s = make_status_v(RWKV_EDGE_BAD_MODEL, fmt, args);
  va_end(args);
  return s;
}

using ull = unsigned long long;

Status check_metadata(const fb::Metadata& m) {
  if (static_cast<unsigned>(m.version()) > static_cast<unsigned>(fb::RwkvVersion::MAX))
    return bad("unknown RWKV version code %u", static_cast<unsigned>(m.version()));
  if (m.n_layer() == 0 || m.n_embd() == 0 || m.vocab_size() == 0 || m.n_ffn() == 0)
    return bad("metadata has a zero dimension (layers %u, embd %u, vocab %u, ffn %u)",
               m.n_layer(), m.n_embd(), m.vocab_size(), m.n_ffn());
  if (m.version() != fb::RwkvVersion::V4) {
    uint64_t att = 0;
    if (m.n_head() == 0 || m.head_size() == 0 ||
        !checked_mul(m.n_head(), m.head_size(), &att) || att != m.n_att())
      return bad("metadata heads %u x head size %u do not make n_att %u", m.n_head(),
                 m.head_size(), m.n_att());
  }
  if (!(m.ln_x_eps() > 0.0f) || !std::isfinite(m.ln_x_eps()))
    return bad("metadata ln_x epsilon %g is not a positive number",
               static_cast<double>(m.ln_x_eps()));
  return ok_status();
}

Status check_tensors(const fb::Model& model, uint64_t weights_bytes) {
  const auto& tensors = *model.tensors();
  for (uint32_t i = 0; i < tensors.size(); ++i) {
    const fb::Tensor& t = *tensors.Get(i);
    const char* name = t.name()->c_str();
    if (t.name()->size() == 0) return bad("tensor %u has an empty name", i);
    const auto& shape = *t.shape();
    if (shape.size() == 0 || shape.size() > 4)
      return bad("tensor '%s' has %u dimensions (1 to 4 allowed)", name, shape.size());
    uint64_t numel = 1;
    for (uint64_t d : shape)
      if (d == 0 || !checked_mul(numel, d, &numel))
        return bad("tensor '%s' has a zero or overflowing shape", name);
    uint64_t bytes = 0;
    if (t.dtype() == fb::DType::F32) {
      if (!checked_mul(numel, 4, &bytes)) return bad("tensor '%s' overflows", name);
    } else {
      if (shape.size() != 2)
        return bad("tensor '%s' is stored as %s but is not a matrix", name, dtype_name(t.dtype()));
      const quant::MatrixLayout layout = quant::matrix_layout(static_cast<quant::Format>(t.dtype()),
                                                              shape.Get(0), shape.Get(1), t.group_size());
      if (!layout.ok)
        return bad("tensor '%s' has unknown dtype %u, a bad group size %u, or overflows", name,
                   static_cast<unsigned>(t.dtype()), t.group_size());
      bytes = layout.bytes;
    }
    if (t.length() != bytes)
      return bad("tensor '%s' length %llu does not match its shape (%llu bytes)", name,
                 static_cast<ull>(t.length()), static_cast<ull>(bytes));
    if (t.offset() % kWeightAlignment != 0)
      return bad("tensor '%s' offset %llu is not 64-byte aligned", name,
                 static_cast<ull>(t.offset()));
    if (!range_inside(t.offset(), t.length(), weights_bytes))
      return bad("tensor '%s' ends past the weight area", name);
  }
  return ok_status();
}

Status check_arena(const fb::Model& model) {
  const fb::ArenaPlan& plan = *model.arena();
  const uint64_t total = plan.total_bytes();
  if (plan.alignment() != RWKV_EDGE_ARENA_ALIGNMENT)
    return bad("arena alignment %u, expected %d", plan.alignment(), RWKV_EDGE_ARENA_ALIGNMENT);
  if (total % RWKV_EDGE_ARENA_ALIGNMENT != 0) return bad("arena size is not 64-byte aligned");
  const auto& regions = *plan.regions();
  const fb::Region* by_kind[static_cast<size_t>(fb::RegionKind::MAX) + 1] = {};
  for (uint32_t i = 0; i < regions.size(); ++i) {
    const fb::Region& r = *regions.Get(i);
    const auto kind = static_cast<unsigned>(r.kind());
    if (kind > static_cast<uint32_t>(fb::RegionKind::MAX)) return bad("arena region %u has unknown kind %u", i, kind);
    if (by_kind[kind] != nullptr) return bad("arena lists region kind %u twice", kind);
    if (r.offset() % RWKV_EDGE_ARENA_ALIGNMENT != 0 || !range_inside(r.offset(), r.size(), total))
      return bad("arena region %u is misaligned or outside the arena", i);
    for (uint32_t j = 0; j < i; ++j) {
      const fb::Region& q = *regions.Get(j);
      if (r.size() && q.size() && r.offset() < q.offset() + q.size() &&
          q.offset() < r.offset() + r.size())
        return bad("arena regions %u and %u overlap", j, i);
    }
    by_kind[kind] = &r;
  }
  const fb::Region* state = by_kind[static_cast<int>(fb::RegionKind::Persistent)];
  if (state == nullptr || by_kind[static_cast<int>(fb::RegionKind::Planned)] == nullptr)
    return bad("arena plan lacks a persistent or a planned region");
  if (plan.state_offset() != state->offset() || plan.state_bytes() != state->size())
    return bad("arena state range does not match its persistent region");

  const auto& buffers = *plan.buffers();
  const auto& tensors = *model.tensors();
  for (uint32_t i = 0; i < buffers.size(); ++i) {
    const fb::Buffer& b = *buffers.Get(i);
    char unnamed[24];
    std::snprintf(unnamed, sizeof unnamed, "#%u", i);
    const char* name = b.name() ? b.name()->c_str() : unnamed;
    const auto kind = static_cast<unsigned>(b.region());
    if (kind > static_cast<uint32_t>(fb::RegionKind::MAX) || by_kind[kind] == nullptr)
      return bad("buffer '%s' names a missing region", name);
    if (b.dtype() != fb::DType::F32) return bad("buffer '%s' is not float32", name);
    bool ok = true;
    if (b.numel() == 0 || dtype_bytes_times(b.dtype(), b.numel(), &ok) != b.size() || !ok)
      return bad("buffer '%s' size does not match its element count", name);
    if (b.offset() % RWKV_EDGE_ARENA_ALIGNMENT != 0) return bad("buffer '%s' is misaligned", name);
    const fb::Region& r = *by_kind[kind];
    if (b.offset() < r.offset() || !range_inside(b.offset() - r.offset(), b.size(), r.size()))
      return bad("buffer '%s' lies outside its region", name);
    if (b.init_tensor() >= 0) {
      if (static_cast<uint32_t>(b.init_tensor()) >= tensors.size())
        return bad("buffer '%s' initialises from a missing tensor", name);
      const fb::Tensor& t = *tensors.Get(static_cast<uint32_t>(b.init_tensor()));
      if (t.dtype() != fb::DType::F32 || t.length() != b.size())
        return bad("buffer '%s' initial tensor has another size or type", name);
    } else if (b.init_tensor() != -1) {
      return bad("buffer '%s' has a negative initial tensor index", name);
    }
  }
  if (plan.logits_buffer() >= buffers.size()) return bad("logits buffer index out of range");
  if (buffers.Get(plan.logits_buffer())->numel() != model.metadata()->vocab_size())
    return bad("logits buffer size differs from the vocabulary size");
  return ok_status();
}

struct Span {
  uint64_t begin, end;
  bool overlaps(const Span& o) const { return begin < o.end && o.begin < end; }
};

// Element count and (for weights) shape of one operand, plus its arena span.
struct OperandInfo {
  uint64_t numel = 0;
  const flatbuffers::Vector<uint64_t>* shape = nullptr;
  bool is_buffer = false;
  bool persistent = false;
  fb::DType dtype = fb::DType::F32;
  Span span{0, 0};
};

Status operand_info(const fb::Model& model, OperandKind kind, uint32_t index, uint32_t op_index,
                    OperandInfo* info) {
  if (kind == OperandKind::Buffer) {
    const auto& buffers = *model.arena()->buffers();
    if (index >= buffers.size()) return bad("op %u reads buffer %u, which does not exist", op_index, index);
    const fb::Buffer& b = *buffers.Get(index);
    info->numel = b.numel();
    info->is_buffer = true;
    info->persistent = b.region() == fb::RegionKind::Persistent;
    info->span = {b.offset(), b.offset() + b.size()};
    return ok_status();
  }
  if (kind != OperandKind::Weight) return bad("op %u has an operand of unknown kind", op_index);
  const auto& tensors = *model.tensors();
  if (index >= tensors.size()) return bad("op %u reads tensor %u, which does not exist", op_index, index);
  const fb::Tensor& t = *tensors.Get(index);
  info->numel = 1;
  for (uint64_t d : *t.shape()) info->numel *= d;  // check_tensors ruled out overflow
  info->shape = t.shape();
  info->dtype = t.dtype();
  return ok_status();
}

Status check_op(const fb::Model& model, const fb::Op& op, uint32_t index) {
  const uint16_t type = static_cast<uint16_t>(op.type());
  const OpSignature* sig = op_signature(type);
  if (sig == nullptr) return bad("op %u has unknown type %u", index, type);
  const uint32_t n_in = op.inputs() ? op.inputs()->size() : 0;
  const uint32_t n_out = op.outputs() ? op.outputs()->size() : 0;
  const uint32_t n_ip = op.iparams() ? op.iparams()->size() : 0;
  const uint32_t n_fp = op.fparams() ? op.fparams()->size() : 0;
  if (n_in != sig->n_inputs || n_out != sig->n_outputs || n_ip != sig->n_iparams ||
      n_fp != sig->n_fparams)
    return bad("op %u (%s) has %u inputs, %u outputs, %u+%u params; expected %u, %u, %u+%u",
               index, sig->name, n_in, n_out, n_ip, n_fp, sig->n_inputs, sig->n_outputs,
               sig->n_iparams, sig->n_fparams);
  OperandInfo in[kMaxOpInputs], out[kMaxOpOutputs];
  for (uint32_t i = 0; i < n_in; ++i) {
    const fb::Operand* o = op.inputs()->Get(i);
    RWKV_EDGE_RETURN_IF_ERROR(operand_info(model, o->kind(), o->index(), index, &in[i]));
    // Only the weight tables of mat-vecs and embeds come in other formats.
    const bool table = i == 0 && (sig->rule == ShapeRule::MatVec || sig->rule == ShapeRule::Embed);
    if (in[i].dtype != fb::DType::F32 && !table)
      return bad("op %u (%s) reads a %s weight as operand %u; only mat-vec and embed tables may be quantized",
                 index, sig->name, dtype_name(in[i].dtype), i);
  }
  for (uint32_t i = 0; i < n_out; ++i)
    RWKV_EDGE_RETURN_IF_ERROR(
        operand_info(model, OperandKind::Buffer, op.outputs()->Get(i), index, &out[i]));

  const uint64_t n = out[0].numel;
  auto fail = [&](const char* what) { return bad("op %u (%s): %s", index, sig->name, what); };
  auto all_inputs_n = [&](uint32_t first, uint64_t want) {
    for (uint32_t i = first; i < n_in; ++i)
      if (in[i].numel != want) return false;
    return true;
  };
  switch (sig->rule) {
    case ShapeRule::Elementwise:
      if (!all_inputs_n(0, n)) return fail("operand sizes differ");
      break;
    case ShapeRule::Embed:
      if (in[0].is_buffer || in[0].shape->size() != 2 || in[0].shape->Get(1) != n)
        return fail("needs a [vocab][n] weight table");
      if (in[0].shape->Get(0) != model.metadata()->vocab_size())
        return fail("table rows differ from the vocabulary size");
      break;
    case ShapeRule::Norm:
    case ShapeRule::GroupNorm: {
      if (!all_inputs_n(0, n)) return fail("operand sizes differ");
      const float eps = op.fparams()->Get(0);
      if (!(eps > 0.0f) || !std::isfinite(eps)) return fail("epsilon is not a positive number");
      if (sig->rule == ShapeRule::GroupNorm) {
        const int32_t groups = op.iparams()->Get(0);
        if (groups <= 0 || n % static_cast<uint64_t>(groups) != 0)
          return fail("group count does not divide the size");
      }
      break;
    }
    case ShapeRule::MatVec:
      if (in[0].is_buffer || in[0].shape->size() != 2) return fail("needs a 2-D weight matrix");
      if (in[0].shape->Get(0) != n || in[0].shape->Get(1) != in[1].numel)
        return fail("matrix shape does not match input and output sizes");
      break;
    case ShapeRule::Wkv4:
      if (!all_inputs_n(0, n)) return fail("operand sizes differ");
      for (uint32_t i = 1; i < 4; ++i)
        if (out[i].numel != n || !out[i].persistent) return fail("state must be persistent and sized n");
      break;
    case ShapeRule::Wkv5:
    case ShapeRule::Wkv7: {
      if (!all_inputs_n(0, n)) return fail("operand sizes differ");
      const int32_t heads = op.iparams()->Get(0);
      if (heads <= 0 || n % static_cast<uint64_t>(heads) != 0)
        return fail("head count does not divide the size");
      const uint64_t hs = n / static_cast<uint64_t>(heads);
      uint64_t want = 0;
      if (!checked_mul(n, hs, &want) || out[1].numel != want || !out[1].persistent)
        return fail("state must be persistent and heads x hs x hs");
      break;
    }
    case ShapeRule::PerHead: {
      if (!all_inputs_n(0, n)) return fail("operand sizes differ");
      const int32_t heads = op.iparams()->Get(0);
      if (heads <= 0 || n % static_cast<uint64_t>(heads) != 0)
        return fail("head count does not divide the size");
      break;
    }
  }
  if (op.type() == fb::OpType::Scale && !std::isfinite(op.fparams()->Get(0)))
    return fail("scale is not finite");
  // Kernels that are not written for aliasing get disjoint memory.
  if (!sig->in_place_ok) {
    for (uint32_t o = 0; o < n_out; ++o) {
      for (uint32_t i = 0; i < n_in; ++i)
        if (in[i].is_buffer && in[i].span.overlaps(out[o].span))
          return fail("output overlaps an input, which this kernel does not allow");
      for (uint32_t p = 0; p < o; ++p)
        if (out[p].span.overlaps(out[o].span)) return fail("outputs overlap");
    }
  }
  return ok_status();
}

// Sequence mode (prefill) runs the step graph over max_chunk rows at once, so
// on top of the step's rules: every activation's rows fit the sequence area
// and stay clear of its scratch, kernels that do not allow aliasing get
// disjoint rows, and the graph has the shape the sequence interpreter
// assumes (runtime/prefill.cpp):
// - a state buffer an op reads (not a WKV state) is a token-shift register:
//   exactly one Copy writes it, from an activation computed before any op
//   reads the register, and no op reads it after that Copy (row t then reads
//   the source's row t - 1, row 0 the register); a reader writes no output
//   over that source (its rows run on several threads);
// - the only ops writing state are those Copies and the WKV recurrences;
// - nothing reads the logits (only the last row is computed).
Status check_sequence_plan(const fb::Model& model) {
  const fb::ArenaPlan& plan = *model.arena();
  const uint64_t rows = plan.max_chunk();
  if (rows == 0) return ok_status();
  if (rows > kMaxChunk) return bad("max_chunk %llu is above the limit of %u", static_cast<ull>(rows), kMaxChunk);
  const auto& buffers = *plan.buffers();
  const auto& graph = *model.graph();
  const uint64_t area_begin = plan.state_offset() + plan.state_bytes();
  uint64_t area_end = 0;
  if (!checked_add(area_begin, plan.sequence_bytes(), &area_end) || area_end > plan.total_bytes())
    return bad("the sequence area ends past the arena");
  const Span scratch{plan.sequence_scratch_offset(), plan.sequence_scratch_offset() + plan.sequence_scratch_bytes()};
  if (scratch.begin % RWKV_EDGE_ARENA_ALIGNMENT != 0 || scratch.begin < area_begin ||
      !range_inside(scratch.begin, plan.sequence_scratch_bytes(), area_end))
    return bad("the sequence scratch is misaligned or outside the sequence area");
  uint64_t widest = 0;
  for (const fb::Op* op : graph)
    if (op->type() == fb::OpType::MatVec)
      widest = std::max(widest, model.tensors()->Get(op->inputs()->Get(0)->index())->shape()->Get(1));
  if (plan.sequence_scratch_bytes() / sizeof(float) < matmul::packed_input_floats(rows, widest))
    return bad("the sequence scratch is too small for %llu rows of %llu values", static_cast<ull>(rows),
               static_cast<ull>(widest));
  for (uint32_t i = 0; i < buffers.size(); ++i) {
    const fb::Buffer& b = *buffers.Get(i);
    if (b.region() == fb::RegionKind::Persistent) continue;
    uint64_t bytes = 0;
    if (!checked_mul(b.size(), i == plan.logits_buffer() ? 1 : rows, &bytes) ||
        b.seq_offset() % RWKV_EDGE_ARENA_ALIGNMENT != 0 || b.seq_offset() < area_begin ||
        !range_inside(b.seq_offset(), bytes, area_end) || Span{b.seq_offset(), b.seq_offset() + bytes}.overlaps(scratch))
      return bad("buffer #%u's sequence rows are misaligned or outside the sequence area", i);
  }
  auto seq_span = [&](uint32_t index) {
    const fb::Buffer& b = *buffers.Get(index);
    if (b.region() == fb::RegionKind::Persistent) return Span{b.offset(), b.offset() + b.size()};
    return Span{b.seq_offset(), b.seq_offset() + b.size() * (index == plan.logits_buffer() ? 1 : rows)};
  };
  for (uint32_t i = 0; i < graph.size(); ++i) {
    const fb::Op& op = *graph.Get(i);
    const OpSignature* sig = op_signature(static_cast<uint16_t>(op.type()));
    for (uint32_t o = 0; o < op.outputs()->size(); ++o) {
      const uint32_t out = op.outputs()->Get(o);
      if (out == plan.logits_buffer() && op.type() != fb::OpType::MatVec)
        return bad("sequence mode: op %u writes the logits but is not a mat-vec", i);
      if (sig->in_place_ok) continue;
      for (const fb::Operand* in : *op.inputs())
        if (in->kind() == OperandKind::Buffer && seq_span(in->index()).overlaps(seq_span(out)))
          return bad("sequence mode: op %u (%s) has an output over an input", i, sig->name);
    }
    if (buffers.Get(op.outputs()->Get(0))->region() == fb::RegionKind::Persistent && op.type() != fb::OpType::Copy)
      return bad("sequence mode: op %u (%s) writes state, which only copies and recurrences may", i, sig->name);
  }

  // Token-shift registers: a per-buffer scan for each would be quadratic, so
  // one pass records, per state buffer, its Copy; a second checks the readers.
  for (uint32_t i = 0; i < graph.size(); ++i) {
    const fb::Op& op = *graph.Get(i);
    for (const fb::Operand* in : *op.inputs())
      if (in->kind() == OperandKind::Buffer && in->index() == plan.logits_buffer())
        return bad("sequence mode: op %u reads the logits", i);
    if (op.type() != fb::OpType::Copy) continue;
    const uint32_t reg = op.outputs()->Get(0);
    if (buffers.Get(reg)->region() != fb::RegionKind::Persistent) continue;
    const fb::Operand* src = op.inputs()->Get(0);
    if (src->kind() != OperandKind::Buffer || buffers.Get(src->index())->region() == fb::RegionKind::Persistent)
      return bad("sequence mode: op %u copies into state from something other than an activation", i);
    for (uint32_t j = i + 1; j < graph.size(); ++j) {
      const fb::Op& later = *graph.Get(j);
      for (const fb::Operand* in : *later.inputs())
        if (in->kind() == OperandKind::Buffer && in->index() == reg)
          return bad("sequence mode: op %u reads shift register #%u after it was updated", j, reg);
      if (later.type() == fb::OpType::Copy && later.outputs()->Get(0) == reg)
        return bad("sequence mode: shift register #%u is written twice", reg);
    }
    bool source_ready = false;  // written before the first read of the register
    for (uint32_t j = 0; j < i; ++j) {
      const fb::Op& before = *graph.Get(j);
      bool reads = false;
      for (const fb::Operand* in : *before.inputs()) reads |= in->kind() == OperandKind::Buffer && in->index() == reg;
      if (reads && !source_ready)
        return bad("sequence mode: op %u reads shift register #%u before its source is computed", j, reg);
      // Its rows run on several threads, row t reading the source's row t - 1:
      // writing over the source would race with that read.
      for (uint32_t o = 0; reads && o < before.outputs()->size(); ++o)
        if (seq_span(before.outputs()->Get(o)).overlaps(seq_span(src->index())))
          return bad("sequence mode: op %u writes over the source of shift register #%u it reads", j, reg);
      for (uint32_t o = 0; o < before.outputs()->size(); ++o) source_ready |= before.outputs()->Get(o) == src->index();
    }
  }
  // Every state buffer an op reads must be one of those registers.
  for (uint32_t j = 0; j < graph.size(); ++j)
    for (const fb::Operand* in : *graph.Get(j)->inputs()) {
      if (in->kind() != OperandKind::Buffer || buffers.Get(in->index())->region() != fb::RegionKind::Persistent)
        continue;
      bool copied = false;
      for (uint32_t i = j + 1; i < graph.size() && !copied; ++i)
        copied = graph.Get(i)->type() == fb::OpType::Copy && graph.Get(i)->outputs()->Get(0) == in->index();
      if (!copied) return bad("sequence mode: op %u reads state #%u that no later copy updates", j, in->index());
    }
  return ok_status();
}

}  // namespace

static_assert(static_cast<int>(quant::Format::U8MinMax) == static_cast<int>(fb::DType::U8MinMax) &&
              static_cast<int>(quant::Format::I4) == static_cast<int>(fb::DType::I4) &&
              static_cast<int>(quant::Format::I8) == static_cast<int>(fb::DType::I8) &&
              static_cast<int>(quant::Format::BF16) == static_cast<int>(fb::DType::BF16) &&
              static_cast<int>(quant::Format::F16) == static_cast<int>(fb::DType::F16),
              "weight_layout.h formats must equal the schema's DType values");

const char* dtype_name(fb::DType dtype) {
  switch (dtype) {
    case fb::DType::F32: return "f32";
    case fb::DType::F16: return "f16";
    case fb::DType::BF16: return "bf16";
    case fb::DType::I8: return "i8";
    case fb::DType::I4: return "i4";
    case fb::DType::U8MinMax: return "u8minmax";
  }
  return "unknown";
}

uint64_t dtype_bytes_times(fb::DType dtype, uint64_t numel, bool* ok) {
  uint64_t out = 0;
  switch (dtype) {
    case fb::DType::F32: *ok = checked_mul(numel, 4, &out); return out;
    case fb::DType::F16:
    case fb::DType::BF16: *ok = checked_mul(numel, 2, &out); return out;
    default: break;  // quantized formats are matrices: quant::matrix_layout
  }
  *ok = false;
  return 0;
}

Status verify_model(const uint8_t* file, size_t file_bytes, bool check_weights_crc,
                    VerifiedModel* out) {
  FilePrefix prefix;
  RWKV_EDGE_RETURN_IF_ERROR(decode_prefix(file, file_bytes, &prefix));
  const uint8_t* fbuf = file + prefix.flatbuffer_offset;
  if (crc32(fbuf, prefix.flatbuffer_bytes) != prefix.flatbuffer_crc32)
    return bad("model description checksum mismatch (corrupt file)");
  if (reinterpret_cast<uintptr_t>(fbuf) % 8 != 0)
    return make_status(RWKV_EDGE_INVALID_ARGUMENT, "model bytes must be 8-byte aligned");
  flatbuffers::Verifier verifier(fbuf, prefix.flatbuffer_bytes, /*max_depth=*/32,
                                 /*max_tables=*/4'000'000);
  if (!fb::VerifyModelBuffer(verifier))
    return bad("model description failed flatbuffers verification (corrupt file or wrong identifier)");
  const fb::Model* model = fb::GetModel(fbuf);
  if (model->schema_version() != kSchemaVersion)
    return bad("model schema version %u, this runtime reads %u", model->schema_version(),
               kSchemaVersion);
  if (model->weights_bytes() != prefix.weights_bytes)
    return bad("weight area size differs between header and description");
  RWKV_EDGE_RETURN_IF_ERROR(check_metadata(*model->metadata()));
  RWKV_EDGE_RETURN_IF_ERROR(check_tensors(*model, prefix.weights_bytes));
  RWKV_EDGE_RETURN_IF_ERROR(check_arena(*model));
  const auto& graph = *model->graph();
  if (graph.size() == 0) return bad("the step graph is empty");
  uint32_t embeds = 0;
  for (uint32_t i = 0; i < graph.size(); ++i) {
    RWKV_EDGE_RETURN_IF_ERROR(check_op(*model, *graph.Get(i), i));
    embeds += graph.Get(i)->type() == fb::OpType::Embed;
    // The CUDA ops come first (cuda_backend.h runs them as one graph, then the CPU ops).
    const fb::Placement placement = graph.Get(i)->placement();
    if (placement > fb::Placement::CUDA) return bad("op %u has unknown placement %u", i, static_cast<unsigned>(placement));
    if (i > 0 && placement == fb::Placement::CUDA && graph.Get(i - 1)->placement() == fb::Placement::CPU)
      return bad("op %u is placed on CUDA after a CPU op; the CUDA ops must come first", i);
  }
  if (embeds != 1) return bad("the step graph has %u embed ops, expected 1", embeds);
  RWKV_EDGE_RETURN_IF_ERROR(check_sequence_plan(*model));
  rwkv_edge_tokenizer vocabulary;
  const Status vocabulary_status = bind_tokenizer(*model, &vocabulary);
  if (vocabulary_status.code == RWKV_EDGE_BAD_MODEL) return vocabulary_status;
  const uint8_t* weights = file + prefix.weights_offset;
  if (reinterpret_cast<uintptr_t>(weights) % 4 != 0)
    return make_status(RWKV_EDGE_INVALID_ARGUMENT, "model bytes must be at least 4-byte aligned");
  if (check_weights_crc && crc32(weights, prefix.weights_bytes) != prefix.weights_crc32)
    return bad("weight checksum mismatch (corrupt file)");
  out->prefix = prefix;
  out->model = model;
  out->weights = weights;
  return ok_status();
}

}  // namespace rwkv_edge
