// tokenize / detokenize: text <-> ids through a model file's vocabulary or a
// --vocab (bytes, world, or a vocabulary file). Bytes pass through unchanged:
// any input, valid UTF-8 or not, detokenizes back to itself.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>

#include "cli_args.h"
#include "commands.h"
#include "mapped_file.h"
#include "text_tokenizer.h"

namespace rwkv_edge::cli {
namespace {

struct TokenizerSource {
  std::optional<planner::MappedFile> model;
  std::optional<TextTokenizer> tokenizer;
};

// The model file (positional) or --vocab, exactly one of them.
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

}  // namespace

int cmd_tokenize(int argc, char** argv) {
  const Args a = parse_args(argc, argv, 2, {"--vocab", "--text", "--file"}, {"--json"});
  TokenizerSource src;
  open_tokenizer(a, &src);
  const std::vector<uint32_t> ids = src.tokenizer->encode(read_input(a, "--text"));
  if (a.has("--json")) {
    std::printf("%s\n", nlohmann::json(ids).dump().c_str());
    return 0;
  }
  std::string line;
  for (uint32_t id : ids) line += (line.empty() ? "" : ",") + std::to_string(id);
  std::printf("%s\n", line.c_str());
  return 0;
}

int cmd_detokenize(int argc, char** argv) {
  const Args a = parse_args(argc, argv, 2, {"--vocab", "--tokens", "--file"}, {});
  TokenizerSource src;
  open_tokenizer(a, &src);
  std::string list = read_input(a, "--tokens");
  // Accept what tokenize prints: "1,2,3" or a JSON array, with spaces or a newline.
  std::string compact;
  for (char c : list)
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t' && c != '[' && c != ']') compact += c;
  const std::vector<uint32_t> ids =
      compact.empty() ? std::vector<uint32_t>{} : parse_token_list(compact, src.tokenizer->view().vocab_size);
  const std::string bytes = src.tokenizer->decode(ids);
  if (std::fwrite(bytes.data(), 1, bytes.size(), stdout) != bytes.size()) throw std::runtime_error("write to stdout failed");
  return 0;
}

}  // namespace rwkv_edge::cli
