// SIMD WKV recurrences against the scalar definitions over many tokens:
// wkv5 bit for bit, wkv7 within a few ulps of each sum's magnitude per step
// (the states are then re-synchronised so errors do not compound).
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <vector>

#include "reference_ops.h"
#include "wkv.h"

namespace rwkv_edge {
namespace {

std::vector<float> random_values(size_t n, std::mt19937& rng, float lo, float hi) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (float& f : v) f = d(rng);
  return v;
}

}  // namespace

TEST_CASE("AVX2 wkv5 and wkv7 match the scalar recurrences") {
  if (!cpu::supports(cpu::KernelPath::Avx2, cpu::features())) {
    MESSAGE("skipped: this CPU has no AVX2");
    return;
  }
  for (size_t hs : {8, 16, 64}) {
    const size_t heads = 3, n = heads * hs;
    CAPTURE(hs);
    std::mt19937 rng(static_cast<uint32_t>(hs));
    std::vector<float> s_ref = random_values(heads * hs * hs, rng, -1.0f, 1.0f), s_simd = s_ref;
    std::vector<float> s7_ref = s_ref, s7_simd = s_ref;
    for (int token = 0; token < 20; ++token) {
      const auto r = random_values(n, rng, -1, 1), k = random_values(n, rng, -1, 1), v = random_values(n, rng, -1, 1);
      const auto w = random_values(n, rng, 0.5f, 1.0f), u = random_values(n, rng, -1, 1);
      std::vector<float> out_ref(n), out_simd(n);
      ref::wkv5(r.data(), k.data(), v.data(), w.data(), u.data(), s_ref.data(), out_ref.data(), n, heads);
      REQUIRE(wkv::avx2::wkv5(r.data(), k.data(), v.data(), w.data(), u.data(), s_simd.data(), out_simd.data(), n,
                              heads));
      CHECK(out_ref == out_simd);
      CHECK(s_ref == s_simd);

      // v7: kk is unit length per head, a in (0, 1), as the model makes them.
      auto kk = random_values(n, rng, -1, 1);
      for (size_t h = 0; h < heads; ++h) {
        float norm = 0;
        for (size_t j = 0; j < hs; ++j) norm += kk[h * hs + j] * kk[h * hs + j];
        for (size_t j = 0; j < hs; ++j) kk[h * hs + j] /= std::sqrt(norm);
      }
      const auto a = random_values(n, rng, 0, 1);
      const std::vector<float> before = s7_ref;
      ref::wkv7(r.data(), w.data(), k.data(), v.data(), kk.data(), a.data(), s7_ref.data(), out_ref.data(), n, heads);
      REQUIRE(wkv::avx2::wkv7(r.data(), w.data(), k.data(), v.data(), kk.data(), a.data(), s7_simd.data(),
                              out_simd.data(), n, heads));
      for (size_t h = 0; h < heads; ++h)
        for (size_t i = 0; i < hs; ++i) {
          // Bound: ulps of sum |S_il kk_l| carried through the update, and of sum |S_ij r_j|.
          double sa_mag = 0, y_mag = 0;
          for (size_t l = 0; l < hs; ++l) sa_mag += std::fabs(before[(h * hs + i) * hs + l] * kk[h * hs + l]);
          for (size_t j = 0; j < hs; ++j) y_mag += std::fabs(s7_ref[(h * hs + i) * hs + j] * r[h * hs + j]);
          const double tol = 4e-6 * (sa_mag * hs + y_mag) + 1e-30;
          CHECK(std::fabs(out_simd[h * hs + i] - out_ref[h * hs + i]) <= tol);
          for (size_t j = 0; j < hs; ++j)
            CHECK(std::fabs(s7_simd[(h * hs + i) * hs + j] - s7_ref[(h * hs + i) * hs + j]) <= 4e-6 * sa_mag + 1e-30);
        }
      s7_simd = s7_ref;
    }
  }
}

TEST_CASE("the wkv7 tolerance catches a wrong state element") {
  if (!cpu::supports(cpu::KernelPath::Avx2, cpu::features())) {
    MESSAGE("skipped: this CPU has no AVX2");
    return;
  }
  const size_t hs = 16, n = hs;
  std::vector<float> s(hs * hs, 0.5f), s2 = s, r(n, 1.0f), w(n, 0.9f), k(n, 0.1f), v(n, 0.2f), kk(n, 0.25f), a(n, 0.5f);
  std::vector<float> o1(n), o2(n);
  s2[3 * hs + 5] += 0.01f;
  ref::wkv7(r.data(), w.data(), k.data(), v.data(), kk.data(), a.data(), s.data(), o1.data(), n, 1);
  REQUIRE(wkv::avx2::wkv7(r.data(), w.data(), k.data(), v.data(), kk.data(), a.data(), s2.data(), o2.data(), n, 1));
  CHECK(std::fabs(o1[3] - o2[3]) > 1e-4);
  CHECK(o1[2] == doctest::Approx(o2[2]).epsilon(1e-6));
}

}  // namespace rwkv_edge
