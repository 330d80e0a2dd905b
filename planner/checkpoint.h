// What every importer produces: named float32 tensors in the official
// PyTorch layout and parameterisation (as BlinkDL's .pth files hold them),
// whatever the source format was.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "float16.h"

namespace rwkv_edge::planner {

enum class SourceDType { F32, F16, BF16 };

struct Tensor {
  std::vector<uint64_t> shape;
  std::vector<float> data;
  SourceDType source_dtype = SourceDType::F32;
  // A block-quantized source (rwkv.cpp's ggml Q4_0 ... Q8_0): its bits per
  // value (4, 5 or 8); 0 for a float source. `data` holds it dequantized.
  uint32_t source_block_bits = 0;

  uint64_t numel() const;
  // Shape with all size-1 dimensions removed (torch's squeeze()).
  std::vector<uint64_t> squeezed_shape() const;
};

struct Checkpoint {
  std::string format;  // "pth", "safetensors", "rwkv.cpp bin"
  std::map<std::string, Tensor> tensors;

  bool has(const std::string& name) const { return tensors.count(name) != 0; }
  const Tensor& get(const std::string& name) const;  // throws PlanError naming the key
};

using rwkv_edge::bfloat16_to_float;
using rwkv_edge::float_to_bfloat16_round;
using rwkv_edge::half_to_float;
using rwkv_edge::round_to_bfloat16;

// Converts n elements of the given source type to float32.
void convert_to_f32(const uint8_t* src, SourceDType type, uint64_t n, float* dst);

}  // namespace rwkv_edge::planner
