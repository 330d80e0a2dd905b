// Prefill's matrix products against their definition (a mat-vec per token),
// on odd shapes, token counts around the 16-token block and row ranges: the
// portable kernel bit for bit on every format, AVX2 bit for bit on float32
// and within a few ulps of |w|.|x| on the quantized formats.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "matmul.h"
#include "quantize_matrix.h"
#include "test_support.h"
#include "thread_pool.h"

namespace rwkv_edge {
namespace {

using quant::Format;

struct Shape {
  uint64_t rows, cols;
};
// Row counts around the 4- and 6-row tiles; columns past one 1024-wide span.
constexpr Shape kShapes[] = {{1, 3}, {5, 33}, {6, 64}, {13, 127}, {16, 257}, {7, 1030}, {25, 2100}};
constexpr uint64_t kTokenCounts[] = {1, 5, 16, 17, 40};

}  // namespace

TEST_CASE("matrix products equal a mat-vec per token on odd shapes, token counts and row ranges") {
  const bool avx2 = cpu::supports(cpu::KernelPath::Avx2, cpu::features());
  if (!avx2) MESSAGE("skipped the AVX2 kernel: this CPU has no AVX2 (the portable kernel is still tested)");
  for (const test::WeightFormatCase& c : test::kWeightFormatCases)
    for (const Shape& s : kShapes)
      for (uint64_t tokens : kTokenCounts) {
        CAPTURE(std::string(c.name));
        CAPTURE(s.rows);
        CAPTURE(s.cols);
        CAPTURE(tokens);
        const std::vector<float> w = test::random_normal(s.rows * s.cols, static_cast<uint32_t>(s.rows * 31 + s.cols), 1.0f);
        const std::vector<float> x = test::random_normal(tokens * s.cols, static_cast<uint32_t>(tokens + s.cols), 2.0f);
        const planner::QuantizedMatrix q = planner::quantize_matrix(w.data(), s.rows, s.cols, c.format, c.group);
        const ref::WeightMatrix m{q.format, q.bytes.data(), q.rows, q.cols, q.group};
        std::vector<float> expected(tokens * s.rows);
        ref::matmul_weights_rows(m, x.data(), tokens, expected.data(), 0, s.rows);
        std::vector<float> xt(matmul::packed_input_floats(tokens, s.cols), -1.0f);
        matmul::pack_input_portable(x.data(), tokens, s.cols, xt.data());

        // The portable kernel in three row ranges; a sentinel past the end stays.
        std::vector<float> portable(tokens * s.rows + 1, -7.0f);
        for (uint32_t t = 0; t < 3; ++t) {
          uint64_t b = 0, e = 0;
          split_rows(s.rows, 1, t, 3, &b, &e);
          matmul::matmul_rows_portable(m, xt.data(), tokens, portable.data(), b, e);
        }
        CHECK(portable[tokens * s.rows] == -7.0f);
        for (uint64_t i = 0; i < tokens * s.rows; ++i) REQUIRE(portable[i] == expected[i]);

        if (!avx2) continue;
        std::vector<float> simd(tokens * s.rows + 1, -7.0f);
        REQUIRE(matmul::avx2::matmul_rows(m, xt.data(), tokens, simd.data(), 0, s.rows));
        CHECK(simd[tokens * s.rows] == -7.0f);
        for (uint64_t t = 0; t < tokens; ++t)
          for (uint64_t r = 0; r < s.rows; ++r) {
            const uint64_t i = t * s.rows + r;
            if (c.format == Format::F32) {
              REQUIRE(simd[i] == expected[i]);
            } else {
              std::vector<float> row(s.cols);
              ref::dequantize_row(m, r, row.data());
              double abs_sum = 0.0;
              for (uint64_t k = 0; k < s.cols; ++k) abs_sum += std::fabs(static_cast<double>(row[k]) * x[t * s.cols + k]);
              REQUIRE(std::fabs(static_cast<double>(simd[i]) - expected[i]) <= 4e-6 * abs_sum + 1e-30);
            }
          }
      }
}

TEST_CASE("AVX2 input packing writes the portable packing's bytes, padding included") {
  if (!cpu::supports(cpu::KernelPath::Avx2, cpu::features())) {
    MESSAGE("skipped: the AVX2 packing needs an AVX2 CPU");
    return;
  }
  for (uint64_t tokens : {1, 7, 15, 16, 17, 32, 33, 64})
    for (uint64_t cols : {1, 7, 8, 9, 24, 100, 768}) {
      CAPTURE(tokens);
      CAPTURE(cols);
      const std::vector<float> x = test::random_normal(tokens * cols, static_cast<uint32_t>(tokens * 131 + cols), 1.0f);
      const uint64_t n = matmul::packed_input_floats(tokens, cols);
      std::vector<float> portable(n + 1, -1.0f), simd(n + 1, -2.0f);
      portable[n] = simd[n] = -7.0f;
      matmul::pack_input_portable(x.data(), tokens, cols, portable.data());
      matmul::pack_input(cpu::KernelPath::Avx2, x.data(), tokens, cols, simd.data());
      CHECK(std::memcmp(portable.data(), simd.data(), (n + 1) * sizeof(float)) == 0);
      CHECK(simd[n] == -7.0f);
    }
}

TEST_CASE("the product's tolerance is tight enough to catch a wrong weight") {
  const uint64_t rows = 8, cols = 300, tokens = 3;
  std::vector<float> w = test::random_normal(rows * cols, 5, 1.0f);
  const std::vector<float> x = test::random_normal(tokens * cols, 6, 1.0f);
  const planner::QuantizedMatrix good = planner::quantize_matrix(w.data(), rows, cols, Format::F32, 0);
  w[2 * cols + 17] += 0.01f;
  const planner::QuantizedMatrix bad = planner::quantize_matrix(w.data(), rows, cols, Format::F32, 0);
  std::vector<float> xt(matmul::packed_input_floats(tokens, cols));
  matmul::pack_input_portable(x.data(), tokens, cols, xt.data());
  std::vector<float> a(tokens * rows), b(tokens * rows);
  matmul::matmul_rows_portable({Format::F32, good.bytes.data(), rows, cols, 0}, xt.data(), tokens, a.data(), 0, rows);
  matmul::matmul_rows_portable({Format::F32, bad.bytes.data(), rows, cols, 0}, xt.data(), tokens, b.data(), 0, rows);
  CHECK(a[2] != b[2]);
  CHECK(a[rows + 2] != b[rows + 2]);
  CHECK(a[1] == b[1]);
}

}  // namespace rwkv_edge
