#include "generation.h"

#include <cstdint>
#include <cstdlib>
#include <random>

namespace rwkv_edge::cli {
namespace {

volatile std::sig_atomic_t g_interrupted = 0;
void on_interrupt(int) { g_interrupted = 1; }

}  // namespace

rwkv_edge_sampler_params parse_sampler_params(const Args& a, rwkv_edge_sampler_params p) {
  if (a.has("--temperature")) p.temperature = parse_float(a.get("--temperature"), "--temperature");
  if (a.has("--top-p")) p.top_p = parse_float(a.get("--top-p"), "--top-p");
  if (a.has("--top-k")) p.top_k = static_cast<uint32_t>(parse_uint(a.get("--top-k"), "--top-k", UINT32_MAX));
  if (a.has("--presence-penalty")) p.presence_penalty = parse_float(a.get("--presence-penalty"), "--presence-penalty");
  if (a.has("--frequency-penalty")) p.frequency_penalty = parse_float(a.get("--frequency-penalty"), "--frequency-penalty");
  if (a.has("--penalty-decay")) p.penalty_decay = parse_float(a.get("--penalty-decay"), "--penalty-decay");
  // No --seed: a fresh one each run, which the commands print so a run can be repeated.
  p.seed = a.has("--seed") ? parse_uint(a.get("--seed"), "--seed", UINT64_MAX)
                           : (uint64_t{std::random_device{}()} << 32 | std::random_device{}()) % 1'000'000'000;
  return p;
}

SamplerMemory::SamplerMemory(const rwkv_edge_sampler_params& p, uint32_t vocab, const rwkv_edge_tokenizer& t) {
  const size_t bytes = rwkv_edge_sampler_memory_bytes(vocab);
  memory = std::aligned_alloc(RWKV_EDGE_ARENA_ALIGNMENT, bytes);
  if (memory == nullptr) throw std::runtime_error("cannot allocate the sampler's memory");
  const rwkv_edge_status st = rwkv_edge_sampler_init(&p, vocab, &t, memory, bytes, &sampler);
  if (st.code != RWKV_EDGE_OK) {
    std::free(memory);
    throw UsageError(st.message);
  }
}

SamplerMemory::~SamplerMemory() { std::free(memory); }

InterruptFlag::InterruptFlag() {
  g_interrupted = 0;
  // No SA_RESTART: a read waiting for the user's next line returns at once,
  // so Ctrl-C at chat's prompt ends the chat instead of waiting for Enter.
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;
  sigaction(SIGINT, &action, nullptr);
}
InterruptFlag::~InterruptFlag() { std::signal(SIGINT, SIG_DFL); }
bool InterruptFlag::raised() const { return g_interrupted != 0; }

}  // namespace rwkv_edge::cli
