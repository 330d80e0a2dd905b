// rwkv-edge ppl: how well a model predicts a text, in bits per byte (comparable
// across tokenizers and quantizations) and per-token perplexity. --mode step
// (default) reads the text a step per token; --mode seq reads it in prefill
// chunks, so what prefill's options (--prefill-inputs int8) cost shows here.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "cli_args.h"
#include "commands.h"
#include "model_session.h"
#include "text_tokenizer.h"

namespace rwkv_edge::cli {
namespace {

constexpr uint64_t kMaxTextBytes = uint64_t{1} << 30;

std::string read_text(const std::string& path, uint64_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::string text;
  char buf[1 << 16];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() >= max_bytes) {
      text.resize(max_bytes);
      break;
    }
  }
  if (in.bad()) throw std::runtime_error("cannot read " + path);
  return text;
}

// -log softmax(logits)[target], in nats, in double so long texts sum exactly enough.
double negative_log_likelihood(const float* logits, uint32_t vocab, uint32_t target) {
  const float top = *std::max_element(logits, logits + vocab);
  double sum = 0.0;
  for (uint32_t i = 0; i < vocab; ++i) sum += std::exp(static_cast<double>(logits[i]) - top);
  return std::log(sum) + top - static_cast<double>(logits[target]);
}

class ProgressBar {
 public:
  explicit ProgressBar(uint64_t total) : total_(total), tty_(isatty(STDERR_FILENO) != 0) {}
  void update(uint64_t done) {
    const uint64_t percent = total_ == 0 ? 100 : done * 100 / total_;
    if (percent == last_percent_ && done != total_) return;
    last_percent_ = percent;
    if (!tty_ && percent % 10 != 0 && done != total_) return;  // logs get a line per 10%
    const int filled = static_cast<int>(percent * 30 / 100);
    std::fprintf(stderr, "%s[%.*s%*s] %3llu%% %llu/%llu tokens%s", tty_ ? "\r" : "", filled,
                 "##############################", 30 - filled, "", static_cast<unsigned long long>(percent),
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total_),
                 tty_ && done != total_ ? "" : "\n");
    std::fflush(stderr);
  }

 private:
  uint64_t total_;
  bool tty_;
  uint64_t last_percent_ = ~uint64_t{0};
};

}  // namespace

int cmd_ppl(const Args& a) {
  if (a.positional.size() != 1) throw UsageError("expected one model file");
  const std::string mode = a.get("--mode", "step");
  if (mode != "step" && mode != "seq") throw UsageError("--mode must be step or seq, got " + quoted(mode));
  if (!a.has("--file")) throw UsageError("missing --file TEXT_FILE");
  const uint64_t max_bytes = parse_uint(a.get("--max-bytes", std::to_string(kMaxTextBytes)), "--max-bytes", kMaxTextBytes);
  ModelSession model(a.positional[0], parse_runtime_choice(a), /*verify_weights=*/true);
  const uint32_t vocab = model.info().vocab_size;
  const std::string text = read_text(a.get("--file"), max_bytes);
  // Text becomes tokens through the model's own vocabulary (older files
  // without one: byte-level models read the bytes themselves).
  std::vector<uint32_t> tokens;
  uint64_t first_token_bytes = 1;
  try {
    const TextTokenizer tokenizer = TextTokenizer::from_model(model.file().data(), model.file().size());
    tokens = tokenizer.encode(text);
    std::string first;
    if (!tokens.empty()) tokenizer.append_token(tokens[0], &first);
    first_token_bytes = first.size();
  } catch (const std::runtime_error& e) {
    if (vocab != 256) throw std::runtime_error(std::string("ppl needs a tokenizer: ") + e.what());
    tokens.assign(reinterpret_cast<const unsigned char*>(text.data()),
                  reinterpret_cast<const unsigned char*>(text.data()) + text.size());
  }
  if (tokens.size() < 2) throw std::runtime_error("the text needs at least 2 tokens (one to read, one to predict)");

  // Token i predicts token i+1: every token after the first is scored once,
  // and bits per byte divide by the bytes those tokens hold.
  const uint64_t scored = tokens.size() - 1;
  const uint64_t scored_bytes = text.size() - first_token_bytes;
  ProgressBar bar(scored);
  struct Score {
    const std::vector<uint32_t>& tokens;
    uint32_t vocab;
    ProgressBar& bar;
    double nll = 0.0;
    uint64_t first_bad = ~uint64_t{0};
    void add(uint64_t i, const float* logits) {
      const double d = negative_log_likelihood(logits, vocab, tokens[i + 1]);
      if (!std::isfinite(d)) first_bad = std::min(first_bad, i);
      nll += d;
      bar.update(i + 1);
    }
  } score{tokens, vocab, bar};
  if (mode == "seq") {
    const rwkv_edge_status st = rwkv_edge_prefill_each(
        model.get(), tokens.data(), scored,
        [](void* ctx, size_t i, const float* logits) { static_cast<Score*>(ctx)->add(i, logits); }, &score);
    if (st.code != RWKV_EDGE_OK) throw std::runtime_error(st.message);
  } else {
    for (uint64_t i = 0; i < scored && score.first_bad == ~uint64_t{0}; ++i) score.add(i, model.step(tokens[i]));
  }
  if (score.first_bad != ~uint64_t{0})
    throw std::runtime_error("non-finite logits at token " + std::to_string(score.first_bad));
  const double nll = score.nll;
  const double bits_per_byte = nll / std::log(2.0) / static_cast<double>(scored_bytes);
  const double ppl = std::exp(nll / static_cast<double>(scored));
  if (a.has("--json")) {
    nlohmann::json j = {{"model", a.positional[0]}, {"file", a.get("--file")}, {"bits_per_byte", bits_per_byte},
                        {"ppl", ppl}, {"tokens", scored}, {"bytes", scored_bytes}, {"nll_nats", nll}, {"mode", mode},
                        {"prefill_inputs", model.info().prefill_inputs == RWKV_EDGE_PREFILL_INPUTS_INT8 ? "int8" : "float"}};
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf("%llu tokens (%llu bytes) scored: %.6f bits per byte, perplexity %.4f per token\n",
                static_cast<unsigned long long>(scored), static_cast<unsigned long long>(scored_bytes), bits_per_byte, ppl);
  }
  return 0;
}

}  // namespace rwkv_edge::cli
