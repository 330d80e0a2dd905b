#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli_args.h"
#include "commands.h"
#include "planner.h"

namespace rwkv_edge::cli {

int cmd_plan(int argc, char** argv) {
  const Args a = parse_args(argc, argv, 2, {"-o", "--ln-x-eps", "--quant", "--vocab", "--max-chunk", "--ram-budget"},
                            {"--json"});
  if (a.positional.size() != 1) throw UsageError("expected one input checkpoint");
  if (!a.has("-o")) throw UsageError("missing -o OUT.rwkv");
  for (const char* later : {"--vocab", "--max-chunk", "--ram-budget"})
    if (a.has(later)) throw UsageError(std::string(later) + " is not implemented yet");
  if (a.has("--quant") && a.get("--quant") != "fp32")
    throw UsageError("--quant " + a.get("--quant") + " is not implemented yet (fp32 only)");
  planner::PlanOptions o;
  o.input = a.positional[0];
  o.output = a.get("-o");
  if (a.has("--ln-x-eps")) o.ln_x_eps = parse_float(a.get("--ln-x-eps"), "--ln-x-eps");
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
                     {"scratch", ar.scratch_bytes}}},
        {"activations_unplanned_bytes", ar.naive_activation_bytes}, {"in_place_merges", ar.in_place_merges},
        {"ops", r.n_ops}, {"tensors", r.n_tensors}, {"buffers", r.n_buffers}};
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("planned %s (%s, RWKV %s): %u layers, n_embd %u, heads %u x %u, ffn %u, vocab %u\n",
              o.input.c_str(), r.source_format.c_str(), planner::version_name(d.version), d.n_layer, d.n_embd,
              d.n_head, d.head_size, d.n_ffn, d.vocab);
  std::printf("wrote %s: %u ops, %u tensors, ln_x eps %g\n\n", o.output.c_str(), r.n_ops, r.n_tensors,
              static_cast<double>(o.ln_x_eps));
  std::printf("%-24s %14s  %s\n", "region", "bytes", "");
  std::printf("%-24s %14llu  %s\n", "session tables", static_cast<unsigned long long>(session_bytes),
              "resolved ops, state resets (runtime)");
  std::printf("%-24s %14llu  %s\n", "persistent state", static_cast<unsigned long long>(ar.state_bytes),
              "recurrent state, saved/restored as one block");
  std::printf("%-24s %14llu  %s\n", "planned activations", static_cast<unsigned long long>(ar.planned_bytes),
              ("greedy by size; " + std::to_string(ar.naive_activation_bytes) + " bytes unplanned, " +
               std::to_string(ar.in_place_merges) + " in-place").c_str());
  std::printf("%-24s %14llu  %s\n", "scratch", static_cast<unsigned long long>(ar.scratch_bytes), "oneDNN scratchpad");
  std::printf("%-24s %14llu  (%s)\n", "arena total", static_cast<unsigned long long>(r.arena_bytes_required),
              human_bytes(r.arena_bytes_required).c_str());
  std::printf("%-24s %14llu  (%s; weights %llu)\n", "model file", static_cast<unsigned long long>(r.file_bytes),
              human_bytes(r.file_bytes).c_str(), static_cast<unsigned long long>(r.weight_bytes));
  std::printf("%-24s %14llu  (%s) + code and stack\n", "model + arena",
              static_cast<unsigned long long>(r.file_bytes + r.arena_bytes_required),
              human_bytes(r.file_bytes + r.arena_bytes_required).c_str());
  return 0;
}

}  // namespace rwkv_edge::cli
