// Proves the no-heap promise: every allocation function of the process is
// replaced by a counting one (tools/heap_counter.cpp, as `bench` uses), and
// nothing may allocate from the end of init through 1,000 steps and a state
// save/restore.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "heap_counter.h"
#include "quant_strategy.h"
#include "test_support.h"

using namespace rwkv_edge::test;


namespace {

// Sanitizer builds keep their own allocator: nothing is counted there.
bool counting() {
  if (!rwkv_edge::cli::heap_counting_available()) MESSAGE("skipped: allocations are not counted in sanitizer builds");
  return rwkv_edge::cli::heap_counting_available();
}

long steps_allocations(const ModelBytes& model, bool use_onednn, uint32_t* onednn_ops = nullptr,
                       uint32_t threads = 1, uint32_t backend = RWKV_EDGE_BACKEND_CPU,
                       uint32_t prefill_inputs = RWKV_EDGE_PREFILL_INPUTS_FLOAT) {
  rwkv_edge_options opts;
  rwkv_edge_default_options(&opts);
  opts.prefill_inputs = prefill_inputs;
  opts.use_onednn = use_onednn;
  opts.n_threads = threads;
  opts.backend = backend;
  Session session(model, opts);
  rwkv_edge_session* s = session.s;
  const rwkv_edge_info& info = session.info;
  std::vector<uint8_t> saved(rwkv_edge_state_bytes(s)), file(rwkv_edge_state_file_bytes(s));
  std::vector<uint32_t> prompt(70);  // several chunks and a partial one
  for (uint32_t i = 0; i < prompt.size(); ++i) prompt[i] = (i * 5 + 1) % info.vocab_size;
  const long before = static_cast<long>(rwkv_edge::cli::heap_allocations());
  const float* logits = nullptr;
  bool ok = true;
  for (uint32_t i = 0; i < 1000; ++i) ok &= rwkv_edge_step(s, (i * 7) % info.vocab_size, &logits).code == RWKV_EDGE_OK;
  ok &= rwkv_edge_state_save(s, saved.data(), saved.size()).code == RWKV_EDGE_OK;
  ok &= rwkv_edge_step(s, 1, &logits).code == RWKV_EDGE_OK;
  ok &= rwkv_edge_state_restore(s, saved.data(), saved.size()).code == RWKV_EDGE_OK;
  ok &= rwkv_edge_state_export(s, file.data(), file.size()).code == RWKV_EDGE_OK;
  ok &= rwkv_edge_state_import(s, file.data(), file.size()).code == RWKV_EDGE_OK;
  file[70] ^= 1;
  ok &= rwkv_edge_state_import(s, file.data(), file.size()).code == RWKV_EDGE_BAD_STATE;
  rwkv_edge_state_reset(s);
  ok &= rwkv_edge_step(s, info.vocab_size, &logits).code == RWKV_EDGE_TOKEN_OUT_OF_RANGE;  // error path too
  ok &= rwkv_edge_prefill(s, prompt.data(), prompt.size(), &logits).code == RWKV_EDGE_OK;
  ok &= rwkv_edge_prefill_each(s, prompt.data(), prompt.size(), [](void*, size_t, const float*) {}, nullptr).code ==
        RWKV_EDGE_OK;
  prompt.back() = info.vocab_size;
  ok &= rwkv_edge_prefill(s, prompt.data(), prompt.size(), &logits).code == RWKV_EDGE_TOKEN_OUT_OF_RANGE;
  const long after = static_cast<long>(rwkv_edge::cli::heap_allocations());
  CHECK(ok);
  if (onednn_ops != nullptr) *onednn_ops = info.n_onednn_ops;
  std::printf("  allocations after init over 1,000 steps + save/restore + prefills (%s, %s kernels, %u threads): %ld "
              "(oneDNN ops: %u, int8 prefill products: %u)\n",
              use_onednn ? "oneDNN" : "own", rwkv_edge_kernels_name(info.kernels), info.n_threads, after - before,
              info.n_onednn_ops, info.n_prefill_int8_ops);
  return after - before;
}

}  // namespace

TEST_CASE("zero allocations after init: committed v7 mini model") {
  if (!counting()) return;
  const ModelBytes model = plan_to_bytes(data_path("mini-v7.pth"));
  CHECK(steps_allocations(model, false) == 0);
  CHECK(steps_allocations(model, true) == 0);
}

TEST_CASE("zero allocations after init: every weight format (v6 mini, mixed strategy)") {
  if (!counting()) return;
  rwkv_edge::planner::PlanOptions o;
  o.quant.segments = rwkv_edge::planner::parse_strategy("int4 *1 -> int8");
  o.quant.head = rwkv_edge::planner::parse_weight_choice("int8-minmax");
  o.quant.emb = rwkv_edge::planner::parse_weight_choice("bf16");
  CHECK(steps_allocations(plan_to_bytes(data_path("mini-v6.pth"), o), false) == 0);
  o.quant.segments = rwkv_edge::planner::parse_strategy("fp16");
  CHECK(steps_allocations(plan_to_bytes(data_path("mini-v6.pth"), o), false) == 0);
}

TEST_CASE("zero allocations after init on the CUDA backend: all on the GPU, and GPU then CPU (v7 mini)") {
  if (!counting()) return;
  if (const std::string why = cuda_unavailable_reason(); !why.empty()) {
    MESSAGE("skipped: " << why);
    return;
  }
  CHECK(steps_allocations(plan_to_bytes(data_path("mini-v7.pth")), false, nullptr, 1, RWKV_EDGE_BACKEND_CUDA) == 0);
  rwkv_edge::planner::PlanOptions o;
  o.quant.segments = rwkv_edge::planner::parse_strategy("cuda fp32 *1 -> cpu fp32");
  CHECK(steps_allocations(plan_to_bytes(data_path("mini-v7.pth"), o), false, nullptr, 2, RWKV_EDGE_BACKEND_CUDA) == 0);
}

TEST_CASE("zero allocations after init on a model with oneDNN-sized matrices (shared random v5)") {
  if (!counting()) return;
  if (!shared_available()) return;
  rwkv_edge::planner::PlanOptions o;
  o.onednn_scratch_host = true;
  const ModelBytes model = plan_to_bytes(shared_path("random/rand-v5.pth"), o);
  CHECK(steps_allocations(model, false) == 0);  // the default path
  // Opting into oneDNN binds its primitives, and oneDNN 2.6 then allocates on
  // every execute (its argument map): measured and reported, which is why it is off by default.
  uint32_t onednn_ops = 0;
  const long with_onednn = steps_allocations(model, true, &onednn_ops);
  CHECK(onednn_ops > 0);
  MESSAGE("oneDNN opt-in: " << with_onednn << " allocations over 1,000 steps");
}

TEST_CASE("zero allocations after init with the thread pool splitting every mat-vec (tiny-rwkv-5v2)") {
  if (!counting()) return;
  for (const char* quant : {"fp32", "int8", "int4"}) {
    rwkv_edge::planner::PlanOptions o;
    o.quant.segments = {{rwkv_edge::planner::parse_weight_choice(quant), 0}};
    o.calibration = "none";
    const ModelBytes model = plan_to_bytes(std::string(RWKV_EDGE_MODELS) + "/tiny-rwkv-5v2-730K-FP16.bin", o);
    CHECK(steps_allocations(model, false, nullptr, 2) == 0);
    CHECK(steps_allocations(model, false, nullptr, 2, RWKV_EDGE_BACKEND_CPU, RWKV_EDGE_PREFILL_INPUTS_INT8) == 0);
  }
  // More threads than this 2-core machine has: slow (the split is static),
  // but still no allocation.
  {
    rwkv_edge::planner::PlanOptions o;
    o.quant.segments = {{rwkv_edge::planner::parse_weight_choice("int8"), 0}};
    const ModelBytes model = plan_to_bytes(std::string(RWKV_EDGE_MODELS) + "/tiny-rwkv-5v2-730K-FP16.bin", o);
    CHECK(steps_allocations(model, false, nullptr, 3) == 0);
  }
}

TEST_CASE("zero allocations in a generation loop: tokenize, step, sample, decode (tiny-rwkv-5v2)") {
  if (!counting()) return;
  rwkv_edge::planner::PlanOptions o;
  o.calibration = "none";
  const ModelBytes model = plan_to_bytes(std::string(RWKV_EDGE_MODELS) + "/tiny-rwkv-5v2-730K-FP16.bin", o);
  size_t need = 0;
  REQUIRE(rwkv_edge_arena_size_required(model.data(), model.size, &need).code == RWKV_EDGE_OK);
  ArenaBuffer arena(need);
  rwkv_edge_session* s = nullptr;
  REQUIRE(rwkv_edge_init(model.data(), model.size, arena.ptr, need, nullptr, &s).code == RWKV_EDGE_OK);
  rwkv_edge_tokenizer tok;
  REQUIRE(rwkv_edge_tokenizer_from_model(model.data(), model.size, &tok).code == RWKV_EDGE_OK);
  rwkv_edge_sampler_params params;
  rwkv_edge_sampler_default_params(&params);
  ArenaBuffer sampler_memory(rwkv_edge_sampler_memory_bytes(tok.vocab_size));
  rwkv_edge_sampler* sampler = nullptr;
  REQUIRE(rwkv_edge_sampler_init(&params, tok.vocab_size, &tok, sampler_memory.ptr, sampler_memory.size, &sampler).code ==
          RWKV_EDGE_OK);
  static const char kPrompt[] = "In the morning, the market";
  uint32_t ids[64];
  char text[512];
  size_t text_bytes = 0;
  const long before = static_cast<long>(rwkv_edge::cli::heap_allocations());
  size_t n = 0, consumed = 0;
  bool ok = rwkv_edge_tokenize(&tok, kPrompt, sizeof kPrompt - 1, ids, 64, &n, &consumed).code == RWKV_EDGE_OK;
  const float* logits = nullptr;
  ok &= rwkv_edge_prefill(s, ids, n, &logits).code == RWKV_EDGE_OK;
  for (int i = 0; i < 200 && ok; ++i) {
    uint32_t token = 0;
    ok &= rwkv_edge_sampler_sample(sampler, logits, &token).code == RWKV_EDGE_OK;
    const uint8_t* bytes = nullptr;
    size_t len = 0;
    ok &= rwkv_edge_token_bytes(&tok, token, &bytes, &len).code == RWKV_EDGE_OK;
    if (text_bytes + len <= sizeof text) {
      std::memcpy(text + text_bytes, bytes, len);
      text_bytes += len;
    }
    (void)rwkv_edge_utf8_complete_prefix(text, text_bytes);
    ok &= rwkv_edge_step(s, token, &logits).code == RWKV_EDGE_OK;
  }
  const long after = static_cast<long>(rwkv_edge::cli::heap_allocations());
  rwkv_edge_release(s);
  CHECK(ok);
  CHECK(text_bytes > 0);
  std::printf("  allocations in a 200-token generation loop: %ld\n", after - before);
  CHECK(after - before == 0);
}

TEST_CASE("the counter sees malloc and new, so a zero below means something") {
  if (!counting()) return;
  const uint64_t before = rwkv_edge::cli::heap_allocations();
  void* volatile p = std::malloc(24);
  std::free(p);
  int* volatile q = new int[100];
  delete[] q;
  CHECK(rwkv_edge::cli::heap_allocations() - before >= 2);
}
