// Calibration for int4: runs the float32 step graph over sample tokens and
// accumulates, for chosen mat-vec tables, H = E[x x^T] of their inputs
// (what GPTQ needs). The model is written to a temporary file and executed
// by the runtime itself, so the activations are exactly the device's.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "arena_planner.h"
#include "graph.h"
#include "progress.h"
#include "quant_strategy.h"

namespace rwkv_edge::planner {

// The built-in English sample (original text, written for this project),
// used for byte-level (vocab 256) models when no --calibration file is given.
const std::string& builtin_calibration_text();

struct CalibrationRequest {
  std::set<uint32_t> weights;         // mat-vec tables to collect H for
  std::vector<uint32_t> tokens;
  std::string scratch_beside;  // the temporary model file is written beside this path and removed afterwards
  uint64_t max_hessian_bytes = 512ull << 20;  // more than this: several passes over the tokens
  Progress progress;  // "calibration": tokens stepped, over all passes
};

// g must be the float32 graph; its buffer offsets are overwritten (the caller
// plans the arena again after quantizing).
HessianMap collect_hessians(Graph& g, const ModelDims& dims, float ln_x_eps, const CalibrationRequest& request);

}  // namespace rwkv_edge::planner
