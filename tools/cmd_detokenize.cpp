// detokenize: ids -> bytes through a model file's vocabulary or a --vocab.
// Bytes pass through unchanged: any input, valid UTF-8 or not, that tokenize
// read detokenizes back to itself.
#include <cstdio>
#include <stdexcept>

#include "commands.h"
#include "tokenizer_source.h"

namespace rwkv_edge::cli {

int cmd_detokenize(const Args& a) {
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
