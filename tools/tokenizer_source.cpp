#include "tokenizer_source.h"

namespace rwkv_edge::cli {

void open_tokenizer(const Args& a, TokenizerSource* src) {
  if (a.positional.size() > 1) throw UsageError("expected at most one model file");
  if (!a.positional.empty() && a.has("--vocab"))
    throw UsageError("give a model file or --vocab, not both (the model file carries its own vocabulary)");
  if (a.positional.empty() && !a.has("--vocab")) throw UsageError("give a model file or --vocab world|bytes|FILE");
  if (a.has("--vocab")) {
    src->tokenizer.emplace(TextTokenizer::from_vocab_option(a.get("--vocab")));
    return;
  }
  src->model.emplace(a.positional[0]);
  src->tokenizer.emplace(TextTokenizer::from_model(src->model->data(), src->model->size()));
}

std::string read_input(const Args& a, const char* inline_flag) {
  if (a.has(inline_flag) == a.has("--file"))
    throw UsageError(std::string("give exactly one of ") + inline_flag + " and --file");
  if (a.has(inline_flag)) return a.get(inline_flag);
  const planner::MappedFile f(a.get("--file"));
  return std::string(reinterpret_cast<const char*>(f.data()), f.size());
}

}  // namespace rwkv_edge::cli
