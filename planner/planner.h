// The planner's entry point: checkpoint in, verified .rwkv model file out.
#pragma once

#include <cstdint>
#include <string>

#include "arena_planner.h"
#include "graph.h"
#include "progress.h"
#include "quant_strategy.h"
#include "rwkv_model.h"

namespace rwkv_edge::planner {

// Measured on the 0.1B shape at int8 (docs/performance.md, "Prefill").
inline constexpr uint32_t kDefaultMaxChunk = 64;

struct PlanOptions {
  std::string input;
  std::string output;
  float ln_x_eps = kOfficialLnXEps;
  QuantStrategy quant;  // default (no segments): the checkpoint's precision (default_quant.h)
  // int4 calibration text: "" = built in, "none" = plain rounding, else a
  // file, tokenized with the vocabulary below.
  std::string calibration;
  // The vocabulary to embed: "" (by the model's size), "bytes", "world", "none"
  // or a vocabulary file (vocabulary.h).
  std::string vocab;
  // The most tokens one prefill chunk holds (sizes the sequence arena); 0:
  // no sequence mode, prefill runs a step per token.
  uint32_t max_chunk = kDefaultMaxChunk;
  // Model file + arena bytes the plan must fit in (0: no limit). Over it,
  // the plan is refused, or with fit_budget the next smaller quantization is
  // tried (fp16, int8, int4, then int4 with an int4 head), down to the first
  // that fits.
  uint64_t ram_budget = 0;
  bool fit_budget = false;
  // Arena bytes kept for oneDNN's scratchpad, for sessions that run float32
  // mat-vecs through oneDNN (rwkv_edge_options.use_onednn). oneDNN's need
  // depends on the CPU that runs it, so the default keeps none;
  // onednn_scratch_host asks oneDNN on this machine instead (the runtime
  // refuses use_onednn when the plan keeps less than its CPU needs).
  uint64_t onednn_scratch = 0;
  bool onednn_scratch_host = false;
  Progress progress;  // long steps as they run (progress.h); none by default
};

// One quantization tried against the RAM budget.
struct BudgetAttempt {
  std::string quant;
  uint64_t bytes = 0;  // model file + arena
  bool fits = false;
};

struct PlanReport {
  ModelDims dims;
  ArenaPlanResult arena;
  std::string source_format;
  uint64_t file_bytes = 0, flatbuffer_bytes = 0, weight_bytes = 0;
  uint64_t arena_bytes_required = 0;  // what the runtime asks for (plan + session tables)
  uint64_t parameters = 0;
  uint32_t n_ops = 0, n_tensors = 0, n_buffers = 0;
  std::vector<TensorQuantReport> quantized;  // one per mat-vec/embedding table when a strategy is given
  std::string calibration;                   // what int4 calibrated on, or why it did not
  std::string vocabulary;                    // what was embedded, or why nothing
  std::string formats;                       // the strategy planned, as quant_name writes it ("int8 *6 -> fp16")
  std::string default_quant;                 // formats not asked for (the checkpoint's, or --fit-budget's), and why
  std::vector<BudgetAttempt> budget_attempts;  // with a RAM budget: what was tried, the written plan last
};

// Imports, transforms, plans and writes atomically (temporary file, fsync,
// rename), after checking the file with the runtime's own verifier and
// against the RAM budget; on failure `output` is left as it was. Throws
// PlanError (BudgetError when only the budget is missed).
PlanReport plan_model(const PlanOptions& options);

// The same from an already imported checkpoint (tests).
PlanReport plan_checkpoint(const Checkpoint& ck, const std::string& source_name,
                           const PlanOptions& options);

}  // namespace rwkv_edge::planner
