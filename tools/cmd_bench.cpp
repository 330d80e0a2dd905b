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
#include "progress_line.h"

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

// A few tokens alone time the scheduler and the first touch of the weights,
// not the model: every figure is a run of at least this long, after a warm-up.
constexpr double kMinSeconds = 1.0, kWarmupSeconds = 0.25;


struct Timed {
  uint64_t units = 0;  // tokens
  double seconds = 0.0;
  double per_second() const { return static_cast<double>(units) / seconds; }
};

// Steps in rounds of `n` tokens until `min_seconds` have passed (at least one round).
Timed time_steps(ModelSession& model, uint64_t n, double min_seconds) {
  const uint32_t vocab = model.info().vocab_size;
  Timed t;
  const auto start = std::chrono::steady_clock::now();
  do {
    for (uint64_t i = 0; i < n; ++i) model.step(token_at(t.units + i, vocab));
    t.units += n;
  } while (seconds_since(start) < min_seconds);
  t.seconds = seconds_since(start);
  return t;
}

// Prefills `ids` from the reset state (chunked, rwkv_edge_prefill), again
// until `min_seconds` have passed; the resets are not timed.
Timed time_prefill(ModelSession& model, const std::vector<uint32_t>& ids, double min_seconds) {
  Timed t;
  while (t.units == 0 || t.seconds < min_seconds) {
    rwkv_edge_state_reset(model.get());
    const auto start = std::chrono::steady_clock::now();
    model.prefill(ids);
    t.seconds += seconds_since(start);
    t.units += ids.size();
  }
  return t;
}

}  // namespace

int cmd_bench(const Args& a) {
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

  time_steps(model, 4, kWarmupSeconds);  // page in the mapped weights, wake the threads, warm the caches
  const Timed prefill_run = prefill > 0 ? time_prefill(model, prefill_ids, kMinSeconds) : Timed{};
  const Timed decode_run = time_steps(model, tokens, kMinSeconds);
  const uint64_t allocations = heap_allocations() - allocations_at_init;

  const double decode_tok_s = decode_run.per_second();
  const double prefill_tok_s = prefill > 0 ? prefill_run.per_second() : 0.0;
  // A step's weights that fit in the last-level cache are not read from
  // memory: no memory roofline bounds them, and a fraction of it would mislead.
  const uint64_t cache = last_level_cache_bytes();
  const bool fits_in_cache = !cuda && cache > 0 && info.step_weight_bytes <= cache;
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
    j["tokens"] = decode_run.units;  // timed, after the warm-up: --tokens rounds over at least 1 s
    j["decode_seconds"] = decode_run.seconds;
    j["prefill_tokens"] = prefill;
    j["prefill_seconds"] = prefill > 0 ? nlohmann::json(prefill_run.seconds) : nlohmann::json(nullptr);
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
    j["last_level_cache_bytes"] = cache;
    j["weights_fit_in_cache"] = fits_in_cache;
    j["roofline_fraction"] = fits_in_cache ? nlohmann::json(nullptr) : nlohmann::json(roofline);
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  if (info.backend == RWKV_EDGE_BACKEND_CUDA)
    std::printf("%s: CUDA, %llu bytes of device memory, a graph replay costs %.1f us\n", a.positional[0].c_str(),
                static_cast<unsigned long long>(info.device_bytes), graph_replay_us);
  else
    std::printf("%s: %u threads, %s kernels\n", a.positional[0].c_str(), info.n_threads,
                rwkv_edge_kernels_name(info.kernels));
  std::printf("  decode   %10.2f tok/s   (%llu tokens in %.2f s, after a warm-up)\n", decode_tok_s,
              static_cast<unsigned long long>(decode_run.units), decode_run.seconds);
  if (prefill > 0)
    std::printf("  prefill  %10.2f tok/s   (%llu-token prompt, %s%s), %.1fx decode\n", prefill_tok_s,
                static_cast<unsigned long long>(prefill),
                max_chunk > 0 ? ("chunks of " + std::to_string(max_chunk)).c_str() : "a step each: planned without chunks",
                info.prefill_inputs == RWKV_EDGE_PREFILL_INPUTS_INT8
                    ? (", int8 inputs to " + std::to_string(info.n_prefill_int8_ops) + " products").c_str()
                    : "",
                prefill_tok_s / decode_tok_s);
  if (fits_in_cache)
    std::printf("  reads    %s per token, which fits in the CPU's %s last-level cache: memory bandwidth (%.1f GB/s) "
                "does not bound this model, so no roofline fraction\n",
                human_bytes(info.step_weight_bytes).c_str(), human_bytes(cache).c_str(), bandwidth);
  else
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
