// generate: a prompt in, sampled text out as the official PIPELINE.generate
// does it (seed 004's settings as flags), streamed as it comes. Ctrl-C stops
// after the current token: the text so far is flushed, the terminal is left
// as it was.
#include <csignal>
#include <cstdio>
#include <vector>

#include "cli_args.h"
#include "commands.h"
#include "model_session.h"
#include "text_stream.h"
#include "text_tokenizer.h"

namespace rwkv_edge::cli {
namespace {

volatile std::sig_atomic_t g_interrupted = 0;
void on_interrupt(int) { g_interrupted = 1; }

// Caller memory for a sampler (the runtime never allocates).
struct SamplerMemory {
  void* memory = nullptr;
  rwkv_edge_sampler* sampler = nullptr;
  SamplerMemory(const rwkv_edge_sampler_params& p, uint32_t vocab, const rwkv_edge_tokenizer& t) {
    const size_t bytes = rwkv_edge_sampler_memory_bytes(vocab);
    memory = std::aligned_alloc(RWKV_EDGE_ARENA_ALIGNMENT, bytes);
    if (memory == nullptr) throw std::runtime_error("cannot allocate the sampler's memory");
    const rwkv_edge_status st = rwkv_edge_sampler_init(&p, vocab, &t, memory, bytes, &sampler);
    if (st.code != RWKV_EDGE_OK) {
      std::free(memory);
      throw UsageError(st.message);
    }
  }
  ~SamplerMemory() { std::free(memory); }
};

rwkv_edge_sampler_params parse_sampler_params(const Args& a) {
  rwkv_edge_sampler_params p;
  rwkv_edge_sampler_default_params(&p);
  if (a.has("--temperature")) p.temperature = parse_float(a.get("--temperature"), "--temperature");
  if (a.has("--top-p")) p.top_p = parse_float(a.get("--top-p"), "--top-p");
  if (a.has("--top-k")) p.top_k = static_cast<uint32_t>(parse_uint(a.get("--top-k"), "--top-k", UINT32_MAX));
  if (a.has("--presence-penalty")) p.presence_penalty = parse_float(a.get("--presence-penalty"), "--presence-penalty");
  if (a.has("--frequency-penalty")) p.frequency_penalty = parse_float(a.get("--frequency-penalty"), "--frequency-penalty");
  if (a.has("--penalty-decay")) p.penalty_decay = parse_float(a.get("--penalty-decay"), "--penalty-decay");
  if (a.has("--seed")) p.seed = parse_uint(a.get("--seed"), "--seed", UINT64_MAX);
  return p;
}

}  // namespace

int cmd_generate(int argc, char** argv) {
  const Args a = parse_args(argc, argv, 2,
                            with_runtime_options({"--prompt", "-n", "--temperature", "--top-p", "--top-k",
                                                  "--presence-penalty", "--frequency-penalty", "--penalty-decay",
                                                  "--seed", "--stop"}),
                            with_runtime_switches({}));
  if (a.positional.size() != 1) throw UsageError("expected one model file");
  if (!a.has("--prompt")) throw UsageError("missing --prompt TEXT");
  const uint64_t n = parse_uint(a.get("-n", "100"), "-n", 1'000'000'000);
  const rwkv_edge_sampler_params params = parse_sampler_params(a);
  ModelSession model(a.positional[0], parse_runtime_choice(a), /*verify_weights=*/true);
  const TextTokenizer tokenizer = TextTokenizer::from_model(model.file().data(), model.file().size());
  const uint32_t vocab = model.info().vocab_size;
  SamplerMemory sampler(params, vocab, tokenizer.view());

  const std::string prompt = a.get("--prompt");
  const std::vector<uint32_t> prompt_tokens = tokenizer.encode(prompt);
  if (prompt_tokens.empty()) throw UsageError("the prompt is empty");

  std::signal(SIGINT, on_interrupt);
  std::fwrite(prompt.data(), 1, prompt.size(), stdout);
  std::fflush(stdout);
  const float* logits = model.prefill(prompt_tokens);  // chunked: the weights are read once per chunk
  TextStream stream(stdout, a.get("--stop"));
  std::string bytes;
  for (uint64_t i = 0; i < n && !g_interrupted; ++i) {
    uint32_t token = 0;
    const rwkv_edge_status st = rwkv_edge_sampler_sample(sampler.sampler, logits, &token);
    if (st.code != RWKV_EDGE_OK) throw std::runtime_error(st.message);
    bytes.clear();
    tokenizer.append_token(token, &bytes);
    if (bytes.empty()) break;  // World's end-of-text token
    if (stream.append(bytes)) break;
    logits = model.step(token);
  }
  stream.finish();
  std::signal(SIGINT, SIG_DFL);
  std::fputs("\n", stdout);
  if (g_interrupted) std::fputs("(interrupted)\n", stderr);
  return g_interrupted ? 130 : 0;
}

}  // namespace rwkv_edge::cli
