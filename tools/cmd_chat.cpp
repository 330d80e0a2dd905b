// chat: seed 004's chat loop. Each line read is one user message, cleaned as
// the seed does (whitespace stripped, runs of newlines collapsed; CRLF read
// as LF), prefilled in chunks as "User: MSG\n\nAssistant:", and answered by
// sampling until the reply contains "\n\n": temperature 1, top-p 0.3,
// presence and frequency penalties 0.5 with decay 0.996 counted afresh for
// each reply, end-of-text banned. With --state (a state-tuning checkpoint or
// a saved state) the seed's tuned settings apply (top-p 0.2, penalties 0.3)
// and no introduction is prefilled. The introduction is prefilled silently
// (it is the model's context, not the user's conversation); --preamble FILE
// replaces it. A reply cut off by -n says so on stderr. --save-state writes the state after
// every reply that ran to its end (the stop or -n tokens), so Ctrl-C (which
// ends the reply and the chat) never leaves a half-written or mid-reply
// state file.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "cli_args.h"
#include "commands.h"
#include "generation.h"
#include "mapped_file.h"
#include "model_session.h"
#include "state_file_io.h"
#include "text_stream.h"
#include "text_tokenizer.h"

namespace rwkv_edge::cli {
namespace {

constexpr const char* kIntroduction =
    "User: hi\n\nAssistant: Hi. I am your assistant and I will provide expert full response in full details. "
    "Please feel free to ask any question and I will always answer it.\n\n";

// msg.strip(), then re.sub(r"\n+", "\n", msg), after CRLF -> LF.
std::string clean_message(const std::string& line) {
  std::string s;
  for (size_t i = 0; i < line.size(); ++i)
    if (!(line[i] == '\r' && i + 1 < line.size() && line[i + 1] == '\n')) s += line[i];
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; };
  size_t b = 0, e = s.size();
  while (b < e && space(s[b])) ++b;
  while (e > b && space(s[e - 1])) --e;
  std::string out;
  for (size_t i = b; i < e; ++i)
    if (!(s[i] == '\n' && !out.empty() && out.back() == '\n')) out += s[i];
  return out;
}

}  // namespace

int cmd_chat(const Args& a) {
  if (a.positional.size() != 1) throw UsageError("expected one model file");
  const uint64_t max_reply = parse_uint(a.get("-n", "1000"), "-n", 1'000'000);
  if (a.has("--save-state")) refuse_saving_over_input(a.get("--save-state"), a.positional[0], a.get("--state"));
  std::string preamble = kIntroduction;
  if (a.has("--preamble")) {
    const planner::MappedFile f(a.get("--preamble"));
    preamble.assign(reinterpret_cast<const char*>(f.data()), f.size());
  }
  ModelSession model(a.positional[0], parse_runtime_choice(a), /*verify_weights=*/true);
  const TextTokenizer tokenizer = TextTokenizer::from_model(model.file().data(), model.file().size());
  const uint32_t vocab = model.info().vocab_size;

  const bool tuned = a.has("--state");
  rwkv_edge_sampler_params seed004;
  rwkv_edge_sampler_default_params(&seed004);
  seed004.temperature = 1.0f;
  seed004.top_p = tuned ? 0.2f : 0.3f;
  seed004.presence_penalty = seed004.frequency_penalty = tuned ? 0.3f : 0.5f;
  seed004.penalty_decay = 0.996f;
  seed004.free_whitespace_digits = 0;  // the chat loop counts every token
  const rwkv_edge_sampler_params params = parse_sampler_params(a, seed004);
  SamplerMemory sampler(params, vocab, tokenizer.view());
  rwkv_edge_status st = rwkv_edge_sampler_ban(sampler.sampler, 0);  // out[0] -= 1e10: no end-of-text
  if (st.code != RWKV_EDGE_OK) throw std::runtime_error(st.message);

  // A saved or tuned state already holds its context; --preamble still adds to it when given.
  if (tuned) std::fprintf(stderr, "initial state: %s\n", load_state_file(model, a.get("--state")).c_str());
  if (!tuned || a.has("--preamble")) {
    const std::vector<uint32_t> ids = tokenizer.encode(preamble);
    if (!ids.empty()) model.prefill(ids);
    std::fprintf(stderr, "preamble: %zu tokens prefilled (%s)\n", ids.size(),
                 a.has("--preamble") ? a.get("--preamble").c_str() : "the built-in introduction; --preamble FILE replaces it");
  }
  std::fprintf(stderr, "seed %llu%s\n", static_cast<unsigned long long>(params.seed),
               a.has("--seed") ? "" : " (random; --seed repeats this run)");
  const bool terminal = isatty(STDIN_FILENO) != 0;
  const InterruptFlag interrupt;
  std::string line;
  while (!interrupt.raised()) {
    if (terminal) std::fputs("User: ", stdout);
    std::fflush(stdout);
    if (!std::getline(std::cin, line)) break;
    const std::string msg = clean_message(line);
    if (msg.empty()) {
      std::puts("!!! Error: please say something !!!");
      continue;
    }
    if (!terminal) std::printf("User: %s\n", msg.c_str());  // a piped transcript reads like a chat
    const float* logits = model.prefill(tokenizer.encode("User: " + msg + "\n\nAssistant:"));
    std::fputs("\nAssistant:", stdout);
    std::fflush(stdout);
    rwkv_edge_sampler_reset_penalties(sampler.sampler);
    TextStream stream(stdout, "\n\n");
    std::string bytes;
    bool ended = false;
    for (uint64_t i = 0; i < max_reply && !interrupt.raised() && !ended; ++i) {
      uint32_t token = 0;
      st = rwkv_edge_sampler_sample(sampler.sampler, logits, &token);
      if (st.code != RWKV_EDGE_OK) throw std::runtime_error(st.message);
      logits = model.step(token);  // the seed feeds every sampled token, the stop's included
      bytes.clear();
      tokenizer.append_token(token, &bytes);
      ended = stream.append(bytes);
    }
    stream.finish();
    std::fputs("\n\n", stdout);
    std::fflush(stdout);
    if (!ended && !interrupt.raised())
      std::fprintf(stderr, "(reply cut off at -n %llu tokens)\n", static_cast<unsigned long long>(max_reply));
    if (!interrupt.raised() && a.has("--save-state")) save_state_file(model, a.get("--save-state"));
  }
  if (interrupt.raised()) {
    std::fputs("(interrupted)\n", stderr);
    return 130;
  }
  return 0;
}

}  // namespace rwkv_edge::cli
