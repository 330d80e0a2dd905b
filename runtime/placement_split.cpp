#include "placement_split.h"

namespace rwkv_edge {
namespace {

bool writes(const fb::Op& op, uint32_t buffer) {
  for (const uint32_t o : *op.outputs())
    if (o == buffer) return true;
  return false;
}

bool reads(const fb::Op& op, uint32_t buffer) {
  for (const fb::Operand* o : *op.inputs())
    if (o->kind() == fb::OperandKind::Buffer && o->index() == buffer) return true;
  return false;
}

}  // namespace

uint32_t planned_cuda_ops(const fb::Model& model) {
  const auto& graph = *model.graph();
  uint32_t n = 0;
  while (n < graph.size() && graph.Get(n)->placement() == fb::Placement::CUDA) ++n;
  return n;
}

bool written_on_device(const fb::Model& model, uint32_t n_device_ops, uint32_t buffer) {
  for (uint32_t i = 0; i < n_device_ops; ++i)
    if (writes(*model.graph()->Get(i), buffer)) return true;
  return false;
}

bool handed_to_host(const fb::Model& model, uint32_t n_device_ops, uint32_t buffer) {
  if (!written_on_device(model, n_device_ops, buffer)) return false;
  if (buffer == model.arena()->logits_buffer()) return true;
  const auto& graph = *model.graph();
  for (uint32_t i = n_device_ops; i < graph.size(); ++i)
    if (reads(*graph.Get(i), buffer)) return true;
  return false;
}

}  // namespace rwkv_edge
