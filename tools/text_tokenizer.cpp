#include "text_tokenizer.h"

#include <stdexcept>

#include "cli_args.h"

namespace rwkv_edge::cli {

TextTokenizer TextTokenizer::from_model(const void* model, size_t model_bytes) {
  TextTokenizer t;
  const rwkv_edge_status st = rwkv_edge_tokenizer_from_model(model, model_bytes, &t.view_);
  if (st.code != RWKV_EDGE_OK) throw std::runtime_error(st.message);
  return t;
}

TextTokenizer TextTokenizer::from_vocab_option(const std::string& option) {
  TextTokenizer t;
  if (option == "bytes") {
    t.owned_ = planner::byte_vocabulary();
  } else if (option == "none") {
    throw UsageError("--vocab none has no tokens; give --vocab world, --vocab bytes or a vocabulary file");
  } else if (option == "world") {
    t.owned_ = planner::read_world_vocabulary(0);
  } else {
    t.owned_ = planner::read_vocabulary_file(option, 0);
  }
  t.view_ = t.owned_.view();
  const rwkv_edge_status st = rwkv_edge_tokenizer_check(&t.view_);
  if (st.code != RWKV_EDGE_OK) throw std::runtime_error(st.message);
  return t;
}

std::vector<uint32_t> TextTokenizer::encode(const std::string& bytes) const {
  return planner::tokenize_all(view_, bytes);
}

void TextTokenizer::append_token(uint32_t token, std::string* out) const {
  const uint8_t* bytes = nullptr;
  size_t n = 0;
  const rwkv_edge_status st = rwkv_edge_token_bytes(&view_, token, &bytes, &n);
  if (st.code != RWKV_EDGE_OK) throw std::runtime_error(st.message);
  out->append(reinterpret_cast<const char*>(bytes), n);
}

std::string TextTokenizer::decode(const std::vector<uint32_t>& tokens) const {
  std::string out;
  for (uint32_t t : tokens) append_token(t, &out);
  return out;
}

}  // namespace rwkv_edge::cli
