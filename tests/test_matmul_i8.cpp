// Prefill's integer products (matmul_i8.h): the SIMD quantizer and kernels
// (AVX2; NEON with SDOT) bit for bit against the scalar definitions, on
// shapes around their tiles and on the inputs that need care (zeros,
// subnormals, NaN, infinities, ties, extreme weights); and the definition
// itself against float arithmetic, within what rounding the inputs can cost.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "matmul_i8.h"
#include "quantize_matrix.h"
#include "test_support.h"
#include "thread_pool.h"

namespace rwkv_edge {
namespace {

using quant::Format;

struct Quantized {
  std::vector<uint8_t> bytes;
  matmul::QuantizedInputs view;
};

Quantized quantize(cpu::KernelPath path, const std::vector<float>& x, uint64_t tokens, uint64_t cols) {
  Quantized q;
  q.bytes.assign(matmul::quantized_input_bytes(tokens, cols) + 4, 0xEE);  // 4 sentinel bytes
  std::vector<float> copy = x;  // the quantizer must not write its input
  q.view = matmul::quantize_inputs(path, copy.data(), tokens, cols, q.bytes.data());
  CHECK(std::memcmp(copy.data(), x.data(), x.size() * sizeof(float)) == 0);
  for (uint64_t i = q.bytes.size() - 4; i < q.bytes.size(); ++i) CHECK(q.bytes[i] == 0xEE);
  return q;
}

// The path whose integer kernel this CPU runs; Scalar (with a note) when none.
cpu::KernelPath simd_path() {
  for (cpu::KernelPath p : {cpu::KernelPath::Avx2, cpu::KernelPath::Neon})
    if (cpu::supports(p, cpu::features()) && matmul::has_integer_kernel(p)) return p;
  MESSAGE("skipped the SIMD side: this CPU has neither AVX2 nor SDOT (the scalar definition is still tested)");
  return cpu::KernelPath::Scalar;
}

// Rows of inputs that need care, each `cols` wide.
std::vector<float> awkward_rows(uint64_t cols, uint64_t* tokens) {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  std::vector<float> x = test::random_normal(6 * cols, static_cast<uint32_t>(cols), 3.0f);
  float* zero = x.data();
  for (uint64_t k = 0; k < cols; ++k) zero[k] = 0.0f;
  float* subnormal = x.data() + cols;
  for (uint64_t k = 0; k < cols; ++k) subnormal[k] = (k % 3 == 0 ? -1.0f : 1.0f) * 1e-39f;
  x[2 * cols + cols / 2] = nan;
  x[3 * cols + cols - 1] = -inf;
  float* ties = x.data() + 4 * cols;  // max 63: every integer + 0.5 is a tie
  for (uint64_t k = 0; k < cols; ++k) ties[k] = k == 0 ? 63.0f : static_cast<float>(static_cast<int>(k % 126) - 63) + 0.5f;
  float* huge = x.data() + 5 * cols;
  huge[0] = -std::numeric_limits<float>::max();
  *tokens = 6;
  return x;
}

}  // namespace

TEST_CASE("SIMD input quantization writes the definition's bytes and scales") {
  const cpu::KernelPath simd = simd_path();
  if (simd == cpu::KernelPath::Scalar) return;
  for (uint64_t cols : {1, 7, 31, 32, 33, 64, 100, 768}) {
    CAPTURE(cols);
    for (int awkward = 0; awkward < 2; ++awkward) {
      uint64_t tokens = 5;
      const std::vector<float> x = awkward ? awkward_rows(cols, &tokens)
                                           : test::random_normal(tokens * cols, static_cast<uint32_t>(cols + 1), 2.0f);
      const Quantized a = quantize(cpu::KernelPath::Scalar, x, tokens, cols), b = quantize(simd, x, tokens, cols);
      CHECK(std::memcmp(a.bytes.data(), b.bytes.data(), a.bytes.size()) == 0);
    }
  }
}

TEST_CASE("input quantization: 7 bits per token, half to even, NaN and infinity poison, tiny rows are zero") {
  const uint64_t cols = 40;
  uint64_t tokens = 0;
  const std::vector<float> x = awkward_rows(cols, &tokens);
  const Quantized q = quantize(cpu::KernelPath::Scalar, x, tokens, cols);
  const uint64_t stride = q.view.stride;
  CHECK(stride == 64);
  for (uint64_t t = 0; t < tokens; ++t)
    for (uint64_t k = cols; k < stride; ++k) REQUIRE(q.view.values[t * stride + k] == 0);  // padding
  for (uint64_t t : {0, 1, 2, 3})  // zeros, subnormals, NaN, infinity: every q is 0
    for (uint64_t k = 0; k < cols; ++k) REQUIRE(q.view.values[t * stride + k] == matmul::kI8InputOffset);
  CHECK(q.view.scales[0] == 0.0f);
  CHECK(q.view.scales[1] == 0.0f);
  CHECK(std::isnan(q.view.scales[2]));
  CHECK(std::isnan(q.view.scales[3]));
  // Ties: d = 1, so k - 63 + 0.5 rounds to the even neighbour.
  CHECK(q.view.scales[4] == 1.0f);
  for (uint64_t k = 1; k < cols; ++k) {
    const int v = static_cast<int>(k % 126) - 63;  // x = v + 0.5
    const int even = (v % 2 == 0) ? v : v + 1;
    REQUIRE(static_cast<int>(q.view.values[4 * stride + k]) - matmul::kI8InputOffset == even);
  }
  CHECK(q.view.values[4 * stride] == 63 + matmul::kI8InputOffset);
  CHECK(q.view.values[5 * stride] == 1);  // -FLT_MAX: q = -63
  CHECK(q.view.scales[5] == std::numeric_limits<float>::max() / 63.0f);
}

TEST_CASE("SIMD integer products equal the definition bit for bit, tails and row ranges included") {
  const cpu::KernelPath simd = simd_path();
  if (simd == cpu::KernelPath::Scalar) return;
  struct Shape {
    uint64_t rows, cols;
  };
  for (const Shape s : {Shape{1, 3}, {4, 32}, {5, 33}, {8, 64}, {13, 100}, {16, 768}, {7, 1030}})
    for (uint64_t tokens : {1, 2, 3, 5, 16})
      for (int awkward = 0; awkward < 2; ++awkward) {
        CAPTURE(s.rows);
        CAPTURE(s.cols);
        CAPTURE(tokens);
        CAPTURE(awkward);
        const std::vector<float> w = test::random_normal(s.rows * s.cols, static_cast<uint32_t>(s.rows * 7 + s.cols), 1.0f);
        const planner::QuantizedMatrix qm = planner::quantize_matrix(w.data(), s.rows, s.cols, Format::I8, 0);
        const ref::WeightMatrix m{qm.format, qm.bytes.data(), qm.rows, qm.cols, qm.group};
        uint64_t n = tokens;
        const std::vector<float> x =
            awkward ? awkward_rows(s.cols, &n) : test::random_normal(tokens * s.cols, static_cast<uint32_t>(tokens), 2.0f);
        const Quantized q = quantize(cpu::KernelPath::Scalar, x, n, s.cols);
        std::vector<float> expected(n * s.rows + 1, -7.0f), got(n * s.rows + 1, -7.0f);
        ref::matmul_i8_rows(m, q.view, expected.data(), 0, s.rows);
        for (uint32_t part = 0; part < 3; ++part) {  // three row ranges, as threads take them
          uint64_t b = 0, e = 0;
          split_rows(s.rows, 1, part, 3, &b, &e);
          matmul::matmul_i8_rows(simd, m, q.view, got.data(), b, e);
        }
        CHECK(got.back() == -7.0f);
        CHECK(std::memcmp(expected.data(), got.data(), got.size() * sizeof(float)) == 0);
      }
}

TEST_CASE("extreme weights and inputs do not saturate the 16-bit pair sums") {
  const uint64_t rows = 4, cols = 64, tokens = 2;
  // Hand-made I8 bytes: int8 values then a bfloat16 scale of 1.0 per row.
  std::vector<uint8_t> bytes(rows * cols + 2 * rows);
  for (uint64_t r = 0; r < rows; ++r)
    for (uint64_t k = 0; k < cols; ++k)
      bytes[r * cols + k] = static_cast<uint8_t>(static_cast<int8_t>(r % 2 ? -128 : 127));
  for (uint64_t r = 0; r < rows; ++r) {
    bytes[rows * cols + 2 * r] = 0x80;  // bfloat16 1.0 = 0x3F80, little-endian
    bytes[rows * cols + 2 * r + 1] = 0x3F;
  }
  const ref::WeightMatrix m{Format::I8, bytes.data(), rows, cols, 0};
  std::vector<float> x(tokens * cols, 63.0f);
  for (uint64_t k = 0; k < cols; ++k) x[cols + k] = -63.0f;
  for (cpu::KernelPath path : {cpu::KernelPath::Scalar, simd_path()}) {
    const Quantized q = quantize(path, x, tokens, cols);
    std::vector<float> y(tokens * rows);
    matmul::matmul_i8_rows(path, m, q.view, y.data(), 0, rows);
    for (uint64_t t = 0; t < tokens; ++t)
      for (uint64_t r = 0; r < rows; ++r)
        REQUIRE(y[t * rows + r] == (t ? -63.0f : 63.0f) * (r % 2 ? -128.0f : 127.0f) * cols);
  }
}

TEST_CASE("the integer definition is the float product within what rounding the inputs costs") {
  const uint64_t rows = 9, cols = 300, tokens = 4;
  const std::vector<float> w = test::random_normal(rows * cols, 11, 1.0f);
  const std::vector<float> x = test::random_normal(tokens * cols, 12, 2.0f);
  const planner::QuantizedMatrix qm = planner::quantize_matrix(w.data(), rows, cols, Format::I8, 0);
  const ref::WeightMatrix m{qm.format, qm.bytes.data(), qm.rows, qm.cols, qm.group};
  const Quantized q = quantize(cpu::KernelPath::Scalar, x, tokens, cols);
  std::vector<float> y(tokens * rows);
  ref::matmul_i8_rows(m, q.view, y.data(), 0, rows);
  double worst = 0.0;
  for (uint64_t t = 0; t < tokens; ++t)
    for (uint64_t r = 0; r < rows; ++r) {
      std::vector<float> row(cols);
      ref::dequantize_row(m, r, row.data());
      double exact = 0.0, abs_w = 0.0;
      for (uint64_t k = 0; k < cols; ++k) {
        exact += static_cast<double>(row[k]) * x[t * cols + k];
        abs_w += std::fabs(static_cast<double>(row[k]));
      }
      // Each input moves by at most d / 2 (plus float rounding of x * inv).
      const double bound = 0.5 * q.view.scales[t] * abs_w * (1 + 1e-5) + 1e-6 * std::fabs(exact);
      const double err = std::fabs(y[t * rows + r] - exact);
      REQUIRE(err <= bound);
      worst = std::max(worst, err / bound);
    }
  // ...and not trivially: the rounding shows, at a fair part of the bound.
  CHECK(worst > 0.05);
}

}  // namespace rwkv_edge
