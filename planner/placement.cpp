#include "placement.h"

#include <cstdlib>
#include <string>

#include "plan_error.h"

namespace rwkv_edge::planner {
namespace {

// k from "<prefix>k." at the start of `name`, else -1.
int32_t numbered(const std::string& name, const std::string& prefix) {
  if (name.compare(0, prefix.size(), prefix) != 0) return -1;
  const size_t dot = name.find('.', prefix.size());
  if (dot == std::string::npos || dot == prefix.size()) return -1;
  for (size_t i = prefix.size(); i < dot; ++i)
    if (name[i] < '0' || name[i] > '9') return -1;
  return static_cast<int32_t>(std::strtol(name.c_str() + prefix.size(), nullptr, 10));
}

}  // namespace

std::vector<fb::Placement> layer_placements(const std::vector<StrategySegment>& segments, uint32_t n_layer) {
  bool any = false;
  for (const StrategySegment& s : segments) any = any || s.device.has_value();
  if (!any) return {};
  (void)layer_choices(segments, n_layer);  // refuses layer counts that do not cover the model
  std::vector<fb::Placement> out;
  for (const StrategySegment& s : segments) {
    const uint64_t take = s.layers == 0 ? n_layer - out.size() : s.layers;
    out.insert(out.end(), take, s.device.value_or(fb::Placement::CPU));
  }
  for (size_t i = 1; i < out.size(); ++i)
    if (out[i] == fb::Placement::CUDA && out[i - 1] == fb::Placement::CPU)
      throw PlanError("strategy puts layer " + std::to_string(i) + " on cuda after layer " + std::to_string(i - 1) +
                      " on cpu; the cuda layers must come first (a step hands over from the GPU to the CPU once)");
  return out;
}

std::vector<int32_t> op_layers(const Graph& g, uint32_t n_layer) {
  std::vector<int32_t> out;
  int32_t current = -1;
  for (const GraphOp& op : g.ops) {
    int32_t layer = -1;
    for (uint32_t b : op.outputs)
      if (layer < 0) layer = numbered(g.buffers[b].name, "L");
    for (const Operand& o : op.inputs) {
      if (layer >= 0 || !o.weight) continue;
      const std::string& name = g.weights[o.index].name;
      layer = numbered(name, "blocks.");
      if (name.rfind("head.", 0) == 0 || name.rfind("ln_out.", 0) == 0) layer = static_cast<int32_t>(n_layer);
    }
    if (layer >= 0) current = layer;
    out.push_back(current);
  }
  return out;
}

void assign_placement(Graph& g, const std::vector<fb::Placement>& layers) {
  if (layers.empty()) return;
  const auto n_layer = static_cast<uint32_t>(layers.size());
  const std::vector<int32_t> of = op_layers(g, n_layer);
  for (size_t i = 0; i < g.ops.size(); ++i) {
    const int32_t l = of[i] < 0 ? 0 : of[i] >= static_cast<int32_t>(n_layer) ? static_cast<int32_t>(n_layer) - 1 : of[i];
    g.ops[i].placement = layers[static_cast<size_t>(l)];
  }
}

}  // namespace rwkv_edge::planner
