// rwkv-edge bench: decode and prefill speed, memory, and how close a step
// comes to the memory roofline (bytes a step must read x tokens/s over the
// machine's streaming read bandwidth, measured in the same run).
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_args.h"
#include "commands.h"
#include "heap_counter.h"
#include "memory_bandwidth.h"
#include "model_session.h"

namespace rwkv_edge::cli {
namespace {

uint64_t peak_rss_bytes() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<uint64_t>(u.ru_maxrss) * 1024;  // Linux reports KiB
}

// Deterministic token ids spread over the vocabulary (the embedding rows a
// step reads then vary, as in real text).
uint32_t token_at(uint64_t i, uint32_t vocab) {
  uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull;
  x ^= x >> 29;
  return static_cast<uint32_t>(x % vocab);
}

// Seconds to feed tokens [first, first + n).
double time_steps(ModelSession& model, uint64_t first, uint64_t n) {
  const uint32_t vocab = model.info().vocab_size;
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t i = first; i < first + n; ++i) model.step(token_at(i, vocab));
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Seconds to prefill `ids` as one sequence (chunked, rwkv_edge_prefill).
double time_prefill(ModelSession& model, const std::vector<uint32_t>& ids) {
  const auto start = std::chrono::steady_clock::now();
  model.prefill(ids);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int cmd_bench(int argc, char** argv) {
  const Args a = parse_args(argc, argv, 2, with_runtime_options({"--tokens", "--prefill"}), with_runtime_switches({"--json"}));
  if (a.positional.size() != 1) throw UsageError("expected one model file");
  const uint64_t tokens = parse_uint(a.get("--tokens", "128"), "--tokens", 1u << 24);
  const uint64_t prefill = parse_uint(a.get("--prefill", "64"), "--prefill", 1u << 24);
  if (tokens == 0) throw UsageError("--tokens must be at least 1");
  const RuntimeChoice runtime = parse_runtime_choice(a);

  // Before the session exists: the probe forks, which is only safe without threads.
  // The roof of a GPU step is the device's memory, measured by a copy there.
  const bool cuda = runtime.backend == RWKV_EDGE_BACKEND_CUDA;
  double bandwidth = cuda ? 0.0 : measure_read_bandwidth_gb_s(runtime.threads);
  ModelSession model(a.positional[0], runtime, /*verify_weights=*/false);  // a CUDA session says why it cannot be
  double graph_replay_us = 0.0;
  if (cuda) {
    bandwidth = measure_cuda_copy_bandwidth_gb_s(0);
    graph_replay_us = measure_cuda_graph_replay_us(0);
  }
  const rwkv_edge_info& info = model.info();
  const uint32_t max_chunk = rwkv_edge_max_chunk(model.get());
  std::vector<uint32_t> prefill_ids(prefill);  // built before the allocation count starts
  for (uint64_t i = 0; i < prefill; ++i) prefill_ids[i] = token_at(i, info.vocab_size);
  const uint64_t allocations_at_init = heap_allocations();

  time_steps(model, 0, 4);  // warm caches and page in the mapped weights
  rwkv_edge_state_reset(model.get());
  const double prefill_s = prefill > 0 ? time_prefill(model, prefill_ids) : 0.0;
  const double decode_s = time_steps(model, prefill, tokens);
  const uint64_t allocations = heap_allocations() - allocations_at_init;

  const double decode_tok_s = static_cast<double>(tokens) / decode_s;
  const double prefill_tok_s = prefill > 0 ? static_cast<double>(prefill) / prefill_s : 0.0;
  const double roofline = static_cast<double>(info.step_weight_bytes) * decode_tok_s / (bandwidth * 1e9);
  const uint64_t rss = peak_rss_bytes();

  if (a.has("--json")) {
    nlohmann::json j;
    j["model"] = a.positional[0];
    j["threads"] = info.n_threads;
    j["kernels"] = rwkv_edge_kernels_name(info.kernels);
    j["backend"] = info.backend == RWKV_EDGE_BACKEND_CUDA ? "cuda" : "cpu";
    j["device_bytes"] = info.device_bytes;
    j["graph_replay_us"] = cuda ? nlohmann::json(graph_replay_us) : nlohmann::json(nullptr);
    j["onednn_ops"] = info.n_onednn_ops;
    j["tokens"] = tokens;
    j["prefill_tokens"] = prefill;
    j["decode_tok_s"] = decode_tok_s;
    j["prefill_tok_s"] = prefill > 0 ? nlohmann::json(prefill_tok_s) : nlohmann::json(nullptr);
    j["max_chunk"] = max_chunk;
    j["prefill_inputs"] = info.prefill_inputs == RWKV_EDGE_PREFILL_INPUTS_INT8 ? "int8" : "float";
    j["prefill_int8_ops"] = info.n_prefill_int8_ops;
    j["prefill_over_decode"] = prefill > 0 ? nlohmann::json(prefill_tok_s / decode_tok_s) : nlohmann::json(nullptr);
    j["model_bytes"] = info.model_bytes;
    j["arena_bytes"] = info.arena_bytes;
    j["peak_rss_bytes"] = rss;
    j["heap_allocs_after_init"] =
        heap_counting_available() ? nlohmann::json(allocations) : nlohmann::json(nullptr);
    j["bytes_per_token"] = info.step_weight_bytes;
    j["mem_bw_gb_s"] = bandwidth;
    j["roofline_fraction"] = roofline;
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  if (info.backend == RWKV_EDGE_BACKEND_CUDA)
    std::printf("%s: CUDA, %llu bytes of device memory, a graph replay costs %.1f us\n", a.positional[0].c_str(),
                static_cast<unsigned long long>(info.device_bytes), graph_replay_us);
  else
    std::printf("%s: %u threads, %s kernels\n", a.positional[0].c_str(), info.n_threads,
                rwkv_edge_kernels_name(info.kernels));
  std::printf("  decode   %10.2f tok/s   (%llu tokens)\n", decode_tok_s, static_cast<unsigned long long>(tokens));
  if (prefill > 0)
    std::printf("  prefill  %10.2f tok/s   (%llu tokens, %s%s), %.1fx decode\n", prefill_tok_s,
                static_cast<unsigned long long>(prefill),
                max_chunk > 0 ? ("chunks of " + std::to_string(max_chunk)).c_str() : "a step each: planned without chunks",
                info.prefill_inputs == RWKV_EDGE_PREFILL_INPUTS_INT8
                    ? (", int8 inputs to " + std::to_string(info.n_prefill_int8_ops) + " products").c_str()
                    : "",
                prefill_tok_s / decode_tok_s);
  std::printf("  reads    %s per token; memory streams at %.1f GB/s: %.0f%% of the roofline\n",
              human_bytes(info.step_weight_bytes).c_str(), bandwidth, 100.0 * roofline);
  std::printf("  memory   model %s, arena %s, peak RSS %s\n", human_bytes(info.model_bytes).c_str(),
              human_bytes(info.arena_bytes).c_str(), human_bytes(rss).c_str());
  if (heap_counting_available())
    std::printf("  heap     %llu allocations after init\n", static_cast<unsigned long long>(allocations));
  else
    std::printf("  heap     not counted (sanitizer build)\n");
  return 0;
}

}  // namespace rwkv_edge::cli
