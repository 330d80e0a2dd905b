// Which ops run where: the devices an official-style strategy gives layers
// ("cuda int8 *20 -> cpu fp32") become a placement per op of the step graph.
// The runtime runs the CUDA ops as one graph, then the CPU ops, so the CUDA
// layers must come first.
#pragma once

#include <cstdint>
#include <vector>

#include "graph.h"
#include "quant_strategy.h"

namespace rwkv_edge::planner {

// One placement per layer; empty when no segment names a device (the file
// then runs on either backend). Throws PlanError when a CUDA layer follows a
// CPU one.
std::vector<fb::Placement> layer_placements(const std::vector<StrategySegment>& segments, uint32_t n_layer);

// The layer of each op: -1 before the first layer (the embedding), n_layer
// after the last (the head), from the names of what it writes and reads.
std::vector<int32_t> op_layers(const Graph& g, uint32_t n_layer);

// Every op takes its layer's placement; the embedding the first layer's and
// the head the last's, as the official strategies place them.
void assign_placement(Graph& g, const std::vector<fb::Placement>& layers);

}  // namespace rwkv_edge::planner
