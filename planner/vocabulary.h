// The vocabulary the planner embeds in a model file (schema Tokenizer), built
// from the 256 bytes of the tiny models or read from a vocabulary file in the
// official World format: one `ID REPR LEN` line per token, REPR a Python str
// or bytes literal (str: its UTF-8 bytes), LEN its byte length.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rwkv_edge.h"

namespace rwkv_edge::planner {

struct Vocabulary {
  std::string kind = "none";  // "none", "bytes", "world", "file"
  std::string source;         // the file's name
  std::vector<uint8_t> token_bytes;
  std::vector<uint32_t> token_offsets;  // vocab + 1
  std::vector<uint32_t> sorted_ids;
  uint32_t max_token_bytes = 0;

  bool empty() const { return token_offsets.empty(); }
  uint32_t size() const { return token_offsets.empty() ? 0 : static_cast<uint32_t>(token_offsets.size() - 1); }
  // A view for the runtime's tokenizer; valid while this object lives unchanged.
  rwkv_edge_tokenizer view() const;
};

// Token i is byte i.
Vocabulary byte_vocabulary();

// Ids a vocabulary file may name when no model gives the vocabulary size.
inline constexpr uint32_t kStandaloneIdLimit = uint32_t{1} << 20;

// Reads a vocabulary file. `vocab_size`: the model's (0: the highest id + 1,
// which must be below kStandaloneIdLimit);
// ids must be below it, and ids the file does not name stay empty (World's
// id 0). Throws PlanError naming the line of anything malformed.
Vocabulary read_vocabulary_file(const std::string& path, uint32_t vocab_size);
// The same from the file's bytes; `path` names it in errors.
Vocabulary parse_vocabulary(const std::string& text, const std::string& path, uint32_t vocab_size);

// The RWKV World vocabulary, built into the planner
// (models/rwkv_vocab_v20230424.txt, Apache-2.0).
inline constexpr const char* kWorldVocabularyName = "rwkv_vocab_v20230424.txt";
std::string_view world_vocabulary_text();
Vocabulary read_world_vocabulary(uint32_t vocab_size);

// Every id of `text` through the runtime's tokenizer. Throws PlanError.
std::vector<uint32_t> tokenize_all(const rwkv_edge_tokenizer& tokenizer, const std::string& text);

// plan --vocab: "bytes", "world", "none", a file, or "" (the default: bytes for a
// 256-token model, the built-in World vocabulary for a 65536-token one, else
// none). *note says what was chosen and why.
Vocabulary choose_vocabulary(const std::string& option, uint32_t model_vocab, std::string* note);

// Decodes one Python str or bytes literal (quotes included) to bytes; false
// with *error set when it is not one.
bool decode_python_literal(const std::string& literal, std::string* bytes, std::string* error);

}  // namespace rwkv_edge::planner
