// The runtime's tokenizer on arbitrary bytes, with the World vocabulary when
// it is found (else a built-in one with multi-byte tokens). Properties: all
// bytes consumed, the ids decode back to the input exactly, tokenizing in
// small pieces gives the same ids, and the UTF-8 hold-back never exceeds the
// text.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "plan_error.h"
#include "vocabulary.h"

namespace {
using rwkv_edge::planner::Vocabulary;

Vocabulary built_in_vocabulary() {
  std::string text;
  uint32_t id = 1;
  auto add = [&](const std::string& token) {
    text += std::to_string(id++) + " b'";
    for (const unsigned char c : token) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      text += hex;
    }
    text += "' " + std::to_string(token.size()) + "\n";
  };
  for (int b = 0; b < 256; ++b) add(std::string(1, static_cast<char>(b)));
  for (const char* word : {" the", "th", "he", "the", "in", "ing", " a", "an", "and", "\n\n", "  ", "    ",
                           "\xe4\xbd\xa0", "\xe4\xbd\xa0\xe5\xa5\xbd", "User", ":", "Assistant"})
    add(word);
  return rwkv_edge::planner::parse_vocabulary(text, "built-in", 0);
}

const Vocabulary& vocabulary() {
  static const Vocabulary v = [] {
    if (!rwkv_edge::planner::world_vocabulary_path().empty()) return rwkv_edge::planner::read_world_vocabulary(65536);
    std::fprintf(stderr, "fuzz_tokenizer: World vocabulary not found; using a built-in one\n");
    return built_in_vocabulary();
  }();
  return v;
}

void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const rwkv_edge_tokenizer tok = vocabulary().view();
  std::vector<uint32_t> ids(size + 1);
  size_t n = 0, consumed = 0;
  check(rwkv_edge_tokenize(&tok, data, size, ids.data(), ids.size(), &n, &consumed).code == RWKV_EDGE_OK);
  check(consumed == size && n <= size);
  std::string decoded;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* bytes = nullptr;
    size_t len = 0;
    check(rwkv_edge_token_bytes(&tok, ids[i], &bytes, &len).code == RWKV_EDGE_OK && len > 0);
    decoded.append(reinterpret_cast<const char*>(bytes), len);
  }
  check(decoded.size() == size && std::memcmp(decoded.data(), data, size) == 0);

  // Three ids at a time: the same ids as one call with room.
  std::vector<uint32_t> pieces;
  size_t at = 0;
  while (at < size) {
    uint32_t few[3];
    size_t got = 0, used = 0;
    check(rwkv_edge_tokenize(&tok, data + at, size - at, few, 3, &got, &used).code == RWKV_EDGE_OK);
    check(got > 0 && used > 0);
    pieces.insert(pieces.end(), few, few + got);
    at += used;
  }
  check(pieces.size() == n && std::equal(pieces.begin(), pieces.end(), ids.begin()));
  check(rwkv_edge_utf8_complete_prefix(data, size) <= size);
  return 0;
}
