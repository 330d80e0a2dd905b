#include <algorithm>
#include <cstdio>
#include <functional>

#include <nlohmann/json.hpp>

#include "cli_args.h"
#include "model_file.h"
#include "model_summary.h"
#include "progress_line.h"
#include "commands.h"
#include "planner.h"

namespace rwkv_edge::cli {
namespace {

planner::QuantStrategy parse_quant_options(const Args& a) {
  if (a.has("--quant") && a.has("--strategy")) throw UsageError("give --quant or --strategy, not both");
  planner::QuantStrategy q;
  if (a.has("--quant")) q.segments = {{planner::parse_weight_choice(a.get("--quant")), 0}};
  if (a.has("--strategy")) q.segments = planner::parse_strategy(a.get("--strategy"));
  if (a.has("--emb")) q.emb = planner::parse_weight_choice(a.get("--emb"));
  if (a.has("--head")) q.head = planner::parse_weight_choice(a.get("--head"));
  if (a.has("--lora")) q.lora = planner::parse_weight_choice(a.get("--lora"));
  if (a.has("--int4-max-error")) {
    q.int4_max_error = parse_float(a.get("--int4-max-error"), "--int4-max-error");
    if (!(*q.int4_max_error > 0.0)) throw UsageError("--int4-max-error must be a positive number");
  }
  return q;
}

nlohmann::json quant_json(const std::vector<planner::TensorQuantReport>& tensors) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& t : tensors) {
    nlohmann::json j = {{"name", t.name}, {"shape", t.shape}, {"wanted", planner::choice_name(t.wanted)},
                        {"stored", planner::choice_name(t.stored)}, {"bytes", t.bytes},
                        {"relative_rms_error", t.relative_rms}};
    if (t.relative_output >= 0.0) j["relative_output_error"] = t.relative_output;
    if (t.wanted.format == quant::Format::I4) {
      j["int4_error"] = t.int4_error;
      j["int4_error_limit"] = t.int4_limit;
    }
    out.push_back(j);
  }
  return out;
}

// One line for the table --verbose prints: how far the stored weights are from
// the checkpoint's, typically and at worst, and what int4 had to keep at int8.
std::string quant_summary(const std::vector<planner::TensorQuantReport>& tensors) {
  std::vector<double> weight;
  const planner::TensorQuantReport* worst = nullptr;
  double worst_output = -1.0;
  uint32_t int4_wanted = 0, int4_kept_int8 = 0;
  for (const auto& t : tensors) {
    if (t.stored.format == quant::Format::F32) continue;  // kept exactly: no error to report
    weight.push_back(t.relative_rms);
    if (worst == nullptr || t.relative_rms > worst->relative_rms) worst = &t;
    worst_output = std::max(worst_output, t.relative_output);
    int4_wanted += t.wanted.format == quant::Format::I4;
    int4_kept_int8 += t.wanted.format != t.stored.format;
  }
  if (weight.empty()) return "none: every table is float32";
  std::nth_element(weight.begin(), weight.begin() + static_cast<long>(weight.size() / 2), weight.end());
  char buf[512];
  std::snprintf(buf, sizeof buf, "%zu of %zu tables converted; relative weight error median %.2e, worst %.2e (%s)",
                weight.size(), tensors.size(), weight[weight.size() / 2], worst->relative_rms, worst->name.c_str());
  std::string out = buf;
  if (worst_output >= 0.0) {
    std::snprintf(buf, sizeof buf, "; output error worst %.2e", worst_output);
    out += buf;
  }
  if (int4_wanted > 0)
    out += "; " + std::to_string(int4_kept_int8) + " of " + std::to_string(int4_wanted) + " int4 tables kept at int8";
  return out + " (--verbose: every table)";
}

void print_quant_table(const std::vector<planner::TensorQuantReport>& tensors) {
  std::printf("%-34s %-10s %-12s %10s %12s %12s\n", "tensor", "shape", "stored", "bytes", "weight err", "output err");
  for (const auto& t : tensors) {
    std::printf("%-34s %-10s %-12s %10llu %12.3e", t.name.c_str(), shape_text(t.shape).c_str(),
                planner::choice_name(t.stored).c_str(), static_cast<unsigned long long>(t.bytes), t.relative_rms);
    if (t.relative_output >= 0.0) std::printf(" %12.3e", t.relative_output);
    if (t.stored.format != t.wanted.format)
      std::printf("  (%s error %.3e > %.3g: kept at %s)", planner::choice_name(t.wanted).c_str(), t.int4_error,
                  t.int4_limit, planner::choice_name(t.stored).c_str());
    std::printf("\n");
  }
  std::printf("\n");
}

nlohmann::json budget_json(uint64_t budget, const planner::PlanReport& r) {
  const uint64_t used = r.file_bytes + r.arena_bytes_required;
  nlohmann::json tried = nlohmann::json::array();
  for (const auto& t : r.budget_attempts) tried.push_back({{"quant", t.quant}, {"bytes", t.bytes}, {"fits", t.fits}});
  return {{"bytes", budget}, {"used", used}, {"spare", budget - used}, {"tried", tried}};
}

void print_budget(uint64_t budget, const planner::PlanReport& r) {
  const uint64_t used = r.file_bytes + r.arena_bytes_required;
  std::printf("%-24s %14llu  (%s; %s fits with %llu bytes to spare for code and stacks)\n", "ram budget",
              static_cast<unsigned long long>(budget), human_bytes(budget).c_str(),
              r.budget_attempts.empty() ? "the plan" : r.budget_attempts.back().quant.c_str(),
              static_cast<unsigned long long>(budget - used));
  for (const auto& t : r.budget_attempts)
    if (!t.fits)
      std::printf("%-24s %14llu  over the budget: not used\n", ("  " + t.quant).c_str(),
                  static_cast<unsigned long long>(t.bytes));
}

}  // namespace

int cmd_plan(const Args& a) {
  if (a.positional.size() != 1) throw UsageError("expected one input checkpoint");
  if (!a.has("-o")) throw UsageError("missing -o OUT.rwkv");
  if (a.has("--fit-budget") && !a.has("--ram-budget")) throw UsageError("--fit-budget needs --ram-budget BYTES");
  if (a.has("--fit-budget") && a.has("--strategy"))
    throw UsageError("--fit-budget picks a --quant for the whole model; give it no --strategy");
  planner::PlanOptions o;
  o.quant = parse_quant_options(a);
  o.calibration = a.get("--calibration");
  if (a.has("--calibration") && o.calibration.empty()) throw UsageError("--calibration needs a file or 'none'");
  o.vocab = a.get("--vocab");
  if (a.has("--vocab") && o.vocab.empty()) throw UsageError("--vocab needs world, bytes, none or a file");
  o.input = a.positional[0];
  o.output = a.get("-o");
  if (a.has("--max-chunk"))
    o.max_chunk = static_cast<uint32_t>(parse_uint(a.get("--max-chunk"), "--max-chunk", kMaxChunk));
  if (a.has("--ln-x-eps")) o.ln_x_eps = parse_float(a.get("--ln-x-eps"), "--ln-x-eps");
  if (a.has("--ram-budget")) o.ram_budget = parse_bytes(a.get("--ram-budget"), "--ram-budget");
  o.fit_budget = a.has("--fit-budget");
  ProgressLine progress;
  o.progress = std::ref(progress);
  if (a.get("--onednn-scratch") == "host") o.onednn_scratch_host = true;
  else if (a.has("--onednn-scratch")) o.onednn_scratch = parse_bytes(a.get("--onednn-scratch"), "--onednn-scratch");
  const planner::PlanReport r = planner::plan_model(o);
  const auto& d = r.dims;
  const auto& ar = r.arena;
  const uint64_t session_bytes = r.arena_bytes_required - ar.total_bytes;
  if (a.has("--json")) {
    nlohmann::json j = {
        {"input", o.input}, {"output", o.output}, {"source_format", r.source_format},
        {"version", planner::version_name(d.version)}, {"n_layer", d.n_layer}, {"n_embd", d.n_embd},
        {"n_head", d.n_head}, {"head_size", d.head_size}, {"n_ffn", d.n_ffn}, {"vocab_size", d.vocab},
        {"ln_x_eps", o.ln_x_eps}, {"parameters", r.parameters}, {"model_bytes", r.file_bytes},
        {"weight_bytes", r.weight_bytes}, {"arena_bytes", r.arena_bytes_required},
        {"regions", {{"session", session_bytes}, {"state", ar.state_bytes}, {"activations", ar.planned_bytes},
                     {"scratch", ar.scratch_bytes}, {"sequence", ar.sequence_bytes}}},
        {"max_chunk", ar.max_chunk},
        {"activations_unplanned_bytes", ar.naive_activation_bytes}, {"in_place_merges", ar.in_place_merges},
        {"ops", r.n_ops}, {"tensors", r.n_tensors}, {"buffers", r.n_buffers},
        {"bytes_per_parameter", static_cast<double>(r.file_bytes) / static_cast<double>(r.parameters)},
        {"quantized", quant_json(r.quantized)}, {"calibration", r.calibration},
        {"vocabulary", r.vocabulary}, {"formats", r.formats},
        {"formats_chosen_by", r.default_quant.empty() ? "as asked" : r.default_quant}};
    if (o.ram_budget > 0) j["ram_budget"] = budget_json(o.ram_budget, r);
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  if (r.vocabulary.rfind("none:", 0) == 0) std::fprintf(stderr, "warning: vocabulary %s\n", r.vocabulary.c_str());
  std::printf("read %s (%s)\n  %s\n", o.input.c_str(), r.source_format.c_str(),
              architecture_text({d.version, d.n_layer, d.n_embd, d.n_head, d.head_size, d.n_ffn, d.vocab, o.ln_x_eps})
                  .c_str());
  std::printf("formats: %s\n", r.default_quant.empty() ? (r.formats + " (as asked)").c_str() : r.default_quant.c_str());
  if (!r.quantized.empty()) std::printf("errors: %s\n", quant_summary(r.quantized).c_str());
  if (!r.calibration.empty()) std::printf("calibration: %s\n", r.calibration.c_str());
  std::printf("vocabulary: %s\n", r.vocabulary.c_str());
  std::printf("wrote %s: %u ops, %u tensors\n", o.output.c_str(), r.n_ops, r.n_tensors);
  if (a.has("--verbose") && !r.quantized.empty()) {
    std::printf("\n");
    print_quant_table(r.quantized);
  }
  std::printf("\n");
  std::printf("%-24s %14s  %s\n", "region", "bytes", "");
  std::printf("%-24s %14llu  %s\n", "session tables", static_cast<unsigned long long>(session_bytes),
              "resolved ops, state resets (runtime)");
  std::printf("%-24s %14llu  %s\n", "persistent state", static_cast<unsigned long long>(ar.state_bytes),
              "recurrent state, saved/restored as one block");
  std::printf("%-24s %14llu  %s\n", "planned activations", static_cast<unsigned long long>(ar.planned_bytes),
              ("greedy by size; " + std::to_string(ar.naive_activation_bytes) + " bytes unplanned, " +
               std::to_string(ar.in_place_merges) + " in-place").c_str());
  std::printf("%-24s %14llu  %s\n", "scratch", static_cast<unsigned long long>(ar.scratch_bytes),
              ar.scratch_bytes > 0 ? "oneDNN scratchpad (--onednn-scratch)"
                                   : "none: no oneDNN scratchpad (--onednn-scratch BYTES|host keeps one)");
  if (ar.max_chunk > 0)
    std::printf("%-24s %14llu  %s\n", "prefill (sequence)", static_cast<unsigned long long>(ar.sequence_bytes),
                ("chunks of up to " + std::to_string(ar.max_chunk) +
                 " tokens, over the activations and scratch (--max-chunk)").c_str());
  else
    std::printf("%-24s %14s  %s\n", "prefill (sequence)", "0", "none: prefill runs a step per token (--max-chunk 0)");
  std::printf("%-24s %14llu  (%s)\n", "arena total", static_cast<unsigned long long>(r.arena_bytes_required),
              human_bytes(r.arena_bytes_required).c_str());
  std::printf("%-24s %14llu  (%s; weights %llu; %.3f bytes per parameter)\n", "model file",
              static_cast<unsigned long long>(r.file_bytes), human_bytes(r.file_bytes).c_str(),
              static_cast<unsigned long long>(r.weight_bytes),
              static_cast<double>(r.file_bytes) / static_cast<double>(r.parameters));
  std::printf("%-24s %14llu  (%s) + code and stack\n", "model + arena",
              static_cast<unsigned long long>(r.file_bytes + r.arena_bytes_required),
              human_bytes(r.file_bytes + r.arena_bytes_required).c_str());
  if (o.ram_budget > 0) print_budget(o.ram_budget, r);
  return 0;
}

}  // namespace rwkv_edge::cli
