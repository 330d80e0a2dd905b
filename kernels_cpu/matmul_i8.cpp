#include "matmul_i8.h"

#include <cmath>
#include <cstring>

namespace rwkv_edge::ref {

void quantize_inputs(const float* x, uint64_t tokens, uint64_t cols, uint8_t* values, float* scales) {
  const uint64_t stride = matmul::quantized_input_stride(cols);
  for (uint64_t t = 0; t < tokens; ++t) {
    const float* row = x + t * cols;
    float amax = 0.0f;
    bool finite = true;
    for (uint64_t k = 0; k < cols; ++k) {
      const float a = std::fabs(row[k]);
      finite = finite && a <= __FLT_MAX__;
      if (a > amax) amax = a;
    }
    const matmul::InputScale s = matmul::input_scale(amax, finite);
    uint8_t* out = values + t * stride;
    for (uint64_t k = 0; k < cols; ++k)
      out[k] = s.inv != 0.0f ? matmul::quantized_input(row[k], s.inv) : uint8_t{matmul::kI8InputOffset};
    std::memset(out + cols, 0, stride - cols);
    scales[t] = s.d;
  }
}

void matmul_i8_rows(const WeightMatrix& m, const matmul::QuantizedInputs& x, float* y, uint64_t row_begin,
                    uint64_t row_end) {
  const quant::MatrixLayout l = quant::matrix_layout(m.format, m.rows, m.cols, m.group);
  const uint8_t* params = m.data + l.params_offset;
  for (uint64_t r = row_begin; r < row_end; ++r) {
    const auto* w = reinterpret_cast<const int8_t*>(m.data + r * l.row_bytes);
    const float s = i8_row_scale(params, r);
    for (uint64_t t = 0; t < x.tokens; ++t) {
      const int32_t sum = matmul::input_dot(x.values + t * x.stride, w, 0, m.cols);
      y[t * m.rows + r] = static_cast<float>(sum) * (s * x.scales[t]);
    }
  }
}

}  // namespace rwkv_edge::ref

namespace rwkv_edge::matmul {

QuantizedInputs quantize_inputs(cpu::KernelPath path, const float* x, uint64_t tokens, uint64_t cols, void* scratch) {
  auto* values = static_cast<uint8_t*>(scratch);
  auto* scales = reinterpret_cast<float*>(values + tokens * quantized_input_stride(cols));
  if (!(path == cpu::KernelPath::Avx2 && avx2::quantize_inputs(x, tokens, cols, values, scales)))
    ref::quantize_inputs(x, tokens, cols, values, scales);
  return {values, scales, tokens, cols, quantized_input_stride(cols)};
}

bool has_integer_kernel(cpu::KernelPath path) {
#if defined(__x86_64__)
  return path == cpu::KernelPath::Avx2;
#elif defined(__aarch64__)
  return path == cpu::KernelPath::Neon && cpu::features().neon_dotprod;
#else
  (void)path;
  return false;
#endif
}

void matmul_i8_rows(cpu::KernelPath path, const ref::WeightMatrix& m, const QuantizedInputs& x, float* y,
                    uint64_t row_begin, uint64_t row_end) {
  if (row_begin >= row_end || x.tokens == 0) return;
  if (path == cpu::KernelPath::Avx2 && avx2::matmul_i8_rows(m, x, y, row_begin, row_end)) return;
  if (path == cpu::KernelPath::Neon && neon::matmul_i8_rows(m, x, y, row_begin, row_end)) return;
  ref::matmul_i8_rows(m, x, y, row_begin, row_end);
}

}  // namespace rwkv_edge::matmul
