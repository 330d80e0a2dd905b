// logits: the model's float32 logits after each token of a list, to a file
// or stdout (what the conformance checks compare with the official package).
#include <cstdio>
#include <memory>
#include <stdexcept>

#include "cli_args.h"
#include "commands.h"
#include "model_session.h"
#include "output_file.h"
#include "state_file_io.h"

namespace rwkv_edge::cli {

int cmd_logits(const Args& a) {
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
}  // namespace rwkv_edge::cli
