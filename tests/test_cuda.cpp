// The CUDA backend through the C API: conformance against the official
// logits and the CPU path, state and prefill, and the refusals. Without a
// CUDA device (or in a build without the backend) the GPU cases skip with a
// note and only the refusal is checked. The kernels one by one:
// test_cuda_kernels.cpp.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>

#include "test_support.h"

using namespace rwkv_edge::test;

namespace {

constexpr float kFp32Tolerance = 1e-4f;
constexpr float kFp16Tolerance = 1e-2f;
const char* kVersions[] = {"v4", "v5", "v5.2", "v6", "v7", "v4-fp16", "v5.2-bf16", "v6-bf16"};

bool skip_without_device() {
  const std::string why = cuda_unavailable_reason();
  if (why.empty()) return false;
  static bool told = false;
  if (!told) std::printf("SKIPPED (GPU cases): %s\n", why.c_str());
  told = true;
  return true;
}

}  // namespace

TEST_CASE("a CUDA session that cannot start is refused with the reason, and bad backends are refused") {
  const ModelBytes model = plan_to_bytes(data_path("mini-v5.2.pth"));
  size_t need = 0;
  REQUIRE(rwkv_edge_arena_size_required(model.data(), model.size, &need).code == RWKV_EDGE_OK);
  ArenaBuffer arena(need);
  rwkv_edge_options opts;
  rwkv_edge_default_options(&opts);
  rwkv_edge_session* s = nullptr;
  opts.backend = 7;
  rwkv_edge_status st = rwkv_edge_init(model.data(), model.size, arena.ptr, need, &opts, &s);
  CHECK(st.code == RWKV_EDGE_INVALID_ARGUMENT);
  CHECK(s == nullptr);
  opts.backend = RWKV_EDGE_BACKEND_CUDA;
  opts.cuda_device = 1000;
  st = rwkv_edge_init(model.data(), model.size, arena.ptr, need, &opts, &s);
  CHECK(st.code != RWKV_EDGE_OK);
  CHECK(s == nullptr);
  CHECK_MESSAGE(std::strstr(st.message, "CUDA") != nullptr, st.message);
  if (!cuda_unavailable_reason().empty()) {
    CHECK(rwkv_edge_code_name(st.code) == std::string("unsupported"));
    std::printf("  refused as expected here: %s\n", st.message);
  } else {
    CHECK(st.code == RWKV_EDGE_INVALID_ARGUMENT);  // a device exists, not that one
  }
}

TEST_CASE("device bytes are known without a GPU: weights, planned arena and token slot, 256-byte aligned") {
  const ModelBytes model = plan_to_bytes(data_path("mini-v6.pth"));
  size_t need = 0, arena = 0;
  REQUIRE(rwkv_edge_cuda_bytes_required(model.data(), model.size, &need).code == RWKV_EDGE_OK);
  REQUIRE(rwkv_edge_arena_size_required(model.data(), model.size, &arena).code == RWKV_EDGE_OK);
  CHECK(need % 256 == 0);
  CHECK(need > 256);
  CHECK(rwkv_edge_cuda_bytes_required(model.data(), model.size / 2, &need).code == RWKV_EDGE_BAD_MODEL);
  CHECK(rwkv_edge_cuda_bytes_required(model.data(), model.size, nullptr).code == RWKV_EDGE_INVALID_ARGUMENT);
}

TEST_CASE("CUDA fp32 path matches the official logits of every committed fixture") {
  if (skip_without_device()) return;
  const auto tokens = parse_tokens(mini_tokens());
  for (const char* v : kVersions) {
    const std::string base = data_path(std::string("mini-") + v);
    const ModelBytes model = plan_to_bytes(base + ".pth");
    const float d = max_abs_diff(run_logits_cuda(model, tokens), read_floats(base + ".official-logits.bin"));
    const float cpu = max_abs_diff(run_logits_cuda(model, tokens), run_logits(model, tokens, false));
    std::printf("  cuda fp32 %-10s max|d| official %.3g, CPU %.3g\n", v, d, cpu);
    CHECK(d <= kFp32Tolerance);
  }
}

TEST_CASE("CUDA on the shared tiny and random models: fp32 <= 1e-4, fp16 weights <= 1e-2") {
  if (skip_without_device()) return;
  if (!shared_available()) return;
  const auto tiny = parse_tokens("34,105,110,32,116,104,101,32,109,111,114,110,105,110,103,44");
  for (const char* m : {"4v0-660K", "5v1-730K", "5v2-730K", "6v0-3m-dq", "7v0-834K"}) {
    const std::string base = shared_path(std::string("tiny/tiny-rwkv-") + m);
    const auto official = read_floats(base + ".official-logits.bin");
    const float d32 = max_abs_diff(run_logits_cuda(plan_to_bytes(base + ".pth"), tiny), official);
    rwkv_edge::planner::PlanOptions fp16;
    fp16.quant.segments = {{rwkv_edge::planner::parse_weight_choice("fp16"), 0}};
    const float d16 = max_abs_diff(run_logits_cuda(plan_to_bytes(base + ".pth", fp16), tiny), official);
    std::printf("  cuda tiny %-10s fp32 %.3g fp16 %.3g\n", m, d32, d16);
    CHECK(d32 <= kFp32Tolerance);
    CHECK(d16 <= kFp16Tolerance);
  }
}

TEST_CASE("mixed placement: CUDA layers then CPU layers give the CPU's logits, state included") {
  if (skip_without_device()) return;
  const auto tokens = parse_tokens(mini_tokens());
  for (const char* v : {"v4", "v5.2", "v6", "v7"}) {
    CAPTURE(v);
    const std::string base = data_path(std::string("mini-") + v);
    rwkv_edge::planner::PlanOptions o;
    o.quant.segments = rwkv_edge::planner::parse_strategy("cuda fp32 *1 -> cpu fp32");
    o.calibration = "none";
    const float d = max_abs_diff(run_logits_cuda(plan_to_bytes(base + ".pth", o), tokens),
                                 read_floats(base + ".official-logits.bin"));
    std::printf("  cuda *1 -> cpu %-6s max|d| official %.3g\n", v, d);
    CHECK(d <= kFp32Tolerance);
  }
}

TEST_CASE("CUDA state: save, restore and prefill give the CPU's logits") {
  if (skip_without_device()) return;
  const ModelBytes model = plan_to_bytes(data_path("mini-v7.pth"));
  const auto tokens = parse_tokens(mini_tokens());
  rwkv_edge_options opts;
  rwkv_edge_default_options(&opts);
  opts.backend = RWKV_EDGE_BACKEND_CUDA;
  Session session(model, opts);
  rwkv_edge_session* s = session.s;
  const rwkv_edge_info& info = session.info;
  CHECK(info.backend == RWKV_EDGE_BACKEND_CUDA);
  CHECK(info.device_bytes >= info.weight_bytes);
  const size_t half = tokens.size() / 2;
  const float* logits = nullptr;
  REQUIRE(rwkv_edge_prefill(s, tokens.data(), half, &logits).code == RWKV_EDGE_OK);
  std::vector<uint8_t> saved(rwkv_edge_state_bytes(s));
  REQUIRE(rwkv_edge_state_save(s, saved.data(), saved.size()).code == RWKV_EDGE_OK);
  std::vector<float> first, second;
  for (size_t i = half; i < tokens.size(); ++i) {
    REQUIRE(rwkv_edge_step(s, tokens[i], &logits).code == RWKV_EDGE_OK);
    first.insert(first.end(), logits, logits + info.vocab_size);
  }
  REQUIRE(rwkv_edge_state_restore(s, saved.data(), saved.size()).code == RWKV_EDGE_OK);
  for (size_t i = half; i < tokens.size(); ++i) {
    REQUIRE(rwkv_edge_step(s, tokens[i], &logits).code == RWKV_EDGE_OK);
    second.insert(second.end(), logits, logits + info.vocab_size);
  }
  CHECK(first == second);
  const auto cpu = run_logits(model, tokens, false);
  const std::vector<float> cpu_tail(cpu.begin() + static_cast<long>(half * info.vocab_size), cpu.end());
  CHECK(max_abs_diff(first, cpu_tail) <= kFp32Tolerance);
  // An out-of-range token changes nothing on the device either.
  CHECK(rwkv_edge_step(s, info.vocab_size, &logits).code == RWKV_EDGE_TOKEN_OUT_OF_RANGE);
}
