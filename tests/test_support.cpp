#include "test_support.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>

#include "planner.h"

namespace rwkv_edge::test {

std::string data_path(const std::string& name) { return std::string(RWKV_EDGE_TEST_DATA) + "/" + name; }
std::string shared_path(const std::string& name) { return std::string(RWKV_EDGE_SHARED_FIXTURES) + "/" + name; }

bool shared_available() {
  static const bool present = std::ifstream(shared_path("README.md")).good();
  static bool told = false;
  if (!present && !told) {
    std::fprintf(stderr, "SKIP: %s is absent; shared-fixture checks are skipped (committed mini fixtures still run)\n",
                 RWKV_EDGE_SHARED_FIXTURES);
    told = true;
  }
  return present;
}

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  REQUIRE_MESSAGE(f.good(), "cannot open " << path);
  return {std::istreambuf_iterator<char>(f), {}};
}

std::vector<float> read_floats(const std::string& path) {
  const auto bytes = read_file(path);
  std::vector<float> out(bytes.size() / 4);
  std::memcpy(out.data(), bytes.data(), out.size() * 4);
  return out;
}

std::vector<uint32_t> parse_tokens(const std::string& csv) {
  std::vector<uint32_t> out;
  size_t pos = 0;
  while (pos < csv.size()) {
    size_t end = csv.find_first_of(",\n", pos);
    if (end == std::string::npos) end = csv.size();
    if (end > pos) out.push_back(static_cast<uint32_t>(std::stoul(csv.substr(pos, end - pos))));
    pos = end + 1;
  }
  return out;
}

std::string mini_tokens() {
  const auto bytes = read_file(data_path("TOKENS"));
  std::string csv(bytes.begin(), bytes.end());
  csv.erase(csv.find_last_not_of("\n") + 1);
  return csv;
}

ModelBytes load_model_bytes(const std::string& path) {
  const auto bytes = read_file(path);
  ModelBytes m;
  m.size = bytes.size();
  m.storage.resize((bytes.size() + 7) / 8);
  std::memcpy(m.data(), bytes.data(), bytes.size());
  return m;
}

ModelBytes plan_to_bytes(const std::string& checkpoint, float ln_x_eps) {
  planner::PlanOptions o;
  if (ln_x_eps > 0) o.ln_x_eps = ln_x_eps;
  return plan_to_bytes(checkpoint, o);
}

ModelBytes plan_to_bytes(const std::string& checkpoint, planner::PlanOptions options, planner::PlanReport* report) {
  char tmpl[] = "/tmp/rwkv-edge-test-XXXXXX";
  const int fd = mkstemp(tmpl);
  REQUIRE(fd >= 0);
  close(fd);
  struct RemovedOnReturn {  // also when plan_model throws, as the bad-input tests expect it to
    const char* path;
    ~RemovedOnReturn() { std::remove(path); }
  } removed{tmpl};
  options.input = checkpoint;
  options.output = tmpl;
  const planner::PlanReport r = planner::plan_model(options);
  if (report != nullptr) *report = r;
  return load_model_bytes(tmpl);
}

ArenaBuffer::ArenaBuffer(size_t n) : ptr(std::aligned_alloc(RWKV_EDGE_ARENA_ALIGNMENT, (n + 63) / 64 * 64 + 64)), size(n) {}
ArenaBuffer::~ArenaBuffer() { std::free(ptr); }

namespace {

rwkv_edge_options options_for(uint32_t threads, uint32_t kernels, bool use_onednn) {
  rwkv_edge_options opts;
  rwkv_edge_default_options(&opts);
  opts.verify_weights = 1;
  opts.use_onednn = use_onednn ? 1 : 0;
  opts.n_threads = threads;
  opts.kernels = kernels;
  return opts;
}

std::vector<float> run_with(const ModelBytes& model, const std::vector<uint32_t>& tokens,
                            const rwkv_edge_options& opts) {
  size_t need = 0;
  rwkv_edge_status st = rwkv_edge_arena_size_required(model.data(), model.size, &need);
  REQUIRE_MESSAGE(st.code == RWKV_EDGE_OK, st.message);
  ArenaBuffer arena(need);
  rwkv_edge_session* s = nullptr;
  st = rwkv_edge_init(model.data(), model.size, arena.ptr, need, &opts, &s);
  REQUIRE_MESSAGE(st.code == RWKV_EDGE_OK, st.message);
  rwkv_edge_info info;
  rwkv_edge_get_info(s, &info);
  std::vector<float> out;
  for (uint32_t t : tokens) {
    const float* logits = nullptr;
    st = rwkv_edge_step(s, t, &logits);
    REQUIRE_MESSAGE(st.code == RWKV_EDGE_OK, st.message);
    out.insert(out.end(), logits, logits + info.vocab_size);
  }
  rwkv_edge_release(s);
  return out;
}

}  // namespace

static size_t arena_bytes_for(const ModelBytes& model) {
  size_t need = 0;
  const rwkv_edge_status st = rwkv_edge_arena_size_required(model.data(), model.size, &need);
  REQUIRE_MESSAGE(st.code == RWKV_EDGE_OK, st.message);
  return need;
}

Session::Session(const ModelBytes& model, const rwkv_edge_options& opts) : arena(arena_bytes_for(model)) {
  const rwkv_edge_status st = rwkv_edge_init(model.data(), model.size, arena.ptr, arena.size, &opts, &s);
  REQUIRE_MESSAGE(st.code == RWKV_EDGE_OK, st.message);
  rwkv_edge_get_info(s, &info);
}

Session::~Session() { rwkv_edge_release(s); }

std::vector<float> run_logits(const ModelBytes& model, const std::vector<uint32_t>& tokens, bool use_onednn) {
  return run_with(model, tokens, options_for(0, RWKV_EDGE_KERNELS_AUTO, use_onednn));
}

std::vector<float> run_logits_on(const ModelBytes& model, const std::vector<uint32_t>& tokens, uint32_t threads,
                                 uint32_t kernels) {
  return run_with(model, tokens, options_for(threads, kernels, false));
}

std::vector<float> run_sequence_logits(const ModelBytes& model, const std::vector<uint32_t>& tokens, uint32_t threads,
                                       uint32_t kernels, uint32_t prefill_inputs, uint32_t* int8_ops) {
  size_t need = 0;
  rwkv_edge_status st = rwkv_edge_arena_size_required(model.data(), model.size, &need);
  REQUIRE_MESSAGE(st.code == RWKV_EDGE_OK, st.message);
  ArenaBuffer arena(need);
  rwkv_edge_options opts = options_for(threads, kernels, false);
  opts.prefill_inputs = prefill_inputs;
  rwkv_edge_session* s = nullptr;
  st = rwkv_edge_init(model.data(), model.size, arena.ptr, need, &opts, &s);
  REQUIRE_MESSAGE(st.code == RWKV_EDGE_OK, st.message);
  rwkv_edge_info info;
  rwkv_edge_get_info(s, &info);
  if (int8_ops != nullptr) *int8_ops = info.n_prefill_int8_ops;
  struct Rows {
    std::vector<float> out;
    uint32_t vocab;
    size_t next;
    bool in_order;
  } rows{{}, info.vocab_size, 0, true};
  st = rwkv_edge_prefill_each(
      s, tokens.data(), tokens.size(),
      [](void* ctx, size_t index, const float* logits) {
        auto* r = static_cast<Rows*>(ctx);
        r->in_order &= index == r->next++;
        r->out.insert(r->out.end(), logits, logits + r->vocab);
      },
      &rows);
  REQUIRE_MESSAGE(st.code == RWKV_EDGE_OK, st.message);
  CHECK(rows.in_order);
  rwkv_edge_release(s);
  return rows.out;
}

std::vector<float> run_logits_cuda(const ModelBytes& model, const std::vector<uint32_t>& tokens) {
  rwkv_edge_options opts = options_for(0, RWKV_EDGE_KERNELS_AUTO, false);
  opts.backend = RWKV_EDGE_BACKEND_CUDA;
  return run_with(model, tokens, opts);
}

std::string cuda_unavailable_reason() {
  static const std::string reason = [] {
    const ModelBytes model = plan_to_bytes(data_path("mini-v5.2.pth"));
    size_t need = 0;
    rwkv_edge_status st = rwkv_edge_arena_size_required(model.data(), model.size, &need);
    REQUIRE_MESSAGE(st.code == RWKV_EDGE_OK, st.message);
    ArenaBuffer arena(need);
    rwkv_edge_options opts = options_for(0, RWKV_EDGE_KERNELS_AUTO, false);
    opts.backend = RWKV_EDGE_BACKEND_CUDA;
    rwkv_edge_session* s = nullptr;
    st = rwkv_edge_init(model.data(), model.size, arena.ptr, need, &opts, &s);
    rwkv_edge_release(s);
    return st.code == RWKV_EDGE_OK ? std::string() : std::string(st.message);
  }();
  return reason;
}

rwkv_edge_status try_init(const ModelBytes& model, uint32_t threads, uint32_t kernels) {
  size_t need = 0;
  rwkv_edge_status st = rwkv_edge_arena_size_required(model.data(), model.size, &need);
  if (st.code != RWKV_EDGE_OK) return st;
  ArenaBuffer arena(need);
  const rwkv_edge_options opts = options_for(threads, kernels, false);
  rwkv_edge_session* s = nullptr;
  st = rwkv_edge_init(model.data(), model.size, arena.ptr, need, &opts, &s);
  rwkv_edge_release(s);
  return st;
}

float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  float d = 0;
  for (size_t i = 0; i < a.size(); ++i) d = std::max(d, std::fabs(a[i] - b[i]));
  return d;
}

std::vector<float> random_normal(uint64_t n, uint32_t seed, float scale) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, scale);
  std::vector<float> v(n);
  for (float& f : v) f = d(rng);
  return v;
}

}  // namespace rwkv_edge::test
