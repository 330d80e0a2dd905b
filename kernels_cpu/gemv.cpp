#include "gemv.h"

#include <cmath>
#include <cstring>
#include <limits>

namespace rwkv_edge::gemv {
namespace {

uint64_t align64(uint64_t n) { return (n + 63) & ~uint64_t{63}; }

bool quantizes_input(cpu::KernelPath path, const ref::WeightMatrix& m) {
  return path == cpu::KernelPath::Avx2 && m.format == quant::Format::I4 && m.cols >= m.group;
}

}  // namespace

QuantizedInputLayout quantized_input_layout(uint64_t cols, uint32_t group) {
  QuantizedInputLayout l;
  if (!quant::valid_i4_group(group)) return l;
  const uint64_t groups = (cols + group - 1) / group;
  l.chunks = cols / group * (group / 32);
  // Padding: values to whole pairs of chunks, scales to a superblock's 32
  // chunks, sums to 8 groups, so the kernels load whole vectors.
  l.scale_offset = align64((l.chunks + 1) / 2 * 64);
  l.sum_offset = l.scale_offset + align64((l.chunks + 31) / 32 * 32 * 4);
  l.bytes = l.sum_offset + align64((groups + 7) / 8 * 8 * 4);
  return l;
}

uint64_t input_scratch_bytes(quant::Format format, uint64_t cols, uint32_t group) {
  return format == quant::Format::I4 ? quantized_input_layout(cols, group).bytes : 0;
}

void quantize_input_ref(const float* x, uint64_t cols, uint32_t group, uint8_t* scratch) {
  const QuantizedInputLayout l = quantized_input_layout(cols, group);
  std::memset(scratch, 0, l.bytes);
  auto* q = reinterpret_cast<int8_t*>(scratch);
  auto* scale = reinterpret_cast<float*>(scratch + l.scale_offset);
  auto* sum = reinterpret_cast<float*>(scratch + l.sum_offset);
  for (uint64_t k = 0; k < l.chunks; ++k) {
    const float* v = x + 32 * k;
    float amax = 0.0f;
    bool finite = true;
    for (int i = 0; i < 32; ++i) {
      amax = std::fmax(amax, std::fabs(v[i]));
      finite = finite && std::isfinite(v[i]);
    }
    // A NaN or Inf has no int8 level (converting it would be undefined); the
    // chunk's levels stay 0 and its scale NaN, so the products are NaN as in
    // float arithmetic.
    const float d = finite ? amax / 127.0f : std::numeric_limits<float>::quiet_NaN();
    const float inverse = finite && d > 0.0f ? 1.0f / d : 0.0f;
    scale[k] = d;
    if (!finite) continue;
    // Pair k/2 is 64 bytes: even values of chunk 2p, of 2p+1, odd of 2p, of 2p+1.
    int8_t* pair = q + k / 2 * 64 + (k & 1) * 16;
    // A subnormal amax makes the inverse Inf and 0 * Inf NaN: levels are
    // clamped, NaN to 0, so every conversion is defined.
    for (int i = 0; i < 32; ++i) {
      const float r = std::nearbyint(v[i] * inverse);
      pair[(i & 1) * 32 + i / 2] = static_cast<int8_t>(r >= 127.0f ? 127.0f : r <= -127.0f ? -127.0f : r == r ? r : 0.0f);
    }
  }
  input_group_sums(x, cols, group, sum);
}

void input_group_sums(const float* x, uint64_t cols, uint32_t group, float* sum) {
  for (uint64_t g = 0; g < cols / group; ++g) {
    float s = 0.0f;
    for (uint64_t i = 0; i < group; ++i) s += x[g * group + i];
    sum[g] = s;
  }
}

Input prepare_input(cpu::KernelPath path, const ref::WeightMatrix& m, const float* x, uint8_t* scratch) {
  Input in;
  in.x = x;
  if (quantizes_input(path, m) && scratch != nullptr) {
    avx2::quantize_input(x, m.cols, m.group, scratch);
    in.quantized = scratch;
  }
  return in;
}

void matvec_rows(cpu::KernelPath path, const ref::WeightMatrix& m, const Input& x, float* y, uint64_t row_begin,
                 uint64_t row_end) {
  bool done = false;
  switch (path) {
    case cpu::KernelPath::Avx2: done = avx2::matvec_rows(m, x, y, row_begin, row_end); break;
    case cpu::KernelPath::Neon: done = neon::matvec_rows(m, x.x, y, row_begin, row_end); break;
    case cpu::KernelPath::Auto:
    case cpu::KernelPath::Scalar: break;
  }
  if (!done) ref::matvec_weights_rows(m, x.x, y, row_begin, row_end);
}

}  // namespace rwkv_edge::gemv
