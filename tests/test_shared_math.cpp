// shared_math.h on the host: the formulas the CUDA kernels run, checked
// against the scalar references they must agree with. The references call
// most of these helpers themselves (so the CPU suites cover them); what the
// GPU alone uses is checked here.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "quantize_matrix.h"
#include "quantized_ops.h"
#include "reference_ops.h"
#include "shared_math.h"
#include "test_support.h"

using namespace rwkv_edge;

TEST_CASE("wkv5 by columns (a GPU thread per value index) is the reference bit for bit") {
  for (const auto& [heads, hs] : {std::pair<size_t, uint32_t>{1, 1}, {2, 3}, {3, 8}, {2, 64}}) {
    const size_t n = heads * hs;
    std::vector<float> ref_state(n * hs, 0.0f), col_state(n * hs, 0.0f);
    for (uint32_t t = 0; t < 3; ++t) {
      const auto r = test::random_normal(n, 1 + t, 1.0f), k = test::random_normal(n, 5 + t, 1.0f),
                 v = test::random_normal(n, 9 + t, 1.0f), u = test::random_normal(n, 13 + t, 1.0f);
      std::vector<float> w(n), want(n), got(n);
      for (size_t i = 0; i < n; ++i) w[i] = 0.5f + 0.4f * std::tanh(u[i]);
      ref::wkv5(r.data(), k.data(), v.data(), w.data(), u.data(), ref_state.data(), want.data(), n, heads);
      for (size_t h = 0; h < heads; ++h)
        for (uint32_t j = 0; j < hs; ++j) {
          const size_t o = h * hs;
          got[o + j] = shared::wkv5_column(r.data() + o, k.data() + o, w.data() + o, u.data() + o, v[o + j],
                                           col_state.data() + h * hs * hs + j, hs, hs);
        }
      CHECK(got == want);
      CHECK(col_state == ref_state);
    }
  }
}

TEST_CASE("GPU activations agree with the reference's ATen functions within a few ulps") {
  std::vector<float> x;
  for (float v = -30.0f; v <= 30.0f; v += 0.0137f) x.push_back(v);
  for (float v : {0.0f, -0.0f, 1e-30f, -1e-30f, 88.0f, -88.0f, 1e4f, -1e4f}) x.push_back(v);
  std::vector<float> want(x.size());
  auto check = [&](void (*ref_fn)(const float*, float*, size_t), float (*gpu)(float), double rel) {
    ref_fn(x.data(), want.data(), x.size());
    for (size_t i = 0; i < x.size(); ++i) {
      CAPTURE(x[i]);
      CHECK(std::fabs(static_cast<double>(gpu(x[i])) - want[i]) <= rel * std::fabs(want[i]) + 1e-37);
    }
  };
  check(ref::sigmoid, shared::sigmoid, 4e-7);
  check(ref::silu, shared::silu, 4e-7);
  check(ref::tanh, [](float v) { return std::tanh(v); }, 4e-7);
  check(ref::v7_decay, shared::v7_decay, 4e-7);
  // exp(-exp(x)) magnifies exp's last-ulp error by exp(x), up to e^30 here:
  // both sides round, so compare in relative terms of the exponent.
  ref::exp_neg_exp(x.data(), want.data(), x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    CAPTURE(x[i]);
    const double got = shared::exp_neg_exp(x[i]);
    const double magnify = 1.0 + std::exp(static_cast<double>(x[i]));
    CHECK((got == want[i] || std::fabs(got - want[i]) <= 4e-7 * magnify * std::fabs(want[i]) + 1e-37));
  }
}

TEST_CASE("32-bit weight words decode to the reference's values in order") {
  const uint64_t rows = 3, cols = 256;
  const auto w = test::random_normal(rows * cols, 7, 1.0f);
  for (const test::WeightFormatCase& c : test::kWeightFormatCases) {
    if (c.format == quant::Format::F32 || c.format == quant::Format::U8MinMax) continue;
    CAPTURE(c.name);
    const planner::QuantizedMatrix q = planner::quantize_matrix(w.data(), rows, cols, c.format, c.group);
    const ref::WeightMatrix m{q.format, q.bytes.data(), rows, cols, q.group};
    const quant::MatrixLayout l = quant::matrix_layout(m.format, rows, cols, m.group);
    std::vector<float> want(cols), got(cols);
    for (uint64_t r = 0; r < rows; ++r) {
      ref::dequantize_row(m, r, want.data());
      const uint8_t* row = m.data + r * l.row_bytes;
      auto word = [](const uint8_t* p) {
        uint32_t u;
        std::memcpy(&u, p, 4);
        return u;
      };
      if (c.format == quant::Format::I4) {
        const uint64_t groups = cols / c.group;
        for (uint64_t g = 0; g < groups; ++g) {
          const quant::I4GroupOffsets o = quant::i4_group_offsets(g, groups, c.group);
          const float s = load_half(row + o.scale), mn = load_half(row + o.min);
          for (uint64_t k = 0; k < c.group; ++k)
            got[g * c.group + k] = shared::dequant_i4(shared::word_nibble(word(row + o.nibbles + k / 8 * 4), k % 8), s, mn);
        }
      } else {
        const float scale = c.format == quant::Format::I8 ? ref::i8_row_scale(m.data + l.params_offset, r) : 1.0f;
        const int per_word = c.format == quant::Format::I8 ? 4 : 2;
        for (uint64_t k = 0; k < cols; ++k) {
          const uint32_t u = word(row + k / per_word * 4);
          const int at = static_cast<int>(k % per_word);
          got[k] = c.format == quant::Format::F16    ? shared::word_half(u, at)
                   : c.format == quant::Format::BF16 ? shared::word_bfloat16(u, at)
                                                     : shared::dequant_i8(shared::word_i8(u, at), scale);
        }
      }
      CHECK(got == want);
    }
  }
}
