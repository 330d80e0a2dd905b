#include "quant_strategy.h"

#include <cmath>
#include <set>
#include <sstream>

#include "plan_error.h"
#include "quantize_matrix.h"

namespace rwkv_edge::planner {
namespace {

using quant::Format;

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

QuantizedMatrix quantize(const WeightTensor& w, const WeightChoice& c) {
  return quantize_matrix(w.data.data(), w.shape[0], w.shape[1], c.format, c.group);
}

}  // namespace

bool uses_calibration(quant::Format f) { return f == Format::I4 || f == Format::I8; }

WeightChoice parse_weight_choice(const std::string& token) {
  if (token == "fp32") return {Format::F32, 0};
  if (token == "fp16") return {Format::F16, 0};
  if (token == "bf16") return {Format::BF16, 0};
  if (token == "int8") return {Format::I8, 0};
  if (token == "int8-minmax") return {Format::U8MinMax, 0};
  if (token == "int4") return {Format::I4, kDefaultInt4Group};
  if (token.rfind("int4:", 0) == 0) {
    const std::string g = token.substr(5);
    if (g == "32" || g == "64" || g == "128") return {Format::I4, static_cast<uint32_t>(std::stoul(g))};
    throw PlanError("int4 group '" + g + "' is not supported (32, 64 or 128)");
  }
  throw PlanError("unknown weight type '" + token +
                  "' (expected fp32, fp16, bf16, int8, int8-minmax, int4 or int4:G with G 32, 64 or 128)");
}

std::string choice_name(const WeightChoice& c) {
  switch (c.format) {
    case Format::F32: return "fp32";
    case Format::F16: return "fp16";
    case Format::BF16: return "bf16";
    case Format::I8: return "int8";
    case Format::U8MinMax: return "int8-minmax";
    case Format::I4: return "int4:" + std::to_string(c.group);
  }
  return "?";
}

std::vector<StrategySegment> parse_strategy(const std::string& text) {
  std::vector<StrategySegment> out;
  if (trim(text).empty()) throw PlanError("--strategy is empty");
  size_t start = 0;
  while (true) {
    const size_t arrow = text.find("->", start);
    const std::string part = trim(text.substr(start, arrow == std::string::npos ? std::string::npos : arrow - start));
    const std::string where = "strategy segment " + std::to_string(out.size() + 1) + " ('" + part + "')";
    std::istringstream words(part);
    std::vector<std::string> tokens;
    for (std::string t; words >> t;) tokens.push_back(t);
    if (tokens.empty()) throw PlanError(where + " is empty");
    StrategySegment seg;
    if (tokens[0] == "cpu" || tokens[0] == "cuda") {
      seg.device = tokens[0] == "cuda" ? fb::Placement::CUDA : fb::Placement::CPU;
      tokens.erase(tokens.begin());
      if (tokens.empty()) throw PlanError(where + " names a device but no weight type, e.g. \"cuda int8 *20\"");
    } else if (tokens[0] == "mps" || tokens[0].rfind("cuda:", 0) == 0) {
      throw PlanError(where + ": rwkv-edge places layers on cpu or cuda (the CUDA device is chosen at run time)");
    }
    if (tokens.size() > 2) throw PlanError(where + " has more than a device, a type and a layer count");
    seg.choice = parse_weight_choice(tokens[0]);
    if (tokens.size() == 2) {
      const std::string& n = tokens[1];
      if (n.size() >= 2 && n.back() == '+')
        throw PlanError(where + ": '+' (streaming layers) has no meaning here; give *N");
      if (n.size() < 2 || n[0] != '*' || n.find_first_not_of("0123456789", 1) != std::string::npos ||
          n.size() > 7)
        throw PlanError(where + ": expected a layer count such as *20, got '" + n + "'");
      seg.layers = static_cast<uint32_t>(std::stoul(n.substr(1)));
      if (seg.layers == 0) throw PlanError(where + ": a layer count must be at least 1");
    }
    out.push_back(seg);
    if (arrow == std::string::npos) break;
    start = arrow + 2;
  }
  for (size_t i = 0; i + 1 < out.size(); ++i)
    if (out[i].layers == 0)
      throw PlanError("strategy segment " + std::to_string(i + 1) +
                      " has no layer count; only the last segment may take the remaining layers");
  return out;
}

std::vector<WeightChoice> layer_choices(const std::vector<StrategySegment>& segments, uint32_t n_layer) {
  std::vector<WeightChoice> out;
  for (const StrategySegment& s : segments) {
    const uint64_t take = s.layers == 0 ? (out.size() < n_layer ? n_layer - out.size() : 0) : s.layers;
    if (out.size() + take > n_layer)
      throw PlanError("strategy names layers up to " + std::to_string(out.size() + take - 1) +
                      ", but the model has " + std::to_string(n_layer) + " layers (0 to " +
                      std::to_string(n_layer - 1) + ")");
    if (take == 0)
      throw PlanError("the last strategy segment gets no layers: the ones before it cover all " +
                      std::to_string(n_layer));
    out.insert(out.end(), take, s.choice);
  }
  if (out.size() < n_layer)
    throw PlanError("strategy covers " + std::to_string(out.size()) + " of the model's " + std::to_string(n_layer) +
                    " layers; end with a segment without *N to take the rest");
  return out;
}

std::vector<TableChoice> table_choices(const Graph& g, const QuantStrategy& strategy, uint32_t n_layer) {
  std::vector<TableChoice> out;
  if (strategy.segments.empty() && !strategy.emb && !strategy.head && !strategy.lora) return out;
  const std::vector<WeightChoice> layers =
      strategy.segments.empty() ? std::vector<WeightChoice>(n_layer) : layer_choices(strategy.segments, n_layer);
  const WeightChoice last = layers.empty() ? WeightChoice{} : layers.back();
  const WeightChoice int4_edge = last.format == Format::I4 ? WeightChoice{Format::I8, 0} : last;
  const WeightChoice head = strategy.head.value_or(int4_edge), emb = strategy.emb.value_or(int4_edge);

  std::set<uint32_t> tables;  // weights read as a mat-vec or embedding table
  for (const GraphOp& op : g.ops)
    if ((op.type == fb::OpType::MatVec || op.type == fb::OpType::Embed) && op.inputs[0].weight)
      tables.insert(op.inputs[0].index);
  for (uint32_t index : tables) {
    const WeightTensor& w = g.weights[index];
    if (w.shape.size() != 2) continue;
    if (!w.name.ends_with(".weight")) {
      // Low-rank factors (v6/v7 LoRA): float32 in float32 and official-int8
      // layers (as the official package); half precision in fp16, bf16 and
      // int8 layers; int8 in int4 layers, where fp16 factors were 11% of a
      // 0.4B step's bytes. int8 factors moved bits per byte by under 0.005% on
      // tiny-6v0 and 7v0 but raised the random v6 checkpoint's logit error
      // 1.1-1.7x in int8 plans, so only the size-first int4 plans take them
      // (docs/quantization.md). int4 only on request (--lora): it doubled the
      // random v6 checkpoint's logit error in int8 plans, and the factors
      // feed the decay's exponentials, so an error there compounds in the state.
      if (strategy.lora) {
        out.push_back({index, *strategy.lora});
        continue;
      }
      const int64_t layer = block_index(w.name);
      const Format f = layer >= 0 && layer < static_cast<int64_t>(n_layer) ? layers[static_cast<size_t>(layer)].format
                                                                            : Format::F32;
      if (f == Format::I4)
        out.push_back({index, WeightChoice{Format::I8, 0}});
      else if (f != Format::F32 && f != Format::U8MinMax)
        out.push_back({index, WeightChoice{Format::F16, 0}});
      continue;
    }
    if (w.name == "emb.weight") {
      out.push_back({index, emb});
    } else if (w.name == "head.weight") {
      out.push_back({index, head});
    } else {
      const int64_t layer = block_index(w.name);
      if (layer < 0 || layer >= static_cast<int64_t>(n_layer))
        throw PlanError("internal: matrix '" + w.name + "' belongs to no layer");
      out.push_back({index, layers[static_cast<size_t>(layer)]});
    }
  }
  return out;
}

std::vector<TensorQuantReport> apply_choices(Graph& g, const std::vector<TableChoice>& choices,
                                             const QuantStrategy& strategy, const HessianMap& hessians,
                                             const Progress& progress) {
  std::vector<TensorQuantReport> reports;
  // Weights (rows x cols) are the unit: GPTQ's time grows with them.
  uint64_t total = 0, done = 0;
  for (const TableChoice& tc : choices) total += g.weights[tc.weight].shape[0] * g.weights[tc.weight].shape[1];
  report(progress, "quantizing", 0, total);
  for (const TableChoice& tc : choices) {
    done += g.weights[tc.weight].shape[0] * g.weights[tc.weight].shape[1];
    WeightTensor& w = g.weights[tc.weight];
    const auto h = hessians.find(tc.weight);
    const std::vector<double>* hessian = h == hessians.end() ? nullptr : &h->second;
    TensorQuantReport r;
    r.name = w.name;
    r.shape = w.shape;
    r.wanted = tc.choice;
    r.stored = tc.choice;
    auto quantize_as = [&](const WeightChoice& c) {
      return uses_calibration(c.format) && hessian != nullptr
                 ? quantize_gptq(w.data.data(), w.shape[0], w.shape[1], c.format, c.group, *hessian)
                 : quantize(w, c);
    };
    QuantizedMatrix q = quantize_as(tc.choice);
    QuantError e = measure_error(w.data.data(), q, hessian);
    if (tc.choice.format == Format::I4) {
      r.int4_error = e.has_output ? e.relative_output : e.relative_rms_bulk;
      r.int4_limit = strategy.int4_max_error.value_or(e.has_output ? kDefaultInt4MaxOutputError
                                                                   : kDefaultInt4MaxWeightError);
      if (!e.finite || r.int4_error > r.int4_limit) {
        r.stored = {Format::I8, 0};
        q = quantize_as(r.stored);
        e = measure_error(w.data.data(), q, hessian);
      }
    }
    if (!e.finite)
      throw PlanError("tensor '" + w.name + "' does not fit " + choice_name(r.stored) +
                      " (values out of its range or not finite); choose another type for it");
    r.relative_rms = e.relative_rms;
    if (e.has_output) r.relative_output = e.relative_output;
    if (r.stored.format != Format::F32) {
      w.format = r.stored.format;
      w.group = q.group;
      w.stored = std::move(q.bytes);
      std::vector<float>().swap(w.data);  // the planner holds every model twice otherwise
    }
    r.bytes = w.stored_bytes();
    reports.push_back(std::move(r));
    if (done < total) report(progress, "quantizing", done, total);
  }
  report(progress, "quantizing", total, total);
  return reports;
}

}  // namespace rwkv_edge::planner
