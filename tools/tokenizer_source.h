// Where tokenize and detokenize get their vocabulary and their input: a model
// file or --vocab (exactly one), and --text/--tokens or --file (exactly one).
#pragma once

#include <optional>
#include <string>

#include "cli_args.h"
#include "mapped_file.h"
#include "text_tokenizer.h"

namespace rwkv_edge::cli {

struct TokenizerSource {
  std::optional<planner::MappedFile> model;
  std::optional<TextTokenizer> tokenizer;
};

// The model file (positional) or --vocab, exactly one of them.
void open_tokenizer(const Args& a, TokenizerSource* src);

// The value of `inline_flag`, or the bytes of --file; exactly one of them.
std::string read_input(const Args& a, const char* inline_flag);

}  // namespace rwkv_edge::cli
