// Every CUDA kernel (kernels_cuda/cuda_ops.h) against its scalar reference
// on random operands and odd shapes. Needs a CUDA device; without one every
// case skips with the driver's reason.
#include <doctest/doctest.h>
#include <cuda_runtime_api.h>

#include <cmath>
#include <cstdio>
#include <vector>

#include "cuda_ops.h"
#include "quantize_matrix.h"
#include "quantized_ops.h"
#include "reference_ops.h"
#include "test_support.h"

using namespace rwkv_edge;

namespace {

bool skip_without_device() {
  int n = 0;
  const cudaError_t e = cudaGetDeviceCount(&n);
  if (e == cudaSuccess && n > 0) return false;
  static bool told = false;
  if (!told) std::printf("SKIPPED (CUDA kernels): no CUDA device: %s\n", e != cudaSuccess ? cudaGetErrorString(e) : "none");
  told = true;
  return true;
}

// A device copy of host data that frees itself.
template <class T>
struct DeviceArray {
  explicit DeviceArray(const std::vector<T>& host) : n(host.size()) {
    REQUIRE(cudaMalloc(reinterpret_cast<void**>(&ptr), std::max<size_t>(n, 1) * sizeof(T)) == cudaSuccess);
    REQUIRE(cudaMemcpy(ptr, host.data(), n * sizeof(T), cudaMemcpyHostToDevice) == cudaSuccess);
  }
  ~DeviceArray() { cudaFree(ptr); }
  std::vector<T> read() const {
    REQUIRE(cudaDeviceSynchronize() == cudaSuccess);
    std::vector<T> host(n);
    REQUIRE(cudaMemcpy(host.data(), ptr, n * sizeof(T), cudaMemcpyDeviceToHost) == cudaSuccess);
    return host;
  }
  T* ptr = nullptr;
  size_t n;
};

// |a - b| within `rel` of the magnitude `scale` (per element) plus `abs`.
void check_close(const std::vector<float>& got, const std::vector<float>& want, const std::vector<double>& scale,
                 double rel, double abs) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    CAPTURE(i);
    CHECK(std::fabs(static_cast<double>(got[i]) - want[i]) <= rel * scale[i] + abs);
  }
}

std::vector<double> magnitudes(const std::vector<float>& v) {
  std::vector<double> m(v.size());
  for (size_t i = 0; i < v.size(); ++i) m[i] = std::fabs(v[i]);
  return m;
}

}  // namespace

TEST_CASE("CUDA mat-vecs and embedding rows match the scalar reference in every format") {
  if (skip_without_device()) return;
  struct Shape {
    uint64_t rows, cols;
  };
  for (const Shape s : {Shape{1, 1}, Shape{3, 7}, Shape{17, 96}, Shape{33, 127}, Shape{64, 200}, Shape{130, 384},
                        Shape{9, 288}, Shape{5, 1000}, Shape{20, 1568}, Shape{768, 768}})
    for (const test::WeightFormatCase& c : test::kWeightFormatCases) {
      if (c.format == quant::Format::I4 && s.cols < 2) continue;
      CAPTURE(c.name);
      CAPTURE(s.rows);
      CAPTURE(s.cols);
      const auto w = test::random_normal(s.rows * s.cols, static_cast<uint32_t>(s.rows * 31 + s.cols), 1.0f);
      const auto x = test::random_normal(s.cols, static_cast<uint32_t>(s.cols), 2.0f);
      const planner::QuantizedMatrix q = planner::quantize_matrix(w.data(), s.rows, s.cols, c.format, c.group);
      const ref::WeightMatrix m{q.format, q.bytes.data(), q.rows, q.cols, q.group};
      std::vector<float> want(s.rows);
      ref::matvec_weights(m, x.data(), want.data());
      std::vector<double> scale(s.rows);
      std::vector<float> row(s.cols);
      for (uint64_t r = 0; r < s.rows; ++r) {
        ref::dequantize_row(m, r, row.data());
        for (uint64_t k = 0; k < s.cols; ++k) scale[r] += std::fabs(static_cast<double>(row[k]) * x[k]);
      }
      DeviceArray<uint8_t> dw(q.bytes);
      DeviceArray<float> dx(x), dy{std::vector<float>(s.rows, -7.0f)};
      const cuda::Matrix dm{q.format, dw.ptr, q.rows, q.cols, q.group};
      REQUIRE(cuda::matvec(dm, dx.ptr, dy.ptr, nullptr) == cudaSuccess);
      check_close(dy.read(), want, scale, 4e-6, 1e-30);

      // Embedding the last row: exact, it is one dequantization per value.
      DeviceArray<uint32_t> token(std::vector<uint32_t>{static_cast<uint32_t>(s.rows - 1)});
      DeviceArray<float> out{std::vector<float>(s.cols, -7.0f)};
      REQUIRE(cuda::embed(dm, token.ptr, out.ptr, nullptr) == cudaSuccess);
      ref::dequantize_row(m, s.rows - 1, row.data());
      CHECK(out.read() == row);
    }
}

TEST_CASE("CUDA elementwise ops and norms match the scalar reference") {
  if (skip_without_device()) return;
  for (const uint64_t n : {uint64_t{1}, uint64_t{63}, uint64_t{768}, uint64_t{2049}}) {
    CAPTURE(n);
    const auto a = test::random_normal(n, 1, 3.0f), b = test::random_normal(n, 2, 1.0f),
               c = test::random_normal(n, 3, 1.0f);
    DeviceArray<float> da(a), db(b), dc(c), dout{std::vector<float>(n)};
    std::vector<float> want(n);
    const std::vector<double> ones(n, 1.0);
    auto check_unary = [&](cuda::Unary op, void (*ref_fn)(const float*, float*, size_t), double rel) {
      REQUIRE(cuda::unary(op, da.ptr, 0.0f, dout.ptr, n, nullptr) == cudaSuccess);
      ref_fn(a.data(), want.data(), n);
      check_close(dout.read(), want, magnitudes(want), rel, 1e-30);
    };
    check_unary(cuda::Unary::Sigmoid, ref::sigmoid, 1e-6);
    check_unary(cuda::Unary::Tanh, ref::tanh, 1e-6);
    check_unary(cuda::Unary::Silu, ref::silu, 1e-6);
    check_unary(cuda::Unary::ReluSquare, ref::relu_square, 0.0);
    check_unary(cuda::Unary::ExpNegExp, ref::exp_neg_exp, 1e-5);
    check_unary(cuda::Unary::V7Decay, ref::v7_decay, 1e-6);
    REQUIRE(cuda::ternary(cuda::Ternary::Lerp, da.ptr, db.ptr, dc.ptr, dout.ptr, n, nullptr) == cudaSuccess);
    ref::lerp(a.data(), b.data(), c.data(), want.data(), n);
    CHECK(dout.read() == want);
    REQUIRE(cuda::ternary(cuda::Ternary::V7KeyMix, da.ptr, db.ptr, dc.ptr, dout.ptr, n, nullptr) == cudaSuccess);
    ref::v7_key_mix(a.data(), b.data(), c.data(), want.data(), n);
    CHECK(dout.read() == want);
    REQUIRE(cuda::layer_norm(da.ptr, db.ptr, dc.ptr, dout.ptr, n, 1e-5f, nullptr) == cudaSuccess);
    ref::layer_norm(a.data(), b.data(), c.data(), want.data(), n, 1e-5f);
    check_close(dout.read(), want, ones, 1e-5, 0.0);
    if (n % 3 == 0 || n == 768) {
      const uint32_t groups = n == 768 ? 12 : 3;
      REQUIRE(cuda::group_norm(da.ptr, db.ptr, dc.ptr, dout.ptr, n, groups, 1e-5f * 64, nullptr) == cudaSuccess);
      ref::group_norm(a.data(), b.data(), c.data(), want.data(), n, groups, 1e-5f * 64);
      check_close(dout.read(), want, ones, 1e-5, 0.0);
      REQUIRE(cuda::head_l2_norm(da.ptr, dout.ptr, n, groups, nullptr) == cudaSuccess);
      ref::head_l2_norm(a.data(), want.data(), n, groups);
      check_close(dout.read(), want, ones, 1e-6, 0.0);
    }
  }
}

TEST_CASE("CUDA WKV recurrences match the scalar reference over several tokens") {
  if (skip_without_device()) return;
  struct Shape {
    uint32_t heads, hs;
  };
  for (const Shape s : {Shape{1, 1}, Shape{2, 3}, Shape{3, 64}, Shape{12, 64}}) {
    const uint64_t n = uint64_t{s.heads} * s.hs;
    CAPTURE(s.heads);
    CAPTURE(s.hs);
    std::vector<float> state5(n * s.hs, 0.0f), state7(n * s.hs, 0.0f);
    DeviceArray<float> d5{state5}, d7{state7};
    for (uint32_t t = 0; t < 4; ++t) {
      const auto r = test::random_normal(n, 10 + t, 1.0f), k = test::random_normal(n, 20 + t, 1.0f),
                 v = test::random_normal(n, 30 + t, 1.0f), u = test::random_normal(n, 40 + t, 1.0f);
      std::vector<float> w(n), kk = test::random_normal(n, 50 + t, 0.2f), a(n);
      for (uint64_t i = 0; i < n; ++i) w[i] = 0.5f + 0.4f * std::tanh(u[i]), a[i] = 0.5f + 0.5f * std::tanh(r[i]);
      DeviceArray<float> dr(r), dk(k), dv(v), dw(w), du(u), dkk(kk), da(a), out{std::vector<float>(n)};
      std::vector<float> want(n);
      REQUIRE(cuda::wkv5(dr.ptr, dk.ptr, dv.ptr, dw.ptr, du.ptr, d5.ptr, out.ptr, n, s.heads, nullptr) == cudaSuccess);
      ref::wkv5(r.data(), k.data(), v.data(), w.data(), u.data(), state5.data(), want.data(), n, s.heads);
      check_close(out.read(), want, std::vector<double>(n, 1.0), 1e-5, 0.0);
      REQUIRE(cuda::wkv7(dr.ptr, dw.ptr, dk.ptr, dv.ptr, dkk.ptr, da.ptr, d7.ptr, out.ptr, n, s.heads, nullptr) ==
              cudaSuccess);
      ref::wkv7(r.data(), w.data(), k.data(), v.data(), kk.data(), a.data(), state7.data(), want.data(), n, s.heads);
      check_close(out.read(), want, std::vector<double>(n, 1.0), 1e-5, 0.0);
    }
    check_close(d5.read(), state5, std::vector<double>(state5.size(), 1.0), 1e-5, 0.0);
    check_close(d7.read(), state7, std::vector<double>(state7.size(), 1.0), 1e-5, 0.0);
  }
  // v4: a thread per channel.
  const uint64_t n = 131;
  const auto k = test::random_normal(n, 1, 2.0f), v = test::random_normal(n, 2, 1.0f),
             decay = test::random_normal(n, 3, 1.0f), first = test::random_normal(n, 4, 1.0f);
  std::vector<float> aa(n, 0.0f), bb(n, 0.0f), pp(n, -1e30f), want(n);
  DeviceArray<float> dk(k), dv(v), dd(decay), df(first), daa(aa), dbb(bb), dpp(pp), out{std::vector<float>(n)};
  for (int t = 0; t < 3; ++t) {
    REQUIRE(cuda::wkv4(dk.ptr, dv.ptr, dd.ptr, df.ptr, daa.ptr, dbb.ptr, dpp.ptr, out.ptr, n, nullptr) == cudaSuccess);
    ref::wkv4(k.data(), v.data(), decay.data(), first.data(), aa.data(), bb.data(), pp.data(), want.data(), n);
    check_close(out.read(), want, magnitudes(want), 1e-5, 1e-6);
  }
}

TEST_CASE("the CUDA WKV kernels refuse head sizes they cannot run (before touching the device)") {
  CHECK(cuda::wkv5(nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, 2048, 1, nullptr) ==
        cudaErrorInvalidValue);
  CHECK(cuda::wkv7(nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, 10, 3, nullptr) ==
        cudaErrorInvalidValue);
}

TEST_CASE("a session on the caller's device buffer: checked, used, left to the caller") {
  if (skip_without_device()) return;
  const test::ModelBytes model = test::plan_to_bytes(test::data_path("mini-v5.2.pth"));
  size_t need = 0, arena_bytes = 0;
  REQUIRE(rwkv_edge_cuda_bytes_required(model.data(), model.size, &need).code == RWKV_EDGE_OK);
  REQUIRE(rwkv_edge_arena_size_required(model.data(), model.size, &arena_bytes).code == RWKV_EDGE_OK);
  DeviceArray<uint8_t> buffer{std::vector<uint8_t>(need)};
  test::ArenaBuffer arena(arena_bytes);
  rwkv_edge_options opts;
  rwkv_edge_default_options(&opts);
  opts.backend = RWKV_EDGE_BACKEND_CUDA;
  rwkv_edge_session* s = nullptr;
  auto init = [&](void* p, uint64_t bytes) {
    opts.cuda_buffer = p;
    opts.cuda_buffer_bytes = bytes;
    return rwkv_edge_init(model.data(), model.size, arena.ptr, arena_bytes, &opts, &s);
  };
  CHECK(init(buffer.ptr, need - 256).code == RWKV_EDGE_ARENA_TOO_SMALL);
  CHECK(init(buffer.ptr + 64, need).code == RWKV_EDGE_ARENA_MISALIGNED);
  std::vector<uint8_t> host(need + 256);
  CHECK(init(reinterpret_cast<void*>((reinterpret_cast<uintptr_t>(host.data()) + 255) / 256 * 256), need).code ==
        RWKV_EDGE_INVALID_ARGUMENT);
  const rwkv_edge_status st = init(buffer.ptr, need);
  REQUIRE_MESSAGE(st.code == RWKV_EDGE_OK, st.message);
  rwkv_edge_info info;
  rwkv_edge_get_info(s, &info);
  CHECK(info.device_bytes == need);
  const auto tokens = test::parse_tokens(test::mini_tokens());
  std::vector<float> got;
  const float* logits = nullptr;
  for (const uint32_t t : tokens) {
    REQUIRE(rwkv_edge_step(s, t, &logits).code == RWKV_EDGE_OK);
    got.insert(got.end(), logits, logits + info.vocab_size);
  }
  rwkv_edge_release(s);
  CHECK(test::max_abs_diff(got, test::run_logits(model, tokens, false)) <= 1e-4f);
}
