// SIMD mat-vec kernels against their scalar references, on odd shapes and
// row ranges, for every path this CPU runs (the others are reported as
// skipped); the thread pool and its row split; and whole sessions on every
// path and thread count.
#include <doctest/doctest.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <numeric>
#include <random>
#include <thread>
#include <vector>

#include "float16.h"
#include "gemv.h"
#include "matvec_batches.h"
#include "model_verifier.h"
#include "quant_strategy.h"
#include "quantize_matrix.h"
#include "test_support.h"
#include "thread_pool.h"

namespace rwkv_edge {
namespace {

using cpu::KernelPath;
using quant::Format;

constexpr KernelPath kSimdPaths[] = {KernelPath::Avx2, KernelPath::Neon};

struct Shape {
  uint64_t rows, cols;
};
// Odd sizes on purpose: row counts around the 4/8/16-row blocks, column
// counts around 8/16-value vectors, 32/64/128-value int4 groups and their
// superblocks of 8.
constexpr Shape kShapes[] = {{1, 1},   {3, 5},    {7, 31},   {8, 8},    {9, 33},   {16, 64},
                             {17, 96}, {33, 127}, {40, 128}, {64, 200}, {65, 257}, {130, 384},
                             // several int4 superblocks of 8 groups, a lone last 32-value chunk, a partial group
                             {9, 288}, {5, 1000}, {20, 1568}};


// |y - y_ref| allowed for a SIMD kernel that sums in its own order: a few
// float ulps of sum |w| |x| (the dequantized w, as the reference uses it).
double order_tolerance(const ref::WeightMatrix& m, const float* x, uint64_t row) {
  std::vector<float> w(m.cols);
  ref::dequantize_row(m, row, w.data());
  double abs_sum = 0.0;
  for (uint64_t c = 0; c < m.cols; ++c) abs_sum += std::fabs(static_cast<double>(w[c]) * x[c]);
  return 4e-6 * abs_sum + 1e-30;
}

// The committed tiny-rwkv-5v2 (width 64, 12 layers): its mat-vecs are big
// enough for the pool to split them.
test::ModelBytes plan_tiny(const std::string& quant) {
  planner::PlanOptions o;
  o.input = std::string(RWKV_EDGE_MODELS) + "/tiny-rwkv-5v2-730K-FP16.bin";
  o.quant.segments = {{planner::parse_weight_choice(quant), 0}};
  o.calibration = "none";
  return test::plan_to_bytes(o.input, o);
}

// The error rounding x to int8 may add to an I4 row (gemv.h): per 32-value
// chunk, d/2 times sum |w - min| = sum |q| * scale.
double activation_rounding_bound(const ref::WeightMatrix& m, const gemv::Input& in, uint64_t row) {
  if (in.quantized == nullptr) return 0.0;
  const gemv::QuantizedInputLayout il = gemv::quantized_input_layout(m.cols, m.group);
  const auto* d = reinterpret_cast<const float*>(in.quantized + il.scale_offset);
  const uint64_t row_bytes = quant::matrix_layout(m.format, m.rows, m.cols, m.group).row_bytes;
  const uint64_t groups = (m.cols + m.group - 1) / m.group;
  double bound = 0.0;
  for (uint64_t c = 0; c < il.chunks * 32; ++c) {
    const uint8_t* row_start = m.data + row * row_bytes;
    const quant::I4GroupOffsets o = quant::i4_group_offsets(c / m.group, groups, m.group);
    uint16_t scale_bits;
    std::memcpy(&scale_bits, row_start + o.scale, 2);
    const uint64_t i = c % m.group;
    const uint8_t q = quant::i4_nibble(row_start + o.nibbles, i);
    bound += 0.5 * d[c / 32] * q * std::fabs(half_to_float(scale_bits));
  }
  return bound * (1.0 + 1e-5);
}

// The mat-vec of `path` over rows [begin, end), its input prepared as the session does.
struct Prepared {
  std::vector<uint8_t> scratch;
  gemv::Input input;
};
std::unique_ptr<Prepared> prepare(KernelPath path, const ref::WeightMatrix& m, const float* x) {
  auto p = std::make_unique<Prepared>();
  p->scratch.resize(gemv::input_scratch_bytes(m.format, m.cols, m.group) + 64);
  uint8_t* aligned = p->scratch.data() + (64 - reinterpret_cast<uintptr_t>(p->scratch.data()) % 64) % 64;
  p->input = gemv::prepare_input(path, m, x, aligned);
  return p;
}

ref::WeightMatrix view(const planner::QuantizedMatrix& q) {
  return ref::WeightMatrix{q.format, q.bytes.data(), q.rows, q.cols, q.group};
}

}  // namespace

TEST_CASE("SIMD mat-vecs match the scalar reference on odd shapes and row ranges") {
  const cpu::Features& f = cpu::features();
  for (KernelPath path : kSimdPaths) {
    if (!cpu::supports(path, f)) {
      MESSAGE("skipped: the " << std::string(cpu::name(path)) << " kernels need a CPU this machine is not");
      continue;
    }
    for (const test::WeightFormatCase& c : test::kWeightFormatCases)
      for (const Shape& s : kShapes) {
        if (c.format == Format::I4 && s.cols < 2) continue;
        CAPTURE(std::string(cpu::name(path)));
        CAPTURE(std::string(c.name));
        CAPTURE(s.rows);
        CAPTURE(s.cols);
        const std::vector<float> w = test::random_normal(s.rows * s.cols, static_cast<uint32_t>(s.rows * 977 + s.cols), 1.0f);
        const std::vector<float> x = test::random_normal(s.cols, static_cast<uint32_t>(s.cols), 2.0f);
        const planner::QuantizedMatrix q = planner::quantize_matrix(w.data(), s.rows, s.cols, c.format, c.group);
        const ref::WeightMatrix m = view(q);
        std::vector<float> expected(s.rows);
        ref::matvec_weights(m, x.data(), expected.data());

        // The whole matrix, then three ranges on kRowAlign boundaries; a
        // sentinel shows rows outside a range stay untouched.
        std::vector<float> whole(s.rows, -7.0f), pieces(s.rows + 1, -7.0f);
        const auto in = prepare(path, m, x.data());
        gemv::matvec_rows(path, m, in->input, whole.data(), 0, s.rows);
        for (uint32_t t = 0; t < 3; ++t) {
          uint64_t b = 0, e = 0;
          split_rows(s.rows, gemv::kRowAlign, t, 3, &b, &e);
          if (b < e) gemv::matvec_rows(path, m, in->input, pieces.data(), b, e);
        }
        CHECK(pieces[s.rows] == -7.0f);
        for (uint64_t r = 0; r < s.rows; ++r) {
          CAPTURE(r);
          CHECK(whole[r] == pieces[r]);
          if (c.format == Format::F32 || c.format == Format::U8MinMax) {
            CHECK(whole[r] == expected[r]);  // float32 keeps the reference's order; minmax is the reference
          } else {
            CHECK(std::fabs(static_cast<double>(whole[r]) - expected[r]) <=
                  order_tolerance(m, x.data(), r) + activation_rounding_bound(m, in->input, r));
          }
        }
      }
  }
}

// The int8 rounding of x adds an error (activation_rounding_bound) large
// enough to hide a wrong group scale. Inputs that int8 holds exactly (every
// 32-value chunk: integers in [-127, 127] times 1/8, one of them +-127, so
// d = 1/8 and q = x/d with no rounding) leave only the summation order, so
// int4 is held here to the float kernels' tight tolerance.
TEST_CASE("int4 mat-vecs on inputs int8 holds exactly: the reference's sums to a few ulps") {
  const cpu::Features& f = cpu::features();
  for (KernelPath path : kSimdPaths) {
    if (!cpu::supports(path, f)) {
      MESSAGE("skipped: the " << std::string(cpu::name(path)) << " kernels need a CPU this machine is not");
      continue;
    }
    for (uint32_t group : {32u, 64u, 128u})
      for (const Shape& s : kShapes) {
        CAPTURE(std::string(cpu::name(path)));
        CAPTURE(group);
        CAPTURE(s.rows);
        CAPTURE(s.cols);
        const std::vector<float> w = test::random_normal(s.rows * s.cols, static_cast<uint32_t>(s.rows + 31 * s.cols), 1.0f);
        std::vector<float> x(s.cols);
        std::mt19937 rng(static_cast<uint32_t>(s.cols + group));
        for (uint64_t c = 0; c < s.cols; ++c)
          x[c] = static_cast<float>(static_cast<int>(rng() % 255) - 127) / 8.0f;
        for (uint64_t c = 0; c < s.cols; c += 32) x[c + rng() % std::min<uint64_t>(32, s.cols - c)] = (rng() & 1) ? 127.0f / 8 : -127.0f / 8;
        const planner::QuantizedMatrix q = planner::quantize_matrix(w.data(), s.rows, s.cols, Format::I4, group);
        const ref::WeightMatrix m = view(q);
        std::vector<float> expected(s.rows), got(s.rows);
        ref::matvec_weights(m, x.data(), expected.data());
        gemv::matvec_rows(path, m, prepare(path, m, x.data())->input, got.data(), 0, s.rows);
        for (uint64_t r = 0; r < s.rows; ++r) {
          CAPTURE(r);
          CHECK(std::fabs(static_cast<double>(got[r]) - expected[r]) <= order_tolerance(m, x.data(), r));
        }
      }
  }
}

TEST_CASE("the SIMD tolerance is tight enough to catch a wrong weight") {
  // One weight off by one int8 step must fail the check above.
  const cpu::Features& f = cpu::features();
  const KernelPath path = cpu::resolve(KernelPath::Auto, f);
  if (path == KernelPath::Scalar) {
    MESSAGE("skipped: no SIMD path on this CPU");
    return;
  }
  const uint64_t rows = 16, cols = 96;
  const std::vector<float> w = test::random_normal(rows * cols, 5, 1.0f), x = test::random_normal(cols, 6, 2.0f);
  planner::QuantizedMatrix q = planner::quantize_matrix(w.data(), rows, cols, Format::I8);
  std::vector<float> expected(rows), got(rows);
  ref::matvec_weights(view(q), x.data(), expected.data());
  q.bytes[3 * cols + 41] = static_cast<uint8_t>(q.bytes[3 * cols + 41] + 1);
  gemv::matvec_rows(path, view(q), prepare(path, view(q), x.data())->input, got.data(), 0, rows);
  CHECK(std::fabs(static_cast<double>(got[3]) - expected[3]) > order_tolerance(view(q), x.data(), 3));
}

// Found by fuzz_model_file: a NaN activation (from extreme weights) reached
// the int4 path's int8 input rounding, a float-to-int conversion that is
// undefined for NaN (UBSan). Now the chunk's scale is NaN and its levels 0.
TEST_CASE("int4 mat-vecs: NaN or Inf inputs give non-finite rows, not an undefined conversion") {
  const uint64_t rows = 8, cols = 128;
  const std::vector<float> w = test::random_normal(rows * cols, 21, 1.0f);
  const planner::QuantizedMatrix q = planner::quantize_matrix(w.data(), rows, cols, Format::I4, 32);
  for (const float bad : {std::nanf(""), INFINITY, -INFINITY}) {
    std::vector<float> x = test::random_normal(cols, 22, 1.0f);
    x[70] = bad;
    for (const KernelPath path : {KernelPath::Scalar, KernelPath::Avx2, KernelPath::Neon}) {
      if (!cpu::supports(path, cpu::features())) continue;
      std::vector<float> y(rows, 0.0f);
      const auto in = prepare(path, view(q), x.data());
      gemv::matvec_rows(path, view(q), in->input, y.data(), 0, rows);
      for (const float v : y) CHECK_FALSE(std::isfinite(v));  // float paths give ±Inf for an Inf input
    }
    x[70] = 0.5f;  // and the same input without it is finite
    // A chunk of subnormals only (its inverse scale overflows to Inf): finite, no undefined conversion.
    for (int i = 64; i < 96; ++i) x[static_cast<size_t>(i)] = (i % 3 - 1) * 1e-40f;
    for (const KernelPath path : {KernelPath::Scalar, KernelPath::Avx2, KernelPath::Neon}) {
      if (!cpu::supports(path, cpu::features())) continue;
      std::vector<float> y(rows, 0.0f);
      gemv::matvec_rows(path, view(q), prepare(path, view(q), x.data())->input, y.data(), 0, rows);
      for (const float v : y) CHECK(std::isfinite(v));
    }
    std::vector<float> y(rows);
    gemv::matvec_rows(KernelPath::Scalar, view(q), prepare(KernelPath::Scalar, view(q), x.data())->input, y.data(), 0,
                      rows);
    for (const float v : y) CHECK(std::isfinite(v));
  }
}

TEST_CASE("int4 input quantization: the AVX2 version writes the reference's bytes") {
  if (!cpu::supports(KernelPath::Avx2, cpu::features())) {
    MESSAGE("SKIPPED: this CPU has no AVX2; the AVX2 input quantization was not run");
    return;
  }
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  const float tiny = std::numeric_limits<float>::denorm_min();
  for (uint32_t group : {32u, 64u, 128u})
    for (uint64_t cols : {32ull, 96ull, 128ull, 288ull, 1000ull, 3072ull}) {
      if (cols < group) continue;
      CAPTURE(group);
      CAPTURE(cols);
      const uint64_t bytes = gemv::quantized_input_layout(cols, group).bytes;
      for (int variant = 0; variant < 6; ++variant) {
        CAPTURE(variant);
        std::vector<float> x(cols);
        for (float& v : x) v = normal(rng) * (variant == 1 ? 1e4f : 1.0f);
        if (variant == 2) x[cols / 2] = nan;                        // one chunk non-finite
        if (variant == 3) x[0] = -inf;
        if (variant == 4) std::fill(x.begin(), x.begin() + 32, 0.0f);  // d = 0
        if (variant == 5)  // subnormal amax: an infinite inverse, 0 x Inf = NaN levels
          for (uint64_t i = 0; i < 32; ++i) x[i] = (i % 3 == 0 ? -tiny : 0.0f);
        for (float& v : x)  // exact halves: the rounding mode decides them
          if (variant == 0 && std::fabs(v) > 2.0f) v = std::copysign(2.5f, v);
        std::vector<uint8_t> want(bytes, 0xAA), got(bytes, 0x55);
        gemv::quantize_input_ref(x.data(), cols, group, want.data());
        gemv::avx2::quantize_input(x.data(), cols, group, got.data());
        CHECK(std::memcmp(want.data(), got.data(), bytes) == 0);
      }
    }
}

TEST_CASE("row split: every row once, shares start on the alignment") {
  for (uint64_t rows : {0ull, 1ull, 15ull, 16ull, 17ull, 100ull, 65536ull})
    for (uint32_t count : {1u, 2u, 3u, 7u, 64u}) {
      uint64_t next = 0;
      for (uint32_t i = 0; i < count; ++i) {
        uint64_t b = 0, e = 0;
        split_rows(rows, 16, i, count, &b, &e);
        CHECK(b == next);
        CHECK(e >= b);
        CHECK((b % 16 == 0 || b == rows));
        next = e;
      }
      CHECK(next == rows);
    }
}

TEST_CASE("thread pool: every job runs once on every thread, many times over") {
  for (uint32_t threads : {1u, 2u, 5u}) {
    ThreadPool pool;
    REQUIRE(pool.start(threads));
    CHECK(pool.size() == threads);
    std::atomic<uint64_t> calls[8] = {};
    for (int job = 0; job < 2000; ++job)
      pool.run(
          [](const void* ctx, uint32_t index, uint32_t count) {
            auto* c = const_cast<std::atomic<uint64_t>*>(static_cast<const std::atomic<uint64_t>*>(ctx));
            if (index < count) c[index].fetch_add(1);
          },
          calls);
    for (uint32_t i = 0; i < threads; ++i) CHECK(calls[i].load() == 2000);
    pool.stop();
  }
  ThreadPool refused;
  CHECK_FALSE(refused.start(0));
  CHECK_FALSE(refused.start(RWKV_EDGE_MAX_THREADS + 1));
}

namespace {
struct SharesProbe {
  WorkShares shares;
  std::atomic<uint32_t> taken[4096] = {};
  std::atomic<uint64_t> by_thread[8] = {};
};
}  // namespace

TEST_CASE("work shares: every unit exactly once per job, on any thread count") {
  for (uint32_t threads : {1u, 2u, 5u}) {
    ThreadPool pool;
    REQUIRE(pool.start(threads));
    for (uint64_t units : {0ull, 1ull, 3ull, 4ull, 7ull, 100ull, 4096ull}) {
      CAPTURE(threads);
      CAPTURE(units);
      auto probe = std::make_unique<SharesProbe>();
      for (int job = 0; job < 20; ++job) {
        probe->shares.reset(units, threads);
        pool.run(
            [](const void* ctx, uint32_t index, uint32_t count) {
              auto& p = *const_cast<SharesProbe*>(static_cast<const SharesProbe*>(ctx));
              p.shares.take(index, count, [&](uint64_t u) { p.taken[u].fetch_add(1); });
            },
            probe.get());
      }
      bool each_twenty = true;
      for (uint64_t u = 0; u < units; ++u) each_twenty = each_twenty && probe->taken[u].load() == 20;
      CHECK(each_twenty);
      for (uint64_t u = units; u < 4096; ++u) CHECK(probe->taken[u].load() == 0);
    }
    pool.stop();
  }
}

TEST_CASE("work shares: a thread held up holds at most the unit it is in; the others take the rest") {
  ThreadPool pool;
  REQUIRE(pool.start(2));
  auto probe = std::make_unique<SharesProbe>();
  probe->shares.reset(400, 2);
  pool.run(
      [](const void* ctx, uint32_t index, uint32_t count) {
        auto& p = *const_cast<SharesProbe*>(static_cast<const SharesProbe*>(ctx));
        p.shares.take(index, count, [&](uint64_t) {
          if (index == 1 && p.by_thread[1].load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(200));
          p.by_thread[index].fetch_add(1);
        });
      },
      probe.get());
  CHECK(probe->by_thread[0].load() + probe->by_thread[1].load() == 400);
  CHECK(probe->by_thread[0].load() >= 399);  // all but the one unit the held-up thread took, if it joined at all
  pool.stop();
}

TEST_CASE("sessions: every path and thread count gives the scalar logits (float32 bit for bit)") {
  const std::vector<uint32_t> tokens = {72, 101, 108, 108, 111, 32, 119};
  const std::vector<float> fp32 = test::run_logits_on(plan_tiny("fp32"), tokens, 1, RWKV_EDGE_KERNELS_SCALAR);
  for (const char* quant : {"fp32", "int8", "int4"}) {
    CAPTURE(std::string(quant));
    const test::ModelBytes model = plan_tiny(quant);
    const std::vector<float> expected = test::run_logits_on(model, tokens, 1, RWKV_EDGE_KERNELS_SCALAR);
    // int8 sums in another order only; int4 on AVX2 also rounds x to int8
    // (gemv.h), which must stay well inside int4's own distance from float32.
    const float quant_error = test::max_abs_diff(expected, fp32);
    const float limit = std::strcmp(quant, "fp32") == 0 ? 0.0f
                        : std::strcmp(quant, "int8") == 0 ? 1e-4f
                                                          : 0.5f * quant_error;
    for (uint32_t kernels : {RWKV_EDGE_KERNELS_AUTO, RWKV_EDGE_KERNELS_AVX2, RWKV_EDGE_KERNELS_NEON})
      for (uint32_t threads : {1u, 2u, 3u}) {
        if (!cpu::supports(cpu::resolve(static_cast<KernelPath>(kernels), cpu::features()), cpu::features()))
          continue;
        CAPTURE(kernels);
        CAPTURE(threads);
        const std::vector<float> got = test::run_logits_on(model, tokens, threads, kernels);
        REQUIRE(got.size() == expected.size());
        const float d = test::max_abs_diff(got, expected);
        CHECK(d <= limit);
        if (threads == 1 && kernels != RWKV_EDGE_KERNELS_AUTO)
          MESSAGE(std::string(quant) << " " << std::string(rwkv_edge_kernels_name(kernels)) << ": max |logit - scalar| " << d
                        << " (" << std::string(quant) << " vs float32: " << quant_error << ")");
      }
  }
}

TEST_CASE("a forced kernel path the CPU lacks, or a bad thread count, is refused at init") {
  const test::ModelBytes model = plan_tiny("int8");
  const KernelPath missing = cpu::supports(KernelPath::Avx2, cpu::features()) ? KernelPath::Neon : KernelPath::Avx2;
  rwkv_edge_status st = test::try_init(model, 1, static_cast<uint32_t>(missing));
  CHECK(st.code == RWKV_EDGE_UNSUPPORTED);
  CHECK(std::string(st.message).find(cpu::name(missing)) != std::string::npos);
  st = test::try_init(model, RWKV_EDGE_MAX_THREADS + 1, RWKV_EDGE_KERNELS_AUTO);
  CHECK(st.code == RWKV_EDGE_INVALID_ARGUMENT);
  st = test::try_init(model, 1, 99);
  CHECK(st.code == RWKV_EDGE_INVALID_ARGUMENT);
  CHECK(test::try_init(model, RWKV_EDGE_MAX_THREADS, RWKV_EDGE_KERNELS_SCALAR).code == RWKV_EDGE_OK);
}


TEST_CASE("mat-vec batches: a v7 layer's mix-reading mat-vecs run as one job, dependent ones never") {
  const test::ModelBytes bytes = test::plan_to_bytes(test::data_path("mini-v7.pth"));
  VerifiedModel vm;
  REQUIRE(verify_model(bytes.data(), bytes.size, false, &vm).code == RWKV_EDGE_OK);
  const auto& g = *vm.model->graph();
  std::vector<uint32_t> sizes;
  plan_matvec_batches(*vm.model, [&](uint32_t first, uint32_t size) {
    CHECK(first == std::accumulate(sizes.begin(), sizes.end(), 0u));
    sizes.push_back(size);
    // No member reads a buffer another member writes.
    for (uint32_t a = first; a < first + size; ++a)
      for (uint32_t b = first; b < first + size; ++b)
        if (a != b) CHECK(g.Get(a)->inputs()->Get(1)->index() != g.Get(b)->outputs()->Get(0));
  });
  // Layer 0: r, w1, k, v, a1, g1, then w2, a2, g2; layer 1 adds v1 and v2.
  CHECK(std::count(sizes.begin(), sizes.end(), 6u) == 1);
  CHECK(std::count(sizes.begin(), sizes.end(), 3u) == 1);
  CHECK(std::count(sizes.begin(), sizes.end(), 7u) == 1);
  CHECK(std::count(sizes.begin(), sizes.end(), 4u) == 1);
  CHECK(std::accumulate(sizes.begin(), sizes.end(), 0u) == g.size());
}

}  // namespace rwkv_edge

TEST_CASE("thread pool on a busy CPU: the caller runs a worker's part instead of waiting for it") {
  // One CPU for the caller and its worker: the worker cannot run while the
  // caller does, as when another process holds the other cores. Each job must
  // still run every index once, and cost about what one thread's does, not a
  // wake-up and a time slice.
  cpu_set_t before, one;
  REQUIRE(sched_getaffinity(0, sizeof before, &before) == 0);
  CPU_ZERO(&one);
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &before)) {
      CPU_SET(c, &one);
      break;
    }
  REQUIRE(sched_setaffinity(0, sizeof one, &one) == 0);  // the workers started below inherit it
  const auto time_jobs = [](uint32_t threads, std::atomic<uint64_t>* calls) {
    rwkv_edge::ThreadPool pool;
    REQUIRE(pool.start(threads));
    const auto start = std::chrono::steady_clock::now();
    for (int job = 0; job < 2000; ++job)
      pool.run(
          [](const void* ctx, uint32_t index, uint32_t) {
            auto* c = const_cast<std::atomic<uint64_t>*>(static_cast<const std::atomic<uint64_t>*>(ctx));
            c[index].fetch_add(1);
          },
          calls);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    pool.stop();
    return seconds;
  };
  std::atomic<uint64_t> one_calls[2] = {}, two_calls[2] = {};
  double alone = 1e9, shared = 1e9;
  for (int round = 0; round < 3; ++round) {  // the best of three: another process may take the CPU for a while
    alone = std::min(alone, time_jobs(1, one_calls));
    shared = std::min(shared, time_jobs(2, two_calls));
  }
  REQUIRE(sched_setaffinity(0, sizeof before, &before) == 0);
  CHECK(two_calls[0].load() == 6000);
  CHECK(two_calls[1].load() == 6000);  // index 1 ran every time, on the worker or on the caller
  MESSAGE("2000 jobs on one CPU: " << alone * 1e3 << " ms with one thread, " << shared * 1e3 << " ms with two");
  CHECK(shared < 0.05);  // measured 0.04 ms; a pool that waited for the worker took 1,900 ms
}
