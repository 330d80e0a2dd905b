// generate: a prompt in, sampled text out as the official PIPELINE.generate
// does it (seed 004's settings as flags), streamed as it comes. Ctrl-C stops
// after the current token: the text so far is flushed, the terminal is left
// as it was. The seed (random unless --seed) and the timings go to stderr;
// --json prints one object at the end instead of streaming.
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <vector>

#include "cli_args.h"
#include "commands.h"
#include "generation.h"
#include "mapped_file.h"
#include "model_session.h"
#include "progress_line.h"
#include "state_file_io.h"
#include "text_stream.h"
#include "text_tokenizer.h"

namespace rwkv_edge::cli {
namespace {

std::string read_prompt(const Args& a) {
  if (a.has("--prompt") == a.has("--prompt-file")) throw UsageError("give --prompt TEXT or --prompt-file FILE (one of them)");
  if (a.has("--prompt")) return a.get("--prompt");
  const planner::MappedFile f(a.get("--prompt-file"));
  return std::string(reinterpret_cast<const char*>(f.data()), f.size());
}


}  // namespace

int cmd_generate(const Args& a) {
  if (a.positional.size() != 1) throw UsageError("expected one model file");
  const std::string prompt = read_prompt(a);
  const uint64_t n = parse_uint(a.get("-n", "100"), "-n", 1'000'000'000);
  rwkv_edge_sampler_params defaults;
  rwkv_edge_sampler_default_params(&defaults);
  const rwkv_edge_sampler_params params = parse_sampler_params(a, defaults);
  const std::vector<std::string> stops = a.all("--stop");
  for (const std::string& s : stops)
    if (s.empty()) throw UsageError("--stop needs a non-empty text");
  if (a.has("--save-state")) refuse_saving_over_input(a.get("--save-state"), a.positional[0], a.get("--state"));
  ModelSession model(a.positional[0], parse_runtime_choice(a), /*verify_weights=*/true);
  const TextTokenizer tokenizer = TextTokenizer::from_model(model.file().data(), model.file().size());
  const uint32_t vocab = model.info().vocab_size;
  SamplerMemory sampler(params, vocab, tokenizer.view());

  const std::vector<uint32_t> prompt_tokens = tokenizer.encode(prompt);
  if (prompt_tokens.empty()) throw UsageError("the prompt is empty");
  const bool json = a.has("--json");
  if (a.has("--state")) std::fprintf(stderr, "initial state: %s\n", load_state_file(model, a.get("--state")).c_str());
  // Only once nothing can fail any more: bad input gets its one line alone.
  std::fprintf(stderr, "seed %llu%s\n", static_cast<unsigned long long>(params.seed),
               a.has("--seed") ? "" : " (random; --seed repeats this run)");
  const InterruptFlag interrupt;
  std::FILE* out = json ? nullptr : stdout;
  if (out != nullptr) {
    std::fwrite(prompt.data(), 1, prompt.size(), out);
    std::fflush(out);
  }
  const auto prefill_start = std::chrono::steady_clock::now();
  const float* logits = model.prefill(prompt_tokens);  // chunked: the weights are read once per chunk
  const double prefill_s = seconds_since(prefill_start);
  std::FILE* sink = out != nullptr ? out : std::fopen("/dev/null", "wb");
  if (sink == nullptr) throw std::runtime_error("cannot open /dev/null");
  TextStream stream(sink, stops);
  std::string bytes, stopped_by = "-n";
  uint64_t generated = 0;
  const auto decode_start = std::chrono::steady_clock::now();
  while (generated < n && !interrupt.raised()) {
    uint32_t token = 0;
    const rwkv_edge_status st = rwkv_edge_sampler_sample(sampler.sampler, logits, &token);
    if (st.code != RWKV_EDGE_OK) throw std::runtime_error(st.message);
    ++generated;  // sampled, the one that ends the text included
    bytes.clear();
    tokenizer.append_token(token, &bytes);
    if (bytes.empty()) {  // World's end-of-text token
      stopped_by = "end of text";
      break;
    }
    if (stream.append(bytes)) {
      stopped_by = "stop";
      break;
    }
    logits = model.step(token);
  }
  const double decode_s = seconds_since(decode_start);
  stream.finish();
  if (sink != out) std::fclose(sink);
  if (interrupt.raised()) stopped_by = "interrupted";
  const double prefill_tok_s = static_cast<double>(prompt_tokens.size()) / prefill_s;
  const double decode_tok_s = generated > 0 ? static_cast<double>(generated) / decode_s : 0.0;
  if (json) {
    const nlohmann::json j = {{"prompt", prompt},           {"text", stream.text()},
                              {"seed", params.seed},        {"prompt_tokens", prompt_tokens.size()},
                              {"tokens", generated},        {"stopped_by", stopped_by},
                              {"prefill_tok_s", prefill_tok_s}, {"decode_tok_s", decode_tok_s}};
    // Generated text may hold invalid UTF-8 (a model's bytes): replaced, not refused.
    std::printf("%s\n", j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::fputs("\n", stdout);
  }
  std::fflush(stdout);  // the text before the summary, also when both go to one file
  std::fprintf(stderr, "prompt %zu tokens, prefill %.1f tok/s; %llu tokens generated, %.1f tok/s; stopped by %s\n",
               prompt_tokens.size(), prefill_tok_s, static_cast<unsigned long long>(generated), decode_tok_s,
               stopped_by == "-n"     ? ("-n " + std::to_string(n)).c_str()
               : stopped_by == "stop" ? "a --stop text"
                                      : stopped_by.c_str());
  if (interrupt.raised()) {
    std::fputs(a.has("--save-state") ? "(interrupted; the state file was not written)\n" : "(interrupted)\n", stderr);
    return 130;
  }
  if (a.has("--save-state")) save_state_file(model, a.get("--save-state"));
  return 0;
}

}  // namespace rwkv_edge::cli
