// The sampler against the official pipeline (tests/data/sampler_cases.json,
// made by tests/dev/make_sampler_cases.py from rwkv 0.8.32's own
// sample_logits and generate loop), seeded determinism, draw frequencies,
// and clear refusals of bad settings.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <vector>

#include "test_support.h"
#include "vocabulary.h"

using namespace rwkv_edge;

namespace {

struct SamplerBox {
  std::vector<uint8_t> storage;
  rwkv_edge_sampler* sampler = nullptr;
  SamplerBox(const rwkv_edge_sampler_params& p, const rwkv_edge_tokenizer* t, uint32_t vocab) {
    storage.resize(rwkv_edge_sampler_memory_bytes(vocab) + RWKV_EDGE_ARENA_ALIGNMENT);
    uint8_t* aligned = storage.data() + (RWKV_EDGE_ARENA_ALIGNMENT - reinterpret_cast<uintptr_t>(storage.data()) %
                                                                         RWKV_EDGE_ARENA_ALIGNMENT) % RWKV_EDGE_ARENA_ALIGNMENT;
    const rwkv_edge_status st = rwkv_edge_sampler_init(&p, vocab, t, aligned, rwkv_edge_sampler_memory_bytes(vocab), &sampler);
    REQUIRE_MESSAGE(st.code == RWKV_EDGE_OK, st.message);
  }
};

rwkv_edge_sampler_params defaults();

rwkv_edge_sampler_params params_of(const nlohmann::json& s) {
  rwkv_edge_sampler_params p = defaults();
  p.temperature = s["temperature"].get<float>();
  p.top_p = s["top_p"].get<float>();
  p.top_k = s["top_k"].get<uint32_t>();
  p.presence_penalty = s["alpha_presence"].get<float>();
  p.frequency_penalty = s["alpha_frequency"].get<float>();
  p.penalty_decay = s["alpha_decay"].get<float>();
  p.free_whitespace_digits = 1;
  return p;
}

// Logits that make `token` the only possible draw, whatever the penalties.
std::vector<float> forcing(uint32_t vocab, uint32_t token) {
  std::vector<float> l(vocab, -1e4f);
  l[token] = 0.0f;
  return l;
}

rwkv_edge_sampler_params defaults() {
  rwkv_edge_sampler_params p;
  rwkv_edge_sampler_default_params(&p);
  return p;
}

// The 256-token byte vocabulary, for the whitespace/digit rule.
const rwkv_edge_tokenizer& bytes_tokenizer() {
  static const planner::Vocabulary v = planner::byte_vocabulary();
  static const rwkv_edge_tokenizer t = v.view();
  return t;
}

}  // namespace

TEST_CASE("the sampler's distribution equals the official pipeline's, penalties and filters included") {
  std::ifstream f(test::data_path("sampler_cases.json"));
  REQUIRE(f.good());
  const auto cases = nlohmann::json::parse(f);
  REQUIRE(cases.size() >= 10);
  const rwkv_edge_tokenizer& t = bytes_tokenizer();
  for (const auto& c : cases) {
    CAPTURE(c["settings"].dump());
    SamplerBox box(params_of(c["settings"]), &t, 256);
    for (uint32_t token : c["history"].get<std::vector<uint32_t>>()) {
      uint32_t drawn = 0;
      REQUIRE(rwkv_edge_sampler_sample(box.sampler, forcing(256, token).data(), &drawn).code == RWKV_EDGE_OK);
      REQUIRE(drawn == token);
    }
    for (uint32_t token : c["ban"].get<std::vector<uint32_t>>()) REQUIRE(rwkv_edge_sampler_ban(box.sampler, token).code == RWKV_EDGE_OK);
    const std::vector<float> logits = c["logits"].get<std::vector<float>>();
    const std::vector<double> expected = c["probs"].get<std::vector<double>>();
    std::vector<float> probs(256);
    REQUIRE(rwkv_edge_sampler_probabilities(box.sampler, logits.data(), probs.data()).code == RWKV_EDGE_OK);
    int kept = 0, expected_kept = 0;
    for (int i = 0; i < 256; ++i) {
      CHECK(std::fabs(probs[i] - expected[i]) < 2e-6);
      kept += probs[i] > 0.0f;
      expected_kept += expected[i] > 0.0;
    }
    CHECK(kept == expected_kept);
  }
}

TEST_CASE("same seed, same tokens; the draws follow the distribution") {
  const rwkv_edge_tokenizer& t = bytes_tokenizer();
  rwkv_edge_sampler_params p = defaults();
  std::vector<float> logits(256);
  for (int i = 0; i < 256; ++i) logits[i] = std::sin(static_cast<float>(i)) * 3.0f;
  auto run = [&](uint64_t seed) {
    p.seed = seed;
    SamplerBox box(p, &t, 256);
    std::vector<uint32_t> out;
    for (int i = 0; i < 200; ++i) {
      uint32_t token;
      REQUIRE(rwkv_edge_sampler_sample(box.sampler, logits.data(), &token).code == RWKV_EDGE_OK);
      out.push_back(token);
    }
    return out;
  };
  CHECK(run(42) == run(42));
  CHECK(run(42) != run(43));

  p.presence_penalty = p.frequency_penalty = 0.0f;
  p.top_p = 0.9f;
  p.seed = 7;
  SamplerBox box(p, &t, 256);
  std::vector<float> probs(256);
  REQUIRE(rwkv_edge_sampler_probabilities(box.sampler, logits.data(), probs.data()).code == RWKV_EDGE_OK);
  std::vector<int> hits(256, 0);
  const int draws = 40000;
  for (int i = 0; i < draws; ++i) {
    uint32_t token;
    REQUIRE(rwkv_edge_sampler_sample(box.sampler, logits.data(), &token).code == RWKV_EDGE_OK);
    ++hits[token];
  }
  for (int i = 0; i < 256; ++i) {
    const double sigma = std::sqrt(probs[i] * (1.0 - probs[i]) / draws);
    CHECK(std::fabs(hits[i] / static_cast<double>(draws) - probs[i]) <= 5.0 * sigma + 1e-9);
    if (probs[i] == 0.0f) CHECK(hits[i] == 0);
  }
}

TEST_CASE("greedy, bans and an all-banned vocabulary") {
  const rwkv_edge_tokenizer& t = bytes_tokenizer();
  rwkv_edge_sampler_params p = defaults();
  p.temperature = 0.0f;
  SamplerBox box(p, &t, 256);
  std::vector<float> logits(256, 0.0f);
  logits[65] = 5.0f;
  logits[66] = 4.0f;
  uint32_t token = 0;
  REQUIRE(rwkv_edge_sampler_sample(box.sampler, logits.data(), &token).code == RWKV_EDGE_OK);
  CHECK(token == 65);
  REQUIRE(rwkv_edge_sampler_ban(box.sampler, 65).code == RWKV_EDGE_OK);
  REQUIRE(rwkv_edge_sampler_sample(box.sampler, logits.data(), &token).code == RWKV_EDGE_OK);
  CHECK(token == 66);
  CHECK(rwkv_edge_sampler_ban(box.sampler, 256).code == RWKV_EDGE_TOKEN_OUT_OF_RANGE);
  for (uint32_t i = 0; i < 256; ++i) rwkv_edge_sampler_ban(box.sampler, i);
  const rwkv_edge_status st = rwkv_edge_sampler_sample(box.sampler, logits.data(), &token);
  CHECK(st.code == RWKV_EDGE_INVALID_ARGUMENT);
  CHECK(std::string(st.message).find("no token can be drawn") != std::string::npos);
}

TEST_CASE("bad sampler settings and memory are refused with a message") {
  const rwkv_edge_tokenizer& t = bytes_tokenizer();
  alignas(64) static uint8_t memory[1 << 16];
  rwkv_edge_sampler* s = nullptr;
  auto refused = [&](rwkv_edge_sampler_params p, const char* fragment) {
    const rwkv_edge_status st = rwkv_edge_sampler_init(&p, 256, &t, memory, sizeof memory, &s);
    CHECK(st.code == RWKV_EDGE_INVALID_ARGUMENT);
    CHECK_MESSAGE(std::string(st.message).find(fragment) != std::string::npos, st.message);
  };
  const rwkv_edge_sampler_params p = defaults();
  auto with = [&](auto change) {
    rwkv_edge_sampler_params q = p;
    change(q);
    return q;
  };
  refused(with([](auto& q) { q.temperature = -1.0f; }), "temperature");
  refused(with([](auto& q) { q.temperature = NAN; }), "temperature");
  refused(with([](auto& q) { q.top_p = 1.5f; }), "top_p");
  refused(with([](auto& q) { q.top_k = 257; }), "top_k");
  refused(with([](auto& q) { q.presence_penalty = -0.1f; }), "presence");
  refused(with([](auto& q) { q.frequency_penalty = INFINITY; }), "frequency");
  refused(with([](auto& q) { q.penalty_decay = 1.1f; }), "decay");
  CHECK(rwkv_edge_sampler_init(&p, 256, nullptr, memory, sizeof memory, &s).code == RWKV_EDGE_INVALID_ARGUMENT);
  CHECK(rwkv_edge_sampler_init(&p, 256, &t, memory, 100, &s).code == RWKV_EDGE_ARENA_TOO_SMALL);
  CHECK(rwkv_edge_sampler_init(&p, 256, &t, memory + 1, sizeof memory - 1, &s).code == RWKV_EDGE_ARENA_MISALIGNED);
  CHECK(rwkv_edge_sampler_init(&p, 300, &t, memory, sizeof memory, &s).code == RWKV_EDGE_INVALID_ARGUMENT);
}

TEST_CASE("a flat distribution over a World-sized vocabulary keeps exactly the top-p set (the radix-sorted path)") {
  const uint32_t V = 65536;
  for (float top_p : {0.5f, 0.85f, 0.999f}) {
    CAPTURE(top_p);
    rwkv_edge_sampler_params p = defaults();
    p.top_p = top_p;
    p.presence_penalty = p.frequency_penalty = 0.0f;
    p.free_whitespace_digits = 0;
    SamplerBox s(p, nullptr, V);
    std::mt19937 rng(static_cast<uint32_t>(top_p * 1000));
    std::normal_distribution<float> d(0.0f, 0.3f);
    std::vector<float> logits(V);
    for (float& l : logits) l = d(rng);
    for (uint32_t i = 0; i < 50; ++i) logits[i * 977 % V] = logits[7];  // ties: the lower id sorts first
    std::vector<float> probs(V);
    REQUIRE(rwkv_edge_sampler_probabilities(s.sampler, logits.data(), probs.data()).code == RWKV_EDGE_OK);
    // The definition, the slow way: softmax as the sampler does, full sort, float32 cumsum.
    const float top = *std::max_element(logits.begin(), logits.end());
    std::vector<float> q(V);
    double sum = 0;
    for (uint32_t i = 0; i < V; ++i) sum += q[i] = std::exp(logits[i] - top);
    for (float& v : q) v *= static_cast<float>(1.0 / sum);
    std::vector<uint32_t> order(V);
    for (uint32_t i = 0; i < V; ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return q[a] > q[b] || (q[a] == q[b] && a < b); });
    float cumulative = 0, cutoff = 0;
    for (uint32_t id : order) {
      cumulative += q[id];
      if (cumulative >= top_p) {
        cutoff = q[id];
        break;
      }
    }
    uint32_t kept = 0, expected = 0;
    for (uint32_t i = 0; i < V; ++i) {
      kept += probs[i] > 0.0f;
      expected += q[i] >= cutoff;
      if ((probs[i] > 0.0f) != (q[i] >= cutoff)) FAIL_CHECK("token " << i << " kept differently");
    }
    CHECK(kept == expected);
    CHECK(kept > 512);  // past the sorted head: the radix path ran
  }
}
