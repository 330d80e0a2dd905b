// Kernels: oneDNN mat-vec against the scalar reference on odd shapes, the
// recurrences against direct transcriptions of the official formulas, and
// the ops whose rounding follows torch against torch's own outputs.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <tuple>
#include <vector>

#include "aten_math.h"
#include "checkpoint.h"
#include "onednn_matvec.h"
#include "reference_ops.h"
#include "sleef_avx2.h"
#include "sleef_fma.h"
#include "test_support.h"
#include "torch_bf16_layer_norm.h"

namespace {

std::vector<float> random_vec(std::mt19937& g, size_t n, float scale = 1.0f) {
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = d(g);
  return v;
}

}  // namespace

TEST_CASE("oneDNN mat-vec equals the reference on odd shapes") {
  rwkv_edge::onednn::Context ctx;
  REQUIRE(rwkv_edge::onednn::create_context(&ctx));
  std::mt19937 g(7);
  for (auto [rows, cols] : {std::pair{1, 1}, {3, 5}, {17, 33}, {64, 64}, {257, 129}, {1000, 768}, {65, 4099}}) {
    const auto W = random_vec(g, size_t(rows) * cols), x = random_vec(g, cols);
    std::vector<float> ref(rows), got(rows, -1.0f);
    rwkv_edge::ref::matvec(W.data(), x.data(), ref.data(), rows, cols);
    bool ok = false;
    const size_t scratch_bytes = rwkv_edge::onednn::matvec_scratchpad_bytes(ctx, rows, cols, &ok);
    REQUIRE(ok);
    std::vector<uint8_t> scratch(scratch_bytes + 64);
    rwkv_edge::onednn::MatVec mv;
    REQUIRE(rwkv_edge::onednn::create_matvec(ctx, W.data(), x.data(), got.data(), rows, cols, scratch.data(),
                                             scratch.size(), &mv));
    REQUIRE(rwkv_edge::onednn::run_matvec(ctx, mv));
    for (int r = 0; r < rows; ++r) CHECK(got[r] == doctest::Approx(ref[r]).epsilon(1e-4).scale(std::sqrt(cols)));
    rwkv_edge::onednn::destroy_matvec(&mv);
  }
  rwkv_edge::onednn::destroy_context(&ctx);
}

TEST_CASE("wkv5 matches the official (H,N,N) matrix form") {
  std::mt19937 g(3);
  const size_t H = 3, N = 5, C = H * N;
  auto r = random_vec(g, C), k = random_vec(g, C), v = random_vec(g, C), u = random_vec(g, C);
  std::vector<float> w(C);
  for (float& e : w) e = std::exp(-std::exp(random_vec(g, 1)[0]));
  auto S = random_vec(g, C * N);
  std::vector<double> expect(C), S2(C * N);
  for (size_t h = 0; h < H; ++h)
    for (size_t j = 0; j < N; ++j) {
      double acc = 0;
      for (size_t i = 0; i < N; ++i) {
        const double a = double(k[h * N + i]) * v[h * N + j];
        acc += r[h * N + i] * (u[h * N + i] * a + S[(h * N + i) * N + j]);
        S2[(h * N + i) * N + j] = a + w[h * N + i] * S[(h * N + i) * N + j];
      }
      expect[h * N + j] = acc;
    }
  std::vector<float> out(C);
  rwkv_edge::ref::wkv5(r.data(), k.data(), v.data(), w.data(), u.data(), S.data(), out.data(), C, H);
  for (size_t i = 0; i < C; ++i) CHECK(out[i] == doctest::Approx(expect[i]).epsilon(1e-5));
  for (size_t i = 0; i < C * N; ++i) CHECK(S[i] == doctest::Approx(S2[i]).epsilon(1e-5));
}

TEST_CASE("wkv7 matches state*w + state@ab + vk with ab = -kk (kk*a)^T") {
  std::mt19937 g(5);
  const size_t H = 2, N = 4, C = H * N;
  auto r = random_vec(g, C), k = random_vec(g, C), v = random_vec(g, C), kk = random_vec(g, C), a = random_vec(g, C);
  std::vector<float> w(C, 0.7f);
  auto S = random_vec(g, C * N);
  std::vector<double> newS(C * N), expect(C);
  for (size_t h = 0; h < H; ++h)
    for (size_t i = 0; i < N; ++i) {
      for (size_t j = 0; j < N; ++j) {
        double sab = 0;
        for (size_t l = 0; l < N; ++l) sab += S[(h * N + i) * N + l] * (-kk[h * N + l]) * (kk[h * N + j] * a[h * N + j]);
        newS[(h * N + i) * N + j] = S[(h * N + i) * N + j] * w[h * N + j] + sab + double(v[h * N + i]) * k[h * N + j];
      }
      double y = 0;
      for (size_t j = 0; j < N; ++j) y += newS[(h * N + i) * N + j] * r[h * N + j];
      expect[h * N + i] = y;
    }
  std::vector<float> out(C);
  rwkv_edge::ref::wkv7(r.data(), w.data(), k.data(), v.data(), kk.data(), a.data(), S.data(), out.data(), C, H);
  for (size_t i = 0; i < C; ++i) CHECK(out[i] == doctest::Approx(expect[i]).epsilon(1e-5));
}

TEST_CASE("layer norm normalises; group norm normalises each head; elementwise ops are in-place safe") {
  std::mt19937 g(1);
  auto x = random_vec(g, 64, 3.0f);
  std::vector<float> ones(64, 1.0f), zeros(64, 0.0f), out(64);
  rwkv_edge::ref::layer_norm(x.data(), ones.data(), zeros.data(), out.data(), 64, 1e-5f);
  double mean = 0, var = 0;
  for (float e : out) mean += e;
  mean /= 64;
  for (float e : out) var += (e - mean) * (e - mean);
  CHECK(std::fabs(mean) < 1e-5);
  CHECK(var / 64 == doctest::Approx(1.0).epsilon(1e-3));
  rwkv_edge::ref::group_norm(x.data(), ones.data(), zeros.data(), out.data(), 64, 4, 1e-5f);
  for (int h = 0; h < 4; ++h) {
    double m = 0;
    for (int i = 0; i < 16; ++i) m += out[h * 16 + i];
    CHECK(std::fabs(m / 16) < 1e-5);
  }
  auto y = x;
  rwkv_edge::ref::mul_add(y.data(), x.data(), x.data(), y.data(), 64);  // y = x + x*x in place
  for (int i = 0; i < 64; ++i) CHECK(y[i] == doctest::Approx(x[i] + x[i] * x[i]));
}

TEST_CASE("norms, sigmoid, silu, exp and tanh reproduce torch 1.13's CPU rounding bit for bit") {
  // tests/data/aten-ops.bin holds torch's outputs (tests/dev/make_aten_ops.py).
  const std::vector<uint8_t> bytes = rwkv_edge::test::read_file(rwkv_edge::test::data_path("aten-ops.bin"));
  constexpr size_t kArrays = 11;
  size_t pos = 0, sizes_checked = 0;
  while (pos < bytes.size()) {
    REQUIRE(pos + 8 <= bytes.size());
    uint32_t n = 0, groups = 0;
    std::memcpy(&n, bytes.data() + pos, 4);
    std::memcpy(&groups, bytes.data() + pos + 4, 4);
    pos += 8;
    REQUIRE(pos + kArrays * n * 4 <= bytes.size());
    std::vector<std::vector<float>> a(kArrays, std::vector<float>(n));
    for (auto& v : a) {
      std::memcpy(v.data(), bytes.data() + pos, n * 4);
      pos += n * 4;
    }
    const auto& [x, w, b, xu] = std::tie(a[0], a[1], a[2], a[3]);
    CAPTURE(n);
    std::vector<float> got(n);
    rwkv_edge::ref::layer_norm(x.data(), w.data(), b.data(), got.data(), n, 1e-5f);
    CHECK(got == a[4]);

    auto to_bf16 = [](std::vector<float> v) {
      for (float& e : v) e = rwkv_edge::planner::round_to_bfloat16(e);
      return v;
    };
    got = to_bf16(x);
    const std::vector<float> wb = to_bf16(w), bb = to_bf16(b);
    rwkv_edge::planner::torch_bf16_layer_norm_rows(got.data(), 1, n, wb.data(), bb.data(), 1e-5f);
    CHECK(got == a[5]);

    rwkv_edge::ref::group_norm(x.data(), w.data(), b.data(), got.data(), n, groups, 64e-5f);
    CHECK(got == a[6]);
    rwkv_edge::ref::sigmoid(xu.data(), got.data(), n);
    CHECK(got == a[7]);
    rwkv_edge::ref::silu(xu.data(), got.data(), n);
    CHECK(got == a[8]);
    rwkv_edge::ref::aten_exp(xu.data(), got.data(), n);
    CHECK(got == a[9]);
    rwkv_edge::ref::tanh(xu.data(), got.data(), n);
    CHECK(got == a[10]);
    ++sizes_checked;
  }
  CHECK(sizes_checked == 5);
}

TEST_CASE("Sleef's AVX2 exp and tanh give the scalar FMA build's bits (so every path rounds as torch does)") {
  if (!rwkv_edge::ref::sleef_avx2_available() || !rwkv_edge::ref::sleef_fma_available()) {
    MESSAGE("skipped: this CPU has no AVX2 + FMA");
    return;
  }
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> wide(-105.0f, 90.0f), narrow(-10.0f, 10.0f);
  std::vector<float> x;
  for (int i = 0; i < 200000; ++i) x.push_back(i % 2 ? wide(rng) : narrow(rng));
  for (float special : {0.0f, -0.0f, 1e-30f, -1e-30f, 88.7f, 89.0f, -104.0f, -200.0f, 1e30f, -1e30f,
                        std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity()})
    x.push_back(special);
  while (x.size() % 16) x.push_back(0.5f);
  size_t exp_diff = 0, tanh_diff = 0;
  for (size_t b = 0; b < x.size(); b += 16) {
    float e[16], t[16];
    rwkv_edge::ref::sleef_avx2_exp16(x.data() + b, e);
    rwkv_edge::ref::sleef_avx2_tanh16(x.data() + b, t);
    for (size_t i = 0; i < 16; ++i) {
      const float se = rwkv_edge::ref::sleef_fma_expf(x[b + i]), st = rwkv_edge::ref::sleef_fma_tanhf(x[b + i]);
      exp_diff += std::memcmp(&se, &e[i], 4) != 0;
      tanh_diff += std::memcmp(&st, &t[i], 4) != 0;
    }
  }
  CHECK(exp_diff == 0);
  CHECK(tanh_diff == 0);
}
