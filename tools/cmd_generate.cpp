// generate: a prompt in, sampled text out as the official PIPELINE.generate
// does it (seed 004's settings as flags), streamed as it comes. Ctrl-C stops
// after the current token: the text so far is flushed, the terminal is left
// as it was.
#include <cstdio>
#include <vector>

#include "cli_args.h"
#include "commands.h"
#include "generation.h"
#include "model_session.h"
#include "state_file_io.h"
#include "text_stream.h"
#include "text_tokenizer.h"

namespace rwkv_edge::cli {

int cmd_generate(int argc, char** argv) {
  const Args a = parse_args(argc, argv, 2,
                            with_runtime_options(with_sampler_options({"--prompt", "-n", "--stop", "--state",
                                                                       "--save-state"})),
                            with_runtime_switches({}));
  if (a.positional.size() != 1) throw UsageError("expected one model file");
  if (!a.has("--prompt")) throw UsageError("missing --prompt TEXT");
  const uint64_t n = parse_uint(a.get("-n", "100"), "-n", 1'000'000'000);
  rwkv_edge_sampler_params defaults;
  rwkv_edge_sampler_default_params(&defaults);
  const rwkv_edge_sampler_params params = parse_sampler_params(a, defaults);
  if (a.has("--save-state")) refuse_saving_over_input(a.get("--save-state"), a.positional[0], a.get("--state"));
  ModelSession model(a.positional[0], parse_runtime_choice(a), /*verify_weights=*/true);
  const TextTokenizer tokenizer = TextTokenizer::from_model(model.file().data(), model.file().size());
  const uint32_t vocab = model.info().vocab_size;
  SamplerMemory sampler(params, vocab, tokenizer.view());

  const std::string prompt = a.get("--prompt");
  const std::vector<uint32_t> prompt_tokens = tokenizer.encode(prompt);
  if (prompt_tokens.empty()) throw UsageError("the prompt is empty");

  if (a.has("--state")) std::fprintf(stderr, "initial state: %s\n", load_state_file(model, a.get("--state")).c_str());
  const InterruptFlag interrupt;
  std::fwrite(prompt.data(), 1, prompt.size(), stdout);
  std::fflush(stdout);
  const float* logits = model.prefill(prompt_tokens);  // chunked: the weights are read once per chunk
  TextStream stream(stdout, a.get("--stop"));
  std::string bytes;
  for (uint64_t i = 0; i < n && !interrupt.raised(); ++i) {
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
  std::fputs("\n", stdout);
  if (interrupt.raised()) {
    std::fputs(a.has("--save-state") ? "(interrupted; the state file was not written)\n" : "(interrupted)\n", stderr);
    return 130;
  }
  if (a.has("--save-state")) save_state_file(model, a.get("--save-state"));
  return 0;
}

}  // namespace rwkv_edge::cli
