// tokenize: text -> ids through a model file's vocabulary or a --vocab
// (bytes, world, or a vocabulary file).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "tokenizer_source.h"

namespace rwkv_edge::cli {

int cmd_tokenize(const Args& a) {
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
}  // namespace rwkv_edge::cli
