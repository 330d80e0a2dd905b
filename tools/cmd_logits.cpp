#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <numeric>
#include <stdexcept>

#include "cli_args.h"
#include "commands.h"
#include "model_session.h"
#include "output_file.h"
#include "state_file_io.h"

namespace rwkv_edge::cli {

int cmd_logits(int argc, char** argv) {
  const Args a = parse_args(argc, argv, 2, with_runtime_options({"--tokens", "--out", "--mode", "--state"}), with_runtime_switches({}));
  if (a.positional.size() != 1) throw UsageError("expected one model file");
  if (!a.has("--tokens")) throw UsageError("missing --tokens 1,2,3");
  if (!a.has("--out")) throw UsageError("missing --out L.bin");
  const std::string mode = a.get("--mode", "step");
  if (mode != "step" && mode != "seq") throw UsageError("--mode must be step or seq");
  const std::string out = a.get("--out");
  if (out.empty()) throw UsageError("--out needs a file name, or - for stdout");
  if (out != "-") planner::refuse_writing_over_input(out, {a.positional[0], a.get("--state")}, "--out");
  ModelSession model(a.positional[0], parse_runtime_choice(a), /*verify_weights=*/true);
  const uint32_t vocab = model.info().vocab_size;
  const std::vector<uint32_t> tokens = parse_token_list(a.get("--tokens"), vocab);
  if (a.has("--state")) std::fprintf(stderr, "initial state: %s\n", load_state_file(model, a.get("--state")).c_str());
  // "-": the rows go to stdout as they come, for a pipe.
  std::unique_ptr<planner::TemporaryFile> file;
  if (out != "-") file = std::make_unique<planner::TemporaryFile>(out, "tmp");
  struct Sink {
    planner::TemporaryFile* file;
    uint32_t vocab;
    bool failed;
  } sink{file.get(), vocab, false};
  auto write_row = [](void* ctx, size_t, const float* logits) {
    auto* k = static_cast<Sink*>(ctx);
    if (k->file != nullptr) k->file->append(logits, k->vocab * sizeof(float));
    else k->failed |= std::fwrite(logits, sizeof(float), k->vocab, stdout) != k->vocab;
  };
  rwkv_edge_status st{};
  if (mode == "seq") {
    st = rwkv_edge_prefill_each(model.get(), tokens.data(), tokens.size(), write_row, &sink);
  } else {
    for (size_t i = 0; i < tokens.size() && st.code == RWKV_EDGE_OK; ++i) {
      const float* logits = nullptr;
      st = rwkv_edge_step(model.get(), tokens[i], &logits);
      if (st.code == RWKV_EDGE_OK) write_row(&sink, i, logits);
    }
  }
  if (st.code != RWKV_EDGE_OK) throw std::runtime_error(st.message);
  if (file) file->commit();
  if (sink.failed || std::fflush(stdout) != 0) throw std::runtime_error("cannot write the logits to stdout");
  std::fprintf(stderr, "wrote %zu x %u float32 logits to %s\n", tokens.size(), vocab,
               out == "-" ? "stdout" : out.c_str());
  return 0;
}

int cmd_predict(int argc, char** argv) {
  const Args a = parse_args(argc, argv, 2, with_runtime_options({"--prompt", "-k", "-n"}), with_runtime_switches({}));
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
