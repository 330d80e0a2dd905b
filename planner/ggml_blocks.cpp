#include "ggml_blocks.h"

#include <cstring>

#include "float16.h"

namespace rwkv_edge::planner {
namespace {

// Values 0..15 (or 0..31 with the fifth bit from qh): low nibbles are the
// block's first 16 values, high nibbles its last 16.
void unpack_levels(const uint8_t* qs, const uint8_t* qh, int* levels) {
  uint32_t high = 0;
  if (qh != nullptr) std::memcpy(&high, qh, 4);
  for (int j = 0; j < 16; ++j) {
    levels[j] = qs[j] & 0x0F;
    levels[j + 16] = qs[j] >> 4;
    if (qh != nullptr) {
      levels[j] |= static_cast<int>((high >> j) & 1) << 4;
      levels[j + 16] |= static_cast<int>((high >> (j + 16)) & 1) << 4;
    }
  }
}

}  // namespace

std::optional<GgmlBlockType> ggml_block_type(int32_t type) {
  switch (type) {
    case 2: return GgmlBlockType{"Q4_0", 18, 4};
    case 3: return GgmlBlockType{"Q4_1", 20, 4};
    case 7: return GgmlBlockType{"Q5_0", 22, 5};
    case 8: return GgmlBlockType{"Q5_1", 24, 5};
    case 9: return GgmlBlockType{"Q8_0", 34, 8};
    default: return std::nullopt;
  }
}

void dequantize_ggml_blocks(int32_t type, const uint8_t* src, uint64_t n_blocks, float* dst) {
  const uint32_t block_bytes = ggml_block_type(type)->block_bytes;
  int levels[kGgmlBlockValues];
  for (uint64_t b = 0; b < n_blocks; ++b, src += block_bytes, dst += kGgmlBlockValues) {
    const float d = load_half(src);
    float m = 0.0f;
    int offset = 0;
    switch (type) {
      case 2: unpack_levels(src + 2, nullptr, levels); offset = 8; break;          // Q4_0: (q - 8) d
      case 3: m = load_half(src + 2); unpack_levels(src + 4, nullptr, levels); break;  // Q4_1: q d + m
      case 7: unpack_levels(src + 6, src + 2, levels); offset = 16; break;        // Q5_0: (q - 16) d
      case 8: m = load_half(src + 2); unpack_levels(src + 8, src + 4, levels); break;  // Q5_1: q d + m
      case 9:                                                                      // Q8_0: q d
        for (uint32_t j = 0; j < kGgmlBlockValues; ++j) levels[j] = static_cast<int8_t>(src[2 + j]);
        break;
    }
    for (uint32_t j = 0; j < kGgmlBlockValues; ++j) dst[j] = static_cast<float>(levels[j] - offset) * d + m;
  }
}

}  // namespace rwkv_edge::planner
