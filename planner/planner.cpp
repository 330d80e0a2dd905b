#include "planner.h"

#include <cmath>
#include <vector>

#include "calibration.h"
#include "importers.h"
#include "mapped_file.h"
#include "matmul.h"
#include "model_file.h"
#include "model_writer.h"
#include "onednn_matvec.h"
#include "placement.h"
#include "plan_error.h"
#include "rwkv_edge.h"
#include "vocabulary.h"

namespace rwkv_edge::planner {
namespace {

std::string basename_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The largest oneDNN scratchpad any mat-vec of this graph asks for on this machine.
uint64_t onednn_scratch_bytes(const Graph& g) {
  onednn::Context ctx;
  if (!onednn::create_context(&ctx)) return 0;
  uint64_t most = 0;
  for (const GraphOp& op : g.ops) {
    if (op.type != fb::OpType::MatVec || g.weights[op.inputs[0].index].format != quant::Format::F32) continue;
    const auto& shape = g.weights[op.inputs[0].index].shape;
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

}  // namespace

PlanReport plan_checkpoint(const Checkpoint& ck, const std::string& source_name, const PlanOptions& options) {
  if (!(options.ln_x_eps > 0.0f) || !std::isfinite(options.ln_x_eps))
    throw PlanError("--ln-x-eps must be a positive number");
  if (options.output.empty()) throw PlanError("no output path given");
  PlanReport report;
  report.dims = detect_model(ck);
  report.source_format = ck.format;
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
  assign_placement(g, layer_placements(options.quant.segments, report.dims.n_layer));
  const std::vector<TableChoice> choices = table_choices(g, options.quant, report.dims.n_layer);
  CalibrationRequest calibration;
  for (const TableChoice& c : choices)
    if (uses_calibration(c.choice.format)) calibration.weights.insert(c.weight);
  HessianMap hessians;
  if (!calibration.weights.empty()) {
    calibration.tokens = calibration_tokens(options.calibration, vocabulary, report.dims.vocab, &report.calibration);
    calibration.scratch_path = options.output + ".calibration.tmp";
    hessians = collect_hessians(g, report.dims, options.ln_x_eps, calibration);
  }
  report.quantized = apply_choices(g, choices, options.quant, hessians);
  if (options.max_chunk > kMaxChunk)
    throw PlanError("--max-chunk " + std::to_string(options.max_chunk) + " is above the limit of " +
                    std::to_string(kMaxChunk));
  report.arena = plan_arena(g, onednn_scratch_bytes(g), {options.max_chunk, sequence_scratch_bytes(g, options.max_chunk)});
  const WrittenModel written = write_model_file(options.output, g, report.dims, report.arena, options.ln_x_eps,
                                                source_name, ck.format, vocabulary);
  report.file_bytes = written.file_bytes;
  report.flatbuffer_bytes = written.flatbuffer_bytes;
  report.weight_bytes = written.weight_bytes;
  report.n_ops = static_cast<uint32_t>(g.ops.size());
  report.n_tensors = static_cast<uint32_t>(g.weights.size());
  report.n_buffers = static_cast<uint32_t>(g.buffers.size());

  // Read back what was written through the runtime's verifier: the planner
  // never hands out a file the device would refuse.
  MappedFile file(options.output);
  size_t arena_bytes = 0;
  const rwkv_edge_status st = rwkv_edge_arena_size_required(file.data(), file.size(), &arena_bytes);
  if (st.code != RWKV_EDGE_OK) {
    std::remove(options.output.c_str());
    throw PlanError(std::string("internal: the written model fails verification: ") + st.message);
  }
  report.arena_bytes_required = arena_bytes;
  return report;
}

PlanReport plan_model(const PlanOptions& options) {
  const Checkpoint ck = load_checkpoint(options.input);
  return plan_checkpoint(ck, basename_of(options.input), options);
}

}  // namespace rwkv_edge::planner
