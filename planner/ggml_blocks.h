// ggml's block-quantized tensor formats as rwkv.cpp files (format version
// 101) store them: blocks of 32 values along the row, with fp16 scale (and
// minimum). The planner dequantizes them to float32 and requantizes to the
// plan's own formats.
#pragma once

#include <cstdint>
#include <optional>

namespace rwkv_edge::planner {

struct GgmlBlockType {
  const char* name;
  uint32_t block_bytes;  // per 32 values
  uint32_t bits;         // per value, before the block's scale (4, 5 or 8)
};

inline constexpr uint32_t kGgmlBlockValues = 32;

// rwkv.cpp's type codes 2 (Q4_0), 3 (Q4_1), 7 (Q5_0), 8 (Q5_1), 9 (Q8_0); nullopt otherwise.
std::optional<GgmlBlockType> ggml_block_type(int32_t type);

// Dequantizes n_blocks blocks of `type` from src into dst (32 * n_blocks floats).
void dequantize_ggml_blocks(int32_t type, const uint8_t* src, uint64_t n_blocks, float* dst);

}  // namespace rwkv_edge::planner
