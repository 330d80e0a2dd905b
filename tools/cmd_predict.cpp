// predict: for byte-level models, the most likely next bytes after a prompt
// and a greedy continuation (a quick look at what a tiny model learned).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "commands.h"
#include "model_session.h"

namespace rwkv_edge::cli {

int cmd_predict(const Args& a) {
  if (a.positional.size() != 1) throw UsageError("expected one model file");
  if (!a.has("--prompt") || a.get("--prompt").empty()) throw UsageError("missing --prompt TEXT");
  const auto k = static_cast<uint32_t>(parse_uint(a.get("-k", "5"), "-k", 256));
  const auto n = static_cast<uint32_t>(parse_uint(a.get("-n", "48"), "-n", 100000));
  ModelSession model(a.positional[0], parse_runtime_choice(a), /*verify_weights=*/false);
  const uint32_t vocab = model.info().vocab_size;
  if (vocab != 256)
    throw std::runtime_error("predict feeds raw bytes and needs a byte-level (vocab 256) model; this one has " +
                             std::to_string(vocab) + " tokens");
  const std::string prompt = a.get("--prompt");
  const float* logits = nullptr;
  for (unsigned char c : prompt) logits = model.step(c);
  auto printable = [](uint32_t b) {
    if (b == '\n') return std::string("\\n");
    if (b >= 32 && b < 127) return std::string(1, static_cast<char>(b));
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\x%02x", b);
    return std::string(buf);
  };
  std::vector<uint32_t> order(vocab);
  std::iota(order.begin(), order.end(), 0u);
  std::vector<double> prob(vocab);
  const float top = *std::max_element(logits, logits + vocab);
  double sum = 0;
  for (uint32_t i = 0; i < vocab; ++i) sum += prob[i] = std::exp(static_cast<double>(logits[i] - top));
  std::partial_sort(order.begin(), order.begin() + std::min(k, vocab), order.end(),
                    [&](uint32_t x, uint32_t y) { return logits[x] > logits[y]; });
  std::printf("prompt: \"%s\"\nnext byte:\n", prompt.c_str());
  for (uint32_t i = 0; i < std::min(k, vocab); ++i)
    std::printf("  '%s'  p=%.3f  logit=%.3f\n", printable(order[i]).c_str(), prob[order[i]] / sum,
                static_cast<double>(logits[order[i]]));
  std::string continuation;
  for (uint32_t i = 0; i < n; ++i) {
    const auto next = static_cast<uint32_t>(std::max_element(logits, logits + vocab) - logits);
    continuation += printable(next);
    logits = model.step(next);
  }
  std::printf("greedy continuation: \"%s%s\"\n", prompt.c_str(), continuation.c_str());
  return 0;
}

}  // namespace rwkv_edge::cli
