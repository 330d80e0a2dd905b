// The runtime's tokenizer on arbitrary bytes, with the built-in World vocabulary. Properties: all
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

const Vocabulary& vocabulary() {
  static const Vocabulary v = rwkv_edge::planner::read_world_vocabulary(65536);
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
