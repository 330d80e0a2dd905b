// The model-file verifier and init, then what a verified file must survive:
// steps, a chunked prefill, state export/import and its tokenizer. Weights
// are not CRC-checked, so mutated weight bytes reach the kernels too.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "rwkv_edge.h"

namespace {
// Bigger arenas are skipped: the fuzzer's memory limit, not the runtime's.
constexpr size_t kMaxArena = size_t{64} << 20;

void check(bool ok) {
  if (!ok) std::abort();
}

void exercise(rwkv_edge_session* s, const void* model, size_t model_bytes) {
  rwkv_edge_info info;
  rwkv_edge_get_info(s, &info);
  const float* logits = nullptr;
  check(rwkv_edge_step(s, 0, &logits).code == RWKV_EDGE_OK);
  check(rwkv_edge_step(s, info.vocab_size - 1, &logits).code == RWKV_EDGE_OK);
  check(rwkv_edge_step(s, info.vocab_size, &logits).code == RWKV_EDGE_TOKEN_OUT_OF_RANGE);
  uint32_t tokens[9];
  for (uint32_t i = 0; i < 9; ++i) tokens[i] = (i * 7919u) % info.vocab_size;
  check(rwkv_edge_prefill(s, tokens, 9, &logits).code == RWKV_EDGE_OK);

  std::vector<uint8_t> state(rwkv_edge_state_file_bytes(s));
  check(rwkv_edge_state_export(s, state.data(), state.size()).code == RWKV_EDGE_OK);
  check(rwkv_edge_state_import(s, state.data(), state.size()).code == RWKV_EDGE_OK);

  rwkv_edge_tokenizer tok;
  if (rwkv_edge_tokenizer_from_model(model, model_bytes, &tok).code == RWKV_EDGE_OK) {
    static const char kText[] = "Hello, world! \xe4\xbd\xa0\xe5\xa5\xbd\n\n";
    uint32_t ids[sizeof kText];
    size_t n = 0, consumed = 0;
    check(rwkv_edge_tokenize(&tok, kText, sizeof kText - 1, ids, sizeof kText, &n, &consumed).code ==
          RWKV_EDGE_OK);
    for (size_t i = 0; i < n; ++i) check(ids[i] < tok.vocab_size);
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::vector<uint64_t> model((size + 7) / 8);  // models are read from 8-byte aligned memory
  std::memcpy(model.data(), data, size);
  size_t need = 0;
  if (rwkv_edge_arena_size_required(model.data(), size, &need).code != RWKV_EDGE_OK || need > kMaxArena) return 0;
  void* arena = std::aligned_alloc(RWKV_EDGE_ARENA_ALIGNMENT, (need + 63) / 64 * 64);
  rwkv_edge_options options;
  rwkv_edge_default_options(&options);
  rwkv_edge_session* s = nullptr;
  if (rwkv_edge_init(model.data(), size, arena, need, &options, &s).code == RWKV_EDGE_OK) exercise(s, model.data(), size);
  rwkv_edge_release(s);
  std::free(arena);
  return 0;
}
