// Vocabulary files (plan --vocab FILE, tokenize --vocab FILE): one
// `ID REPR LEN` line per token, REPR a Python str or bytes literal. What is
// accepted must pass the runtime's own tokenizer check.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "plan_error.h"
#include "vocabulary.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rwkv_edge::planner;
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (const uint32_t vocab_size : {0u, 300u}) {
    try {
      const Vocabulary v = parse_vocabulary(text, "fuzz.txt", vocab_size);
      const rwkv_edge_tokenizer view = v.view();
      if (rwkv_edge_tokenizer_check(&view).code != RWKV_EDGE_OK) std::abort();
    } catch (const PlanError&) {
    }
  }
  return 0;
}
