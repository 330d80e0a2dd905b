// The RWKV World tokenizer without a trie: the vocabulary's distinct tokens
// sorted by their bytes (planned offline, sorted_ids) are narrowed one input
// byte at a time by binary search; the range's first entry is the token equal
// to the bytes read so far, when there is one. That is greedy longest match,
// as the official TRIE_TOKENIZER does, in O(token length x log vocab) per
// token and with no memory beyond the model's own arrays.
#include <cstring>

#include "tokenizer.h"

#include "model_verifier.h"

namespace rwkv_edge {
namespace {

uint32_t token_length(const rwkv_edge_tokenizer& t, uint32_t id) {
  return t.token_offsets[id + 1] - t.token_offsets[id];
}

// Byte `depth` of token `id`; tokens in a search range are longer than depth.
uint8_t token_byte(const rwkv_edge_tokenizer& t, uint32_t id, uint32_t depth) {
  return t.token_bytes[t.token_offsets[id] + depth];
}

// Byte-wise order, a prefix before its extensions; 0 when equal.
int compare_tokens(const rwkv_edge_tokenizer& t, uint32_t a, uint32_t b) {
  const uint32_t la = token_length(t, a), lb = token_length(t, b);
  const int c = std::memcmp(t.token_bytes + t.token_offsets[a], t.token_bytes + t.token_offsets[b], la < lb ? la : lb);
  if (c != 0) return c;
  return la < lb ? -1 : la > lb ? 1 : 0;
}

// The longest token that text[0, n) starts with: its length (0: none) and id.
uint32_t longest_match(const rwkv_edge_tokenizer& t, const uint8_t* text, size_t n, uint32_t* id) {
  uint32_t lo = 0, hi = t.n_sorted, best = 0;
  const size_t limit = n < t.max_token_bytes ? n : t.max_token_bytes;
  for (uint32_t depth = 0; depth < limit && lo < hi; ++depth) {
    // [lo, hi) holds the tokens that start with text[0, depth); the one that
    // is exactly that (already recorded) sorts first and is passed over.
    if (token_length(t, t.sorted_ids[lo]) == depth) ++lo;
    const uint8_t c = text[depth];
    uint32_t a = lo, b = hi;
    while (a < b) {  // first entry whose byte `depth` is >= c
      const uint32_t mid = a + (b - a) / 2;
      if (token_byte(t, t.sorted_ids[mid], depth) < c) a = mid + 1; else b = mid;
    }
    lo = a;
    b = hi;
    while (a < b) {  // first entry whose byte `depth` is > c
      const uint32_t mid = a + (b - a) / 2;
      if (token_byte(t, t.sorted_ids[mid], depth) <= c) a = mid + 1; else b = mid;
    }
    hi = a;
    if (lo < hi && token_length(t, t.sorted_ids[lo]) == depth + 1) {
      best = depth + 1;
      *id = t.sorted_ids[lo];
    }
  }
  return best;
}

Status bad_tokenizer(const char* what, unsigned long long at) {
  return make_status(RWKV_EDGE_BAD_MODEL, "vocabulary: %s (entry %llu)", what, at);
}

Status check_tokenizer(const rwkv_edge_tokenizer& t) {
  if (t.vocab_size == 0 || t.token_offsets == nullptr || t.sorted_ids == nullptr ||
      (t.token_bytes == nullptr && t.token_bytes_size != 0))
    return make_status(RWKV_EDGE_BAD_MODEL, "vocabulary: empty or missing arrays");
  if (t.token_offsets[0] != 0) return bad_tokenizer("offsets do not start at 0", 0);
  uint32_t longest = 0;
  for (uint32_t i = 0; i < t.vocab_size; ++i) {
    if (t.token_offsets[i + 1] < t.token_offsets[i]) return bad_tokenizer("offsets decrease", i + 1);
    const uint32_t length = t.token_offsets[i + 1] - t.token_offsets[i];
    if (length > longest) longest = length;
  }
  if (t.token_offsets[t.vocab_size] != t.token_bytes_size)
    return bad_tokenizer("offsets do not end at the byte count", t.vocab_size);
  if (longest != t.max_token_bytes) return make_status(RWKV_EDGE_BAD_MODEL, "vocabulary: wrong longest-token length");
  if (t.n_sorted > t.vocab_size) return bad_tokenizer("more sorted ids than tokens", t.n_sorted);
  for (uint32_t k = 0; k < t.n_sorted; ++k) {
    const uint32_t id = t.sorted_ids[k];
    if (id >= t.vocab_size) return bad_tokenizer("sorted id out of range", k);
    if (token_length(t, id) == 0) return bad_tokenizer("sorted id names an empty token", k);
    if (k > 0 && compare_tokens(t, t.sorted_ids[k - 1], id) >= 0)
      return bad_tokenizer("sorted ids are not in strictly increasing byte order", k);
  }
  return ok_status();
}

}  // namespace

Status bind_tokenizer(const fb::Model& model, rwkv_edge_tokenizer* out) {
  *out = rwkv_edge_tokenizer{};
  const fb::Tokenizer* fbt = model.tokenizer();
  if (fbt == nullptr || fbt->token_offsets() == nullptr || fbt->sorted_ids() == nullptr)
    return make_status(RWKV_EDGE_UNSUPPORTED, "the model file carries no vocabulary (plan it with --vocab)");
  const uint32_t vocab = model.metadata()->vocab_size();
  if (fbt->token_offsets()->size() != static_cast<uint64_t>(vocab) + 1)
    return make_status(RWKV_EDGE_BAD_MODEL, "vocabulary has %u offsets for a vocabulary of %u tokens",
                       fbt->token_offsets()->size(), vocab);
  rwkv_edge_tokenizer t{};
  t.vocab_size = vocab;
  t.max_token_bytes = fbt->max_token_bytes();
  t.n_sorted = fbt->sorted_ids()->size();
  t.token_bytes = fbt->token_bytes() != nullptr ? fbt->token_bytes()->data() : nullptr;
  t.token_bytes_size = fbt->token_bytes() != nullptr ? fbt->token_bytes()->size() : 0;
  t.token_offsets = fbt->token_offsets()->data();
  t.sorted_ids = fbt->sorted_ids()->data();
  RWKV_EDGE_RETURN_IF_ERROR(check_tokenizer(t));
  *out = t;
  return ok_status();
}

}  // namespace rwkv_edge

using namespace rwkv_edge;

extern "C" {

rwkv_edge_status rwkv_edge_tokenizer_check(const rwkv_edge_tokenizer* tokenizer) {
  if (tokenizer == nullptr) return make_status(RWKV_EDGE_INVALID_ARGUMENT, "tokenizer is null");
  return check_tokenizer(*tokenizer);
}

rwkv_edge_status rwkv_edge_tokenizer_from_model(const void* model, size_t model_bytes,
                                                rwkv_edge_tokenizer* tokenizer) {
  if (model == nullptr || tokenizer == nullptr) return make_status(RWKV_EDGE_INVALID_ARGUMENT, "null argument");
  *tokenizer = rwkv_edge_tokenizer{};
  VerifiedModel vm;
  RWKV_EDGE_RETURN_IF_ERROR(verify_model(static_cast<const uint8_t*>(model), model_bytes, false, &vm));
  return bind_tokenizer(*vm.model, tokenizer);
}

rwkv_edge_status rwkv_edge_tokenize(const rwkv_edge_tokenizer* tokenizer, const void* text, size_t text_bytes,
                                    uint32_t* tokens, size_t capacity, size_t* n_tokens, size_t* text_consumed) {
  if (tokenizer == nullptr || n_tokens == nullptr || text_consumed == nullptr ||
      (text == nullptr && text_bytes != 0) || (tokens == nullptr && capacity != 0))
    return make_status(RWKV_EDGE_INVALID_ARGUMENT, "null argument");
  const auto* in = static_cast<const uint8_t*>(text);
  size_t pos = 0, count = 0;
  while (pos < text_bytes && count < capacity) {
    uint32_t id = 0;
    const uint32_t length = longest_match(*tokenizer, in + pos, text_bytes - pos, &id);
    if (length == 0) {
      *n_tokens = count;
      *text_consumed = pos;
      return make_status(RWKV_EDGE_INVALID_ARGUMENT, "byte 0x%02x at offset %zu has no token in this vocabulary",
                         in[pos], pos);
    }
    tokens[count++] = id;
    pos += length;
  }
  *n_tokens = count;
  *text_consumed = pos;
  return ok_status();
}

rwkv_edge_status rwkv_edge_token_bytes(const rwkv_edge_tokenizer* tokenizer, uint32_t token, const uint8_t** bytes,
                                       size_t* n_bytes) {
  if (tokenizer == nullptr || bytes == nullptr || n_bytes == nullptr)
    return make_status(RWKV_EDGE_INVALID_ARGUMENT, "null argument");
  if (token >= tokenizer->vocab_size)
    return make_status(RWKV_EDGE_TOKEN_OUT_OF_RANGE, "token %u is outside the vocabulary (size %u)", token,
                       tokenizer->vocab_size);
  *bytes = tokenizer->token_bytes + tokenizer->token_offsets[token];
  *n_bytes = token_length(*tokenizer, token);
  return ok_status();
}

size_t rwkv_edge_utf8_complete_prefix(const void* text, size_t text_bytes) {
  const auto* s = static_cast<const uint8_t*>(text);
  // Find the last lead byte within the final 4 bytes.
  size_t start = text_bytes;
  for (size_t back = 1; back <= 4 && back <= text_bytes; ++back) {
    const uint8_t c = s[text_bytes - back];
    if ((c & 0xC0) != 0x80) {
      start = text_bytes - back;
      break;
    }
  }
  if (start == text_bytes) return text_bytes;  // no lead byte: continuation bytes alone are invalid
  const uint8_t lead = s[start];
  const size_t need = lead >= 0xC2 && lead <= 0xDF ? 2 : lead >= 0xE0 && lead <= 0xEF ? 3 : lead >= 0xF0 && lead <= 0xF4 ? 4 : 1;
  const size_t have = text_bytes - start;
  if (need == 1 || have >= need) return text_bytes;  // ASCII, invalid lead, or complete
  if (have >= 2) {  // the second byte's narrower ranges (no overlongs, surrogates, > U+10FFFF)
    const uint8_t c1 = s[start + 1];
    const bool ok = lead == 0xE0 ? c1 >= 0xA0 : lead == 0xED ? c1 <= 0x9F : lead == 0xF0 ? c1 >= 0x90
                  : lead == 0xF4 ? c1 <= 0x8F : true;
    if (!ok) return text_bytes;
  }
  return start;
}

}  // extern "C"
