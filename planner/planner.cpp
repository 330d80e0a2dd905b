#include "planner.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "calibration.h"
#include "default_quant.h"
#include "importers.h"
#include "mapped_file.h"
#include "matmul.h"
#include "model_file.h"
#include "model_writer.h"
#include "onednn_matvec.h"
#include "output_file.h"
#include "placement.h"
#include "plan_error.h"
#include "rwkv_edge.h"
#include "vocabulary.h"

namespace rwkv_edge::planner {
namespace {

// The largest oneDNN scratchpad any mat-vec the runtime would bind asks for on this machine.
uint64_t onednn_scratch_bytes(const Graph& g) {
  onednn::Context ctx;
  if (!onednn::create_context(&ctx)) return 0;
  uint64_t most = 0;
  for (const GraphOp& op : g.ops) {
    if (op.type != fb::OpType::MatVec || g.weights[op.inputs[0].index].format != quant::Format::F32) continue;
    const auto& shape = g.weights[op.inputs[0].index].shape;
    if (!onednn::worth_binding(shape[0], shape[1])) continue;
    bool ok = false;
    most = std::max<uint64_t>(most, onednn::matvec_scratchpad_bytes(ctx, shape[0], shape[1], &ok));
  }
  onednn::destroy_context(&ctx);
  return most;
}

// Calibration text goes through the model's own vocabulary, so GPTQ fits the
// inputs the model will see (feeding bytes as ids to a World model was tried
// on the random test models: the logits got worse than plain rounding).
std::vector<uint32_t> calibration_tokens(const std::string& source, const Vocabulary& vocabulary, uint32_t model_vocab,
                                         std::string* note) {
  std::vector<uint32_t> tokens;
  if (source == "none") {
    *note = "off (--calibration none): rounding to nearest";
    return tokens;
  }
  const Vocabulary bytes = vocabulary.empty() && model_vocab == 256 ? byte_vocabulary() : Vocabulary{};
  const Vocabulary& used = vocabulary.empty() ? bytes : vocabulary;
  if (used.empty()) {
    if (!source.empty()) throw PlanError("--calibration needs a vocabulary to tokenize the text (--vocab)");
    *note = "none (no vocabulary to tokenize calibration text): rounding to nearest";
    return tokens;
  }
  if (source.empty() && model_vocab != 256) {
    // Measured: GPTQ over the built-in sample ran past 15 minutes on the 0.1B
    // World shape without finishing; too slow to do unasked.
    *note = "none by default for a " + std::to_string(model_vocab) +
            "-token model (slow): rounding to nearest; --calibration FILE calibrates on a text";
    return tokens;
  }
  std::string text;
  if (source.empty()) {
    text = builtin_calibration_text();
    *note = "built-in English sample";
  } else {
    const MappedFile file(source);
    text.assign(reinterpret_cast<const char*>(file.data()), file.size());
    if (text.empty()) throw PlanError("calibration file " + source + " is empty");
    *note = source;
  }
  try {
    tokens = tokenize_all(used.view(), text);
  } catch (const PlanError& e) {
    throw PlanError(std::string("calibration text: ") + e.what());
  }
  *note += " (" + std::to_string(tokens.size()) + " tokens)";
  return tokens;
}

// The runtime packs a chunk's mat-vec input transposed (kernels_cpu/matmul.h)
// before the product: room for the widest one.
uint64_t sequence_scratch_bytes(const Graph& g, uint32_t max_chunk) {
  if (max_chunk == 0) return 0;
  uint64_t cols = 0;
  for (const GraphOp& op : g.ops)
    if (op.type == fb::OpType::MatVec) cols = std::max(cols, g.weights[op.inputs[0].index].shape[1]);
  return matmul::packed_input_floats(max_chunk, cols) * sizeof(float);
}

void check_ram_budget(uint64_t budget, uint64_t file_bytes, uint64_t arena_bytes) {
  const uint64_t needed = file_bytes + arena_bytes;
  if (budget == 0 || needed <= budget) return;
  throw BudgetError("model + arena need " + std::to_string(needed) + " bytes (model file " + std::to_string(file_bytes) +
                        ", arena " + std::to_string(arena_bytes) + "), " + std::to_string(needed - budget) +
                        " over --ram-budget " + std::to_string(budget) +
                        "; a smaller --quant or --max-chunk would help, or --fit-budget picks one",
                    needed);
}

// How a strategy reads in the budget report: "int8", "int4:32 (head int4:32)", or the --strategy segments.
std::string quant_name(const QuantStrategy& q) {
  if (q.segments.empty()) return "fp32";
  std::string name;
  for (const StrategySegment& s : q.segments) {
    if (!name.empty()) name += " -> ";
    if (s.device) name += *s.device == fb::Placement::CUDA ? "cuda " : "cpu ";
    name += choice_name(s.choice);
    if (s.layers > 0) name += " *" + std::to_string(s.layers);
  }
  if (q.head) name += " (head " + choice_name(*q.head) + ")";
  return name;
}

// Weight bytes per value, to order quantizations by size.
double bytes_per_weight(const WeightChoice& c) {
  switch (c.format) {
    case quant::Format::F32: return 4.0;
    case quant::Format::F16:
    case quant::Format::BF16: return 2.0;
    case quant::Format::I8:
    case quant::Format::U8MinMax: return 1.0;
    case quant::Format::I4: return 0.5;
  }
  return 4.0;
}

// The asked strategy, then every uniform quantization smaller than its
// largest segment, then (unless a head was asked for) int4 with an int4 head.
// The asked --emb, --head, --lora and --int4-max-error apply to each.
std::vector<QuantStrategy> smaller_quantizations(const QuantStrategy& asked) {
  std::vector<QuantStrategy> ladder = {asked};
  double largest = asked.segments.empty() ? 4.0 : 0.0;
  for (const StrategySegment& s : asked.segments) largest = std::max(largest, bytes_per_weight(s.choice));
  const WeightChoice smaller[] = {parse_weight_choice("fp16"), parse_weight_choice("int8"), parse_weight_choice("int4")};
  for (const WeightChoice& c : smaller) {
    if (bytes_per_weight(c) >= largest) continue;
    QuantStrategy q = asked;
    q.segments = {{c, 0}};
    ladder.push_back(q);
  }
  const QuantStrategy& last = ladder.back();
  const bool all_int4 = !last.segments.empty() && bytes_per_weight(last.segments.front().choice) < 1.0;
  if (!asked.head && all_int4) {
    QuantStrategy q = last;
    q.head = last.segments.front().choice;
    ladder.push_back(q);
  }
  return ladder;
}

}  // namespace

PlanReport plan_checkpoint(const Checkpoint& ck, const std::string& source_name, const PlanOptions& asked) {
  PlanOptions options = asked;
  std::string kept;
  options.quant = keep_source_precision(ck, asked.quant, &kept);
  if (!(options.ln_x_eps > 0.0f) || !std::isfinite(options.ln_x_eps))
    throw PlanError("--ln-x-eps must be a positive number");
  if (options.output.empty()) throw PlanError("no output path given");
  PlanReport report;
  report.dims = detect_model(ck);
  report.source_format = ck.format;
  if (asked.quant.segments.empty()) report.default_quant = kept;
  for (const auto& [name, t] : ck.tensors) {
    report.parameters += t.numel();
    // A NaN or Inf weight is a corrupt checkpoint; quantizing it would have no defined level.
    for (size_t i = 0; i < t.data.size(); ++i)
      if (!std::isfinite(t.data[i]))
        throw PlanError("tensor '" + name + "' holds " + (std::isnan(t.data[i]) ? "NaN" : "Inf") + " at element " +
                        std::to_string(i) + " (a corrupt checkpoint?)");
  }
  const Vocabulary vocabulary = choose_vocabulary(options.vocab, report.dims.vocab, &report.vocabulary);
  BuildOptions build;
  build.ln_x_eps = options.ln_x_eps;
  Graph g = build_step_graph(ck, report.dims, build);
  const std::vector<fb::Placement> placements = layer_placements(options.quant.segments, report.dims.n_layer);
  const std::vector<TableChoice> choices = table_choices(g, options.quant, report.dims.n_layer);
  CalibrationRequest calibration;
  for (const TableChoice& c : choices)
    if (uses_calibration(c.choice.format)) calibration.weights.insert(c.weight);
  HessianMap hessians;
  if (!calibration.weights.empty()) {
    calibration.tokens = calibration_tokens(options.calibration, vocabulary, report.dims.vocab, &report.calibration);
    calibration.scratch_beside = options.output;
    calibration.progress = options.progress;
    hessians = collect_hessians(g, report.dims, options.ln_x_eps, calibration);
  }
  report.quantized = apply_choices(g, choices, options.quant, hessians, options.progress);
  report.formats = quant_name(options.quant);
  // Placed only now: calibration runs the float32 graph on this machine's CPU,
  // whatever devices the plan's layers will run on.
  assign_placement(g, placements);
  if (options.max_chunk > kMaxChunk)
    throw PlanError("--max-chunk " + std::to_string(options.max_chunk) + " is above the limit of " +
                    std::to_string(kMaxChunk));
  const uint64_t onednn_scratch = options.onednn_scratch_host ? onednn_scratch_bytes(g) : options.onednn_scratch;
  report.arena = plan_arena(g, onednn_scratch, {options.max_chunk, sequence_scratch_bytes(g, options.max_chunk)});
  // Read back what was written through the runtime's verifier, before it
  // replaces anything: the planner never hands out a file the device would
  // refuse, nor one over the budget.
  const BeforeCommit check = [&](const std::string& temporary_path, const WrittenModel& w) {
    MappedFile file(temporary_path);
    size_t arena_bytes = 0;
    const rwkv_edge_status st = rwkv_edge_arena_size_required(file.data(), file.size(), &arena_bytes);
    if (st.code != RWKV_EDGE_OK)
      throw PlanError(std::string("internal: the written model fails verification: ") + st.message);
    report.arena_bytes_required = arena_bytes;
    check_ram_budget(options.ram_budget, w.file_bytes, arena_bytes);
  };
  const WrittenModel written = write_model_file(options.output, g, report.dims, report.arena, options.ln_x_eps,
                                                source_name, ck.format, vocabulary, check, options.progress);
  report.file_bytes = written.file_bytes;
  report.flatbuffer_bytes = written.flatbuffer_bytes;
  report.weight_bytes = written.weight_bytes;
  report.n_ops = static_cast<uint32_t>(g.ops.size());
  report.n_tensors = static_cast<uint32_t>(g.weights.size());
  report.n_buffers = static_cast<uint32_t>(g.buffers.size());
  if (options.ram_budget > 0)
    report.budget_attempts.push_back({quant_name(options.quant), written.file_bytes + report.arena_bytes_required, true});
  return report;
}

PlanReport plan_model(const PlanOptions& options) {
  refuse_writing_over_input(options.output,
                            {options.input, options.calibration == "none" ? "" : options.calibration,
                             options.vocab == "none" || options.vocab == "world" || options.vocab == "bytes" ? ""
                                                                                                         : options.vocab},
                            "-o");
  const Checkpoint ck = load_checkpoint(options.input);
  const std::string source = base_name(options.input);
  if (!options.fit_budget) return plan_checkpoint(ck, source, options);
  if (options.ram_budget == 0) throw PlanError("--fit-budget needs --ram-budget");
  std::vector<BudgetAttempt> tried;
  std::string kept;
  for (const QuantStrategy& q : smaller_quantizations(keep_source_precision(ck, options.quant, &kept))) {
    PlanOptions attempt = options;
    attempt.quant = q;
    try {
      PlanReport report = plan_checkpoint(ck, source, attempt);
      tried.insert(tried.end(), report.budget_attempts.begin(), report.budget_attempts.end());
      report.budget_attempts = tried;
      // Chosen here, not asked for: say why (plan's "formats:" line reads it).
      report.default_quant = report.formats + " (the largest that fits --ram-budget)";
      return report;
    } catch (const BudgetError& e) {
      tried.push_back({quant_name(q), e.needed, false});
    }
  }
  std::string needs;
  for (const BudgetAttempt& t : tried) needs += (needs.empty() ? "" : ", ") + t.quant + " " + std::to_string(t.bytes);
  throw PlanError("no quantization fits --ram-budget " + std::to_string(options.ram_budget) +
                  " bytes; model + arena would need: " + needs);
}

}  // namespace rwkv_edge::planner
