#include "matvec_batches.h"

#include "gemv.h"

namespace rwkv_edge {
namespace {

struct Range {
  uint64_t begin, end;
  bool overlaps(const Range& o) const { return begin < o.end && o.begin < end; }
};

Range buffer_range(const fb::Model& model, uint32_t buffer) {
  const fb::Buffer* b = model.arena()->buffers()->Get(buffer);
  return {b->offset(), b->offset() + b->numel() * sizeof(float)};
}

// A mat-vec reads x (a buffer) and writes y; its weight is read-only.
bool matvec_on_buffers(const fb::Op& op) {
  return op.type() == fb::OpType::MatVec && op.inputs()->Get(1)->kind() == fb::OperandKind::Buffer;
}

Range input_of(const fb::Model& model, const fb::Op& op) { return buffer_range(model, op.inputs()->Get(1)->index()); }
Range output_of(const fb::Model& model, const fb::Op& op) { return buffer_range(model, op.outputs()->Get(0)); }

// Op `next` may run beside every op in [first, next): it reads no buffer
// they write, and writes no buffer they read or write.
bool independent(const fb::Model& model, uint32_t first, uint32_t next) {
  const auto& g = *model.graph();
  const Range in = input_of(model, *g.Get(next)), out = output_of(model, *g.Get(next));
  for (uint32_t m = first; m < next; ++m) {
    const Range other_in = input_of(model, *g.Get(m)), other_out = output_of(model, *g.Get(m));
    if (in.overlaps(other_out) || out.overlaps(other_in) || out.overlaps(other_out)) return false;
  }
  return true;
}

}  // namespace

uint64_t matvec_input_scratch(const fb::Model& model, const fb::Op& op) {
  if (op.type() != fb::OpType::MatVec) return 0;
  const fb::Tensor* t = model.tensors()->Get(op.inputs()->Get(0)->index());
  return gemv::input_scratch_bytes(static_cast<quant::Format>(t->dtype()), t->shape()->Get(1), t->group_size());
}

uint32_t matvec_batch_size(const fb::Model& model, uint32_t first) {
  const auto& g = *model.graph();
  uint32_t next = first + 1;
  if (matvec_on_buffers(*g.Get(first)))
    while (next < g.size() && next - first < kMaxMatVecBatch && matvec_on_buffers(*g.Get(next)) &&
           independent(model, first, next))
      ++next;
  return next - first;
}

}  // namespace rwkv_edge
