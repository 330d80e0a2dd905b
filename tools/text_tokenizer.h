// The CLI's tokenizer: the vocabulary inside a model file, or one given with
// --vocab (bytes, world, or a vocabulary file) for commands without a model.
// Encoding and decoding are the runtime's own (rwkv_edge_tokenize).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rwkv_edge.h"
#include "vocabulary.h"

namespace rwkv_edge::cli {

class TextTokenizer {
 public:
  // From a model file's bytes (kept alive by the caller). Throws std::runtime_error.
  static TextTokenizer from_model(const void* model, size_t model_bytes);
  // --vocab bytes|world|FILE. Throws.
  static TextTokenizer from_vocab_option(const std::string& option);

  std::vector<uint32_t> encode(const std::string& bytes) const;
  std::string decode(const std::vector<uint32_t>& tokens) const;  // throws on an id out of range
  void append_token(uint32_t token, std::string* out) const;
  const rwkv_edge_tokenizer& view() const { return view_; }

 TextTokenizer(TextTokenizer&&) = default;  // the view survives: a moved vector keeps its buffer
  TextTokenizer(const TextTokenizer&) = delete;
  TextTokenizer& operator=(const TextTokenizer&) = delete;

 private:
  TextTokenizer() = default;
  planner::Vocabulary owned_;  // empty when viewing a model file
  rwkv_edge_tokenizer view_{};
};

}  // namespace rwkv_edge::cli
