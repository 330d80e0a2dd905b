// rwkv-edge soak: a long generation that checks what a device left alone for
// weeks depends on. Every token is sampled from the model's own logits and fed
// back (the sampler in its fixed memory); the process's resident memory is
// read every --every tokens, every logit is checked finite, heap allocations
// are counted and each step is timed into a fixed histogram, so the loop
// itself allocates nothing and touches no new memory.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_args.h"
#include "commands.h"
#include "generation.h"
#include "heap_counter.h"
#include "model_session.h"

namespace rwkv_edge::cli {
namespace {

// Resident set size from /proc/self/statm, read without allocating.
uint64_t resident_bytes() {
  const int fd = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  char text[128];
  const ssize_t n = ::read(fd, text, sizeof text - 1);
  ::close(fd);
  if (n <= 0) return 0;
  text[n] = '\0';
  unsigned long long size = 0, resident = 0;
  if (std::sscanf(text, "%llu %llu", &size, &resident) != 2) return 0;
  return resident * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
}

// Step times in geometric bins 1% wide from 100 ns: percentiles to within 1%.
class StepTimes {
 public:
  void add(double ns) {
    const double x = ns <= kFirstNs ? 0.0 : std::log(ns / kFirstNs) / std::log(kRatio);
    ++bins_[x >= kBins - 1 ? kBins - 1 : static_cast<size_t>(x)];
    ++count_;
    if (ns > max_ns_) max_ns_ = ns;
  }
  // The upper edge of the bin holding the q-quantile, but never above the
  // slowest step seen (the bin's edge is a bound, the maximum a measurement).
  double quantile_ns(double q) const {
    const uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
    uint64_t seen = 0;
    for (size_t i = 0; i < kBins; ++i) {
      seen += bins_[i];
      if (seen >= rank && seen > 0) return std::min(max_ns_, kFirstNs * std::pow(kRatio, static_cast<double>(i + 1)));
    }
    return max_ns_;
  }
  double max_ns() const { return max_ns_; }

 private:
  static constexpr size_t kBins = 4096;
  static constexpr double kFirstNs = 100.0, kRatio = 1.01;
  std::array<uint64_t, kBins> bins_{};
  uint64_t count_ = 0;
  double max_ns_ = 0.0;
};

}  // namespace

int cmd_soak(const Args& a) {
  if (a.positional.size() != 1) throw UsageError("expected one model file");
  const uint64_t tokens = parse_uint(a.get("--tokens", "1000000"), "--tokens", uint64_t{1} << 40);
  if (tokens < 2) throw UsageError("--tokens must be at least 2 (a warm-up and one measured interval)");
  // Defaults scale with --tokens: a tenth of the run per interval (at most
  // 10,000 tokens), and one interval of warm-up.
  const uint64_t every = a.has("--every") ? parse_uint(a.get("--every"), "--every", uint64_t{1} << 40)
                                          : std::clamp<uint64_t>(tokens / 10, 1, 10000);
  if (every == 0) throw UsageError("--every must be at least 1");
  const uint64_t warmup = a.has("--warmup") ? parse_uint(a.get("--warmup"), "--warmup", uint64_t{1} << 40)
                                            : std::min(every, tokens - every);
  if (tokens < warmup + every)
    throw UsageError("--tokens " + std::to_string(tokens) + " does not cover the warm-up (" + std::to_string(warmup) +
                     (a.has("--warmup") ? "" : ", from --every") + ") and one --every interval (" +
                     std::to_string(every) + ") after it");
  const RuntimeChoice runtime = parse_runtime_choice(a);
  ModelSession model(a.positional[0], runtime, /*verify_weights=*/true);
  const rwkv_edge_info& info = model.info();

  rwkv_edge_sampler_params defaults;
  rwkv_edge_sampler_default_params(&defaults);
  rwkv_edge_sampler_params params = parse_sampler_params(a, defaults);
  rwkv_edge_tokenizer tokenizer{};
  if (rwkv_edge_tokenizer_from_model(model.file().data(), model.file().size(), &tokenizer).code != RWKV_EDGE_OK)
    params.free_whitespace_digits = 0;  // no vocabulary to tell whitespace from words
  SamplerMemory sampler(params, info.vocab_size, tokenizer);

  // Everything the loop writes exists, touched, before it starts.
  std::vector<uint64_t> rss_samples(tokens / every + 1, 0);
  auto times = std::make_unique<StepTimes>();
  uint64_t non_finite = 0, first_non_finite = 0, samples = 0;
  uint32_t token = 0;
  const uint64_t allocations_at_start = heap_allocations();
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < tokens; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const float* logits = model.step(token);
    const auto t1 = std::chrono::steady_clock::now();
    if (i >= warmup) times->add(std::chrono::duration<double, std::nano>(t1 - t0).count());
    uint64_t bad = 0;
    for (uint32_t v = 0; v < info.vocab_size; ++v) bad += !std::isfinite(logits[v]);
    if (bad != 0 && non_finite++ == 0) first_non_finite = i;
    const rwkv_edge_status st = rwkv_edge_sampler_sample(sampler.sampler, logits, &token);
    if (st.code != RWKV_EDGE_OK) throw std::runtime_error(st.message);
    if ((i + 1) % every == 0) rss_samples[samples++] = resident_bytes();
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const uint64_t allocations = heap_allocations() - allocations_at_start;

  // The flatness check starts at the first sample after the warm-up.
  const uint64_t first_checked = warmup / every;
  uint64_t rss_min = UINT64_MAX, rss_max = 0;
  for (uint64_t s = first_checked; s < samples; ++s) {
    rss_min = std::min(rss_min, rss_samples[s]);
    rss_max = std::max(rss_max, rss_samples[s]);
  }
  const double p50 = times->quantile_ns(0.50), p99 = times->quantile_ns(0.99);
  const bool rss_flat = rss_max - rss_min <= 64 * 1024;
  const bool no_allocations = !heap_counting_available() || allocations == 0;
  const bool finite = non_finite == 0;
  const bool steady = p99 / p50 <= 1.5;

  if (a.has("--json")) {
    nlohmann::json j;
    j["model"] = a.positional[0];
    j["threads"] = info.n_threads;
    j["kernels"] = rwkv_edge_kernels_name(info.kernels);
    j["tokens"] = tokens;
    j["seed"] = params.seed;
    j["seconds"] = seconds;
    j["tok_s"] = static_cast<double>(tokens) / seconds;
    j["rss_every_tokens"] = every;
    j["warmup_tokens"] = warmup;
    j["rss_bytes"] = std::vector<uint64_t>(rss_samples.begin(), rss_samples.begin() + static_cast<long>(samples));
    j["rss_min_bytes"] = rss_min;
    j["rss_max_bytes"] = rss_max;
    j["rss_flat"] = rss_flat;
    j["heap_allocs"] = heap_counting_available() ? nlohmann::json(allocations) : nlohmann::json(nullptr);
    j["non_finite_steps"] = non_finite;
    j["step_us"] = {{"p50", p50 / 1e3}, {"p90", times->quantile_ns(0.90) / 1e3}, {"p99", p99 / 1e3},
                    {"p999", times->quantile_ns(0.999) / 1e3}, {"max", times->max_ns() / 1e3}};
    j["p99_over_p50"] = p99 / p50;
    j["steady"] = steady;
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("%s: %llu tokens in %.1f s (%.0f tok/s), %u thread%s, %s kernels, seed %llu\n",
                a.positional[0].c_str(), static_cast<unsigned long long>(tokens), seconds,
                static_cast<double>(tokens) / seconds, info.n_threads, info.n_threads == 1 ? "" : "s",
                rwkv_edge_kernels_name(info.kernels),
                static_cast<unsigned long long>(params.seed));
    std::printf("  RSS       %s .. %s after %llu warm-up tokens (every %llu): %s\n", human_bytes(rss_min).c_str(),
                human_bytes(rss_max).c_str(), static_cast<unsigned long long>(warmup),
                static_cast<unsigned long long>(every), rss_flat ? "flat (<= 64 KiB)" : "GREW");
    if (heap_counting_available())
      std::printf("  heap      %llu allocations in the loop\n", static_cast<unsigned long long>(allocations));
    else
      std::printf("  heap      not counted (sanitizer build)\n");
    if (finite)
      std::printf("  logits    all finite\n");
    else
      std::printf("  logits    NaN or Inf in %llu steps, first at token %llu\n",
                  static_cast<unsigned long long>(non_finite), static_cast<unsigned long long>(first_non_finite));
    std::printf("  step      p50 %.1f us, p90 %.1f, p99 %.1f, p99.9 %.1f, max %.1f; p99/p50 %.2f%s\n", p50 / 1e3,
                times->quantile_ns(0.90) / 1e3, p99 / 1e3, times->quantile_ns(0.999) / 1e3, times->max_ns() / 1e3,
                p99 / p50, steady ? "" : " (over 1.5)");
  }
  // Timing depends on the machine's other load; the exit status does not.
  return rss_flat && no_allocations && finite ? 0 : 1;
}

}  // namespace rwkv_edge::cli
