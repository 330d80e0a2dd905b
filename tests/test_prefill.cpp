// Sequence mode (chunked prefill) against step mode: every fixture and
// version, chunks that divide the prompt and chunks that do not, one and two
// threads, every kernel path. Float32 must be bit for bit (prefill.cpp);
// quantized within 1e-4. Also the state it leaves, and its refusals.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "cpu_features.h"
#include "matmul_i8.h"
#include "planner.h"
#include "test_support.h"

namespace rwkv_edge {
namespace {

using test::ModelBytes;

constexpr float kQuantizedTolerance = 1e-4f;
const char* kTinyTokens = "34,105,110,32,116,104,101,32,109,111,114,110,105,110,103,44,32,73,32,119,111,107,101";
const char* kMiniTokens = "1,5,0,23,7,7,12,3,19,2,11,4,9,8,6,1,0,22,13";  // the mini fixtures have 24 tokens
const char* kRandomTokens = "1,2,3,250,7,0,299,42,42,42,100,5,17,256,128,64,9,11,13";

ModelBytes plan(const std::string& checkpoint, uint32_t max_chunk, const std::string& quant = "fp32") {
  planner::PlanOptions o;
  o.max_chunk = max_chunk;
  o.quant.segments = {{planner::parse_weight_choice(quant), 0}};
  o.calibration = "none";
  return test::plan_to_bytes(checkpoint, o);
}

// Every chunking and thread count gives the step logits.
void check_sequence_equals_steps(const std::string& checkpoint, const std::vector<uint32_t>& tokens) {
  const std::string name = checkpoint.substr(checkpoint.find_last_of('/') + 1);
  for (const char* quant : {"fp32", "int8"}) {
    const bool exact = std::strcmp(quant, "fp32") == 0;
    for (uint32_t chunk : {1u, 4u, 7u, 32u}) {
      const ModelBytes m = plan(checkpoint, chunk, quant);
      for (uint32_t threads : {1u, 2u})
        for (uint32_t kernels : {uint32_t{RWKV_EDGE_KERNELS_SCALAR}, uint32_t{RWKV_EDGE_KERNELS_AUTO}}) {
          CAPTURE(name);
          CAPTURE(std::string(quant));
          CAPTURE(chunk);
          CAPTURE(threads);
          CAPTURE(kernels);
          const auto steps = test::run_logits_on(m, tokens, threads, kernels);
          const auto seq = test::run_sequence_logits(m, tokens, threads, kernels);
          const float d = test::max_abs_diff(steps, seq);
          if (exact)
            CHECK(d == 0.0f);
          else
            CHECK(d <= kQuantizedTolerance);
        }
    }
  }
  std::printf("  prefill == steps: %s\n", name.c_str());
}

struct Session {
  explicit Session(const ModelBytes& m) : model(m) {
    REQUIRE(rwkv_edge_arena_size_required(m.data(), m.size, &need).code == RWKV_EDGE_OK);
    arena = std::make_unique<test::ArenaBuffer>(need);
    const rwkv_edge_status st = rwkv_edge_init(m.data(), m.size, arena->ptr, need, nullptr, &s);
    REQUIRE_MESSAGE(st.code == RWKV_EDGE_OK, st.message);
  }
  ~Session() { rwkv_edge_release(s); }
  std::vector<uint8_t> state() const {
    std::vector<uint8_t> out(rwkv_edge_state_bytes(s));
    REQUIRE(rwkv_edge_state_save(s, out.data(), out.size()).code == RWKV_EDGE_OK);
    return out;
  }
  const ModelBytes& model;
  size_t need = 0;
  std::unique_ptr<test::ArenaBuffer> arena;
  rwkv_edge_session* s = nullptr;
};

}  // namespace

TEST_CASE("sequence mode equals step mode on the committed mini fixtures (every version)") {
  for (const char* v : {"v4", "v5", "v5.2", "v6", "v7", "v6-bf16"})
    check_sequence_equals_steps(test::data_path(std::string("mini-") + v + ".pth"), test::parse_tokens(kMiniTokens));
}

TEST_CASE("sequence mode equals step mode on the shared tiny and random models") {
  if (!test::shared_available()) return;
  for (const char* m : {"4v0-660K", "5v1-730K", "5v2-730K", "6v0-3m-dq", "7v0-834K"})
    check_sequence_equals_steps(test::shared_path(std::string("tiny/tiny-rwkv-") + m + ".pth"),
                                test::parse_tokens(kTinyTokens));
  for (const char* v : {"4", "5", "5.2", "6", "7"})
    check_sequence_equals_steps(test::shared_path(std::string("random/rand-v") + v + ".pth"),
                                test::parse_tokens(kRandomTokens));
}

TEST_CASE("prefill leaves the state n steps leave, and its logits are the last step's") {
  const ModelBytes m = plan(test::data_path("mini-v7.pth"), 5);
  const std::vector<uint32_t> tokens = test::parse_tokens(kMiniTokens);
  Session a(m), b(m);
  CHECK(rwkv_edge_max_chunk(a.s) == 5);
  const float* last_step = nullptr;
  for (uint32_t t : tokens) REQUIRE(rwkv_edge_step(a.s, t, &last_step).code == RWKV_EDGE_OK);
  const float* prefilled = nullptr;
  REQUIRE(rwkv_edge_prefill(b.s, tokens.data(), tokens.size(), &prefilled).code == RWKV_EDGE_OK);
  CHECK(a.state() == b.state());
  CHECK(std::memcmp(last_step, prefilled, 24 * sizeof(float)) == 0);
  // And the next step goes on from the same place.
  REQUIRE(rwkv_edge_step(a.s, 17, &last_step).code == RWKV_EDGE_OK);
  REQUIRE(rwkv_edge_step(b.s, 17, &prefilled).code == RWKV_EDGE_OK);
  CHECK(std::memcmp(last_step, prefilled, 24 * sizeof(float)) == 0);
}

TEST_CASE("prefill refuses a bad id anywhere and leaves the state untouched; no tokens is refused") {
  const ModelBytes m = plan(test::data_path("mini-v5.2.pth"), 4);
  Session a(m);
  const uint32_t warm[] = {1, 2, 3};
  REQUIRE(rwkv_edge_prefill(a.s, warm, 3, nullptr).code == RWKV_EDGE_OK);
  const auto before = a.state();
  const uint32_t bad[] = {5, 6, 7, 8, 9, 10, 24};  // the bad id sits in the second chunk
  const rwkv_edge_status st = rwkv_edge_prefill(a.s, bad, 7, nullptr);
  CHECK(st.code == RWKV_EDGE_TOKEN_OUT_OF_RANGE);
  CHECK(std::string(st.message).find("position 6") != std::string::npos);
  CHECK(a.state() == before);
  CHECK(rwkv_edge_prefill(a.s, bad, 0, nullptr).code == RWKV_EDGE_INVALID_ARGUMENT);
  CHECK(rwkv_edge_prefill(a.s, nullptr, 3, nullptr).code == RWKV_EDGE_INVALID_ARGUMENT);
  CHECK(rwkv_edge_prefill_each(a.s, warm, 3, nullptr, nullptr).code == RWKV_EDGE_INVALID_ARGUMENT);
  CHECK(rwkv_edge_prefill(nullptr, warm, 3, nullptr).code == RWKV_EDGE_INVALID_ARGUMENT);
}

TEST_CASE("a plan without sequence mode prefills a step per token, with a smaller arena") {
  const ModelBytes none = plan(test::data_path("mini-v6.pth"), 0), some = plan(test::data_path("mini-v6.pth"), 16);
  size_t need_none = 0, need_some = 0;
  REQUIRE(rwkv_edge_arena_size_required(none.data(), none.size, &need_none).code == RWKV_EDGE_OK);
  REQUIRE(rwkv_edge_arena_size_required(some.data(), some.size, &need_some).code == RWKV_EDGE_OK);
  CHECK(need_none < need_some);
  const std::vector<uint32_t> tokens = test::parse_tokens(kMiniTokens);
  CHECK(test::max_abs_diff(test::run_sequence_logits(none, tokens, 1, RWKV_EDGE_KERNELS_AUTO),
                           test::run_sequence_logits(some, tokens, 1, RWKV_EDGE_KERNELS_AUTO)) == 0.0f);
  Session a(none);
  CHECK(rwkv_edge_max_chunk(a.s) == 0);
}

// Mean over tokens of KL(softmax(p) || softmax(q)), in nats.
double mean_kl(const std::vector<float>& p, const std::vector<float>& q, uint64_t vocab) {
  double total = 0.0;
  const uint64_t rows = p.size() / vocab;
  for (uint64_t t = 0; t < rows; ++t) {
    const float* a = p.data() + t * vocab;
    const float* b = q.data() + t * vocab;
    double ma = a[0], mb = b[0];
    for (uint64_t i = 1; i < vocab; ++i) ma = std::max<double>(ma, a[i]), mb = std::max<double>(mb, b[i]);
    double za = 0.0, zb = 0.0;
    for (uint64_t i = 0; i < vocab; ++i) za += std::exp(a[i] - ma), zb += std::exp(b[i] - mb);
    double kl = 0.0;
    for (uint64_t i = 0; i < vocab; ++i) {
      const double la = a[i] - ma - std::log(za), lb = b[i] - mb - std::log(zb);
      kl += std::exp(la) * (la - lb);
    }
    total += kl;
  }
  return total / static_cast<double>(rows);
}

// RWKV_EDGE_PREFILL_INPUTS_INT8 on an int8 plan: every int8 product but the
// head runs on integers; the result does not depend on the thread count;
// and on a trained model, rounding the inputs moves the predicted
// distributions by under kMaxInputsKl on average (the measured figures go
// to docs/numerics.md, with what it costs in bits per byte on text). The
// random mini models are chaotic, so for them it is only reported.
constexpr double kMaxInputsKl = 2e-3;  // nats per token; measured 1e-6 .. 1e-3

void check_int8_inputs(const std::string& checkpoint, const std::vector<uint32_t>& tokens, bool trained) {
  const std::string name = checkpoint.substr(checkpoint.find_last_of('/') + 1);
  CAPTURE(name);
  const ModelBytes m = plan(checkpoint, 7, "int8"), f = plan(checkpoint, 7, "fp32");
  const auto exact = test::run_logits_on(f, tokens, 1, RWKV_EDGE_KERNELS_AUTO);
  const auto steps = test::run_logits_on(m, tokens, 1, RWKV_EDGE_KERNELS_AUTO);
  uint32_t int8_ops = 0, float_ops = 0;
  const auto one = test::run_sequence_logits(m, tokens, 1, RWKV_EDGE_KERNELS_AUTO, RWKV_EDGE_PREFILL_INPUTS_INT8, &int8_ops);
  const auto two = test::run_sequence_logits(m, tokens, 2, RWKV_EDGE_KERNELS_AUTO, RWKV_EDGE_PREFILL_INPUTS_INT8);
  const auto floats = test::run_sequence_logits(m, tokens, 1, RWKV_EDGE_KERNELS_AUTO, RWKV_EDGE_PREFILL_INPUTS_FLOAT, &float_ops);
  CHECK(float_ops == 0);
  CHECK(test::max_abs_diff(one, two) == 0.0f);
  // The scalar path has no integer kernel, so it keeps floats.
  const auto scalar = test::run_sequence_logits(m, tokens, 1, RWKV_EDGE_KERNELS_SCALAR, RWKV_EDGE_PREFILL_INPUTS_INT8,
                                                &float_ops);
  CHECK(float_ops == 0);
  CHECK(test::max_abs_diff(scalar, test::run_logits_on(m, tokens, 1, RWKV_EDGE_KERNELS_SCALAR)) <= kQuantizedTolerance);
  if (!matmul::has_integer_kernel(cpu::resolve(cpu::KernelPath::Auto, cpu::features()))) {
    CHECK(int8_ops == 0);
    MESSAGE("skipped the integer products' accuracy: no AVX2 or SDOT, so int8 prefill inputs keep floats here");
    return;
  }
  CHECK(int8_ops > 0);
  CHECK(test::max_abs_diff(steps, floats) <= kQuantizedTolerance);
  CHECK(test::max_abs_diff(steps, one) > kQuantizedTolerance);  // the option took effect
  const uint64_t vocab = steps.size() / tokens.size();
  const double weights_kl = mean_kl(exact, steps, vocab), inputs_kl = mean_kl(steps, one, vocab);
  if (trained) CHECK(inputs_kl < kMaxInputsKl);
  std::printf("  int8 prefill inputs: %s: %u integer products; KL from rounding inputs %.2e nats/token, "
              "from int8 weights %.2e\n", name.c_str(), int8_ops, inputs_kl, weights_kl);
}

TEST_CASE("int8 prefill inputs: integer products on int8 matrices, independent of threads, near the steps") {
  const std::vector<uint32_t> mini = test::parse_tokens(kMiniTokens);
  for (const char* v : {"v4", "v5", "v5.2", "v6", "v7"})
    check_int8_inputs(test::data_path(std::string("mini-") + v + ".pth"), mini, false);
  check_int8_inputs(std::string(RWKV_EDGE_MODELS) + "/tiny-rwkv-5v2-730K-FP16.bin", test::parse_tokens(kTinyTokens), true);
  if (!test::shared_available()) return;
  for (const char* m : {"4v0-660K", "5v1-730K", "6v0-3m-dq", "7v0-834K"})
    check_int8_inputs(test::shared_path(std::string("tiny/tiny-rwkv-") + m + ".pth"), test::parse_tokens(kTinyTokens),
                      true);
}

TEST_CASE("int8 prefill inputs leave float plans exact; a bad option value is refused") {
  const ModelBytes m = plan(test::data_path("mini-v7.pth"), 4);
  const std::vector<uint32_t> tokens = test::parse_tokens(kMiniTokens);
  uint32_t int8_ops = 1;
  CHECK(test::max_abs_diff(test::run_logits_on(m, tokens, 1, RWKV_EDGE_KERNELS_AUTO),
                           test::run_sequence_logits(m, tokens, 1, RWKV_EDGE_KERNELS_AUTO, RWKV_EDGE_PREFILL_INPUTS_INT8,
                                                     &int8_ops)) == 0.0f);
  CHECK(int8_ops == 0);
  size_t need = 0;
  REQUIRE(rwkv_edge_arena_size_required(m.data(), m.size, &need).code == RWKV_EDGE_OK);
  test::ArenaBuffer arena(need);
  rwkv_edge_options opts;
  rwkv_edge_default_options(&opts);
  CHECK(opts.prefill_inputs == RWKV_EDGE_PREFILL_INPUTS_FLOAT);
  opts.prefill_inputs = 2;
  rwkv_edge_session* s = nullptr;
  const rwkv_edge_status st = rwkv_edge_init(m.data(), m.size, arena.ptr, need, &opts, &s);
  CHECK(st.code == RWKV_EDGE_INVALID_ARGUMENT);
  CHECK(std::string(st.message).find("prefill_inputs") != std::string::npos);
  CHECK(s == nullptr);
}

TEST_CASE("the planner refuses a chunk above the limit") {
  CHECK_THROWS_WITH_AS(plan(test::data_path("mini-v4.pth"), 5000), doctest::Contains("--max-chunk"),
                       std::exception);
}

}  // namespace rwkv_edge
