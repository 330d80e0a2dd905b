#include "checkpoint.h"

#include <cstring>

#include "plan_error.h"

namespace rwkv_edge::planner {

uint64_t Tensor::numel() const {
  uint64_t n = 1;
  for (uint64_t d : shape) n *= d;
  return n;
}

std::vector<uint64_t> Tensor::squeezed_shape() const {
  std::vector<uint64_t> out;
  for (uint64_t d : shape)
    if (d != 1) out.push_back(d);
  return out;
}

const Tensor& Checkpoint::get(const std::string& name) const {
  auto it = tensors.find(name);
  if (it == tensors.end()) throw PlanError("checkpoint lacks tensor '" + name + "'");
  return it->second;
}

void convert_to_f32(const uint8_t* src, SourceDType type, uint64_t n, float* dst) {
  switch (type) {
    case SourceDType::F32: std::memcpy(dst, src, n * 4); return;
    case SourceDType::F16:
      for (uint64_t i = 0; i < n; ++i) dst[i] = load_half(src + 2 * i);
      return;
    case SourceDType::BF16:
      for (uint64_t i = 0; i < n; ++i) dst[i] = load_bfloat16(src + 2 * i);
      return;
  }
}

}  // namespace rwkv_edge::planner
