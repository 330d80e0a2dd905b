// The CLI's --tokens parsing ("1,2,3"): every accepted id is below the limit
// and there is one per item.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "cli_args.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rwkv_edge::cli;
  const std::string text(reinterpret_cast<const char*>(data), size);
  constexpr uint64_t kLimit = 65536;
  try {
    const std::vector<uint32_t> ids = parse_token_list(text, kLimit);
    size_t commas = 0;
    for (const char c : text) commas += c == ',';
    if (ids.size() != commas + 1) std::abort();
    for (const uint32_t id : ids)
      if (id >= kLimit) std::abort();
  } catch (const UsageError&) {
  }
  return 0;
}
