// State files in memory (rwkv_edge_state_export / import): a saved state
// continues exactly as the session it came from; anything corrupt,
// truncated or from another model is refused and leaves the state as it was.
#include <doctest/doctest.h>

#include <cstring>

#include "planner.h"
#include "test_support.h"

namespace rwkv_edge {
namespace {

using test::ModelBytes;

ModelBytes plan(const std::string& checkpoint, const std::string& quant = "fp32") {
  planner::PlanOptions o;
  o.quant.segments = {{planner::parse_weight_choice(quant), 0}};
  o.calibration = "none";
  return test::plan_to_bytes(checkpoint, o);
}

struct Session {
  explicit Session(const ModelBytes& m) {
    size_t need = 0;
    REQUIRE(rwkv_edge_arena_size_required(m.data(), m.size, &need).code == RWKV_EDGE_OK);
    arena = std::make_unique<test::ArenaBuffer>(need);
    REQUIRE(rwkv_edge_init(m.data(), m.size, arena->ptr, need, nullptr, &s).code == RWKV_EDGE_OK);
  }
  ~Session() { rwkv_edge_release(s); }
  std::vector<uint8_t> file() const {
    std::vector<uint8_t> out(rwkv_edge_state_file_bytes(s));
    REQUIRE(rwkv_edge_state_export(s, out.data(), out.size()).code == RWKV_EDGE_OK);
    return out;
  }
  std::vector<float> continue_with(const std::vector<uint32_t>& tokens) {
    std::vector<float> out;
    for (uint32_t t : tokens) {
      const float* logits = nullptr;
      REQUIRE(rwkv_edge_step(s, t, &logits).code == RWKV_EDGE_OK);
      out.insert(out.end(), logits, logits + 24);
    }
    return out;
  }
  std::unique_ptr<test::ArenaBuffer> arena;
  rwkv_edge_session* s = nullptr;
};

}  // namespace

TEST_CASE("a saved state continues exactly where it was saved, in another session") {
  for (const char* v : {"v4", "v5.2", "v6", "v7"}) {
    CAPTURE(std::string(v));
    const ModelBytes m = plan(test::data_path(std::string("mini-") + v + ".pth"));
    Session a(m), b(m);
    const uint32_t prompt[] = {1, 5, 0, 23, 7, 7, 12};
    REQUIRE(rwkv_edge_prefill(a.s, prompt, 7, nullptr).code == RWKV_EDGE_OK);
    const std::vector<uint8_t> saved = a.file();
    CHECK(saved.size() == 64 + rwkv_edge_state_bytes(a.s) + 4);
    CHECK(std::memcmp(saved.data(), "RWKVSTAT", 8) == 0);
    REQUIRE(rwkv_edge_state_import(b.s, saved.data(), saved.size()).code == RWKV_EDGE_OK);
    CHECK(a.continue_with({3, 19, 2, 11}) == b.continue_with({3, 19, 2, 11}));
  }
}

TEST_CASE("corrupt, truncated, mis-sized and foreign state files are refused; the state is untouched") {
  const ModelBytes m = plan(test::data_path("mini-v6.pth")), m8 = plan(test::data_path("mini-v6.pth"), "int8"),
                   other = plan(test::data_path("mini-v5.2.pth"));
  Session a(m), b(m), c(m8), d(other);
  const uint32_t prompt[] = {1, 5, 0, 23};
  REQUIRE(rwkv_edge_prefill(a.s, prompt, 4, nullptr).code == RWKV_EDGE_OK);
  const std::vector<uint8_t> good = a.file();
  REQUIRE(rwkv_edge_prefill(b.s, prompt + 1, 2, nullptr).code == RWKV_EDGE_OK);
  const std::vector<uint8_t> before = b.file();

  auto refused = [&](Session& target, const std::vector<uint8_t>& bytes, const char* needle) {
    const std::vector<uint8_t> was = target.file();
    const rwkv_edge_status st = rwkv_edge_state_import(target.s, bytes.data(), bytes.size());
    CHECK(st.code == RWKV_EDGE_BAD_STATE);
    CHECK_MESSAGE(std::string(st.message).find(needle) != std::string::npos, st.message);
    CHECK(target.file() == was);
  };
  for (size_t at : {size_t{9}, size_t{40}, size_t{64}, good.size() / 2, good.size() - 1}) {
    CAPTURE(at);
    std::vector<uint8_t> flipped = good;
    flipped[at] ^= 0x04;
    refused(b, flipped, at == 40 ? "truncated" : at == 9 ? "format" : "checksum");
  }
  refused(b, std::vector<uint8_t>(good.begin(), good.end() - 10), "truncated");
  refused(b, std::vector<uint8_t>(good.begin(), good.begin() + 30), "no RWKVSTAT header");
  std::vector<uint8_t> longer = good;
  longer.push_back(0);
  refused(b, longer, "truncated");
  refused(c, good, "another model of the same shape");  // the same checkpoint at int8
  refused(d, good, "another model shape");               // RWKV-5.2
  CHECK(b.file() == before);
  CHECK(rwkv_edge_state_import(b.s, nullptr, 10).code == RWKV_EDGE_INVALID_ARGUMENT);
  std::vector<uint8_t> small(good.size() - 1);
  CHECK(rwkv_edge_state_export(a.s, small.data(), small.size()).code == RWKV_EDGE_STATE_SIZE_MISMATCH);
  CHECK(rwkv_edge_state_file_bytes(nullptr) == 0);
}

TEST_CASE("a state from the same weights planned with another chunk size is accepted") {
  planner::PlanOptions o;
  o.calibration = "none";
  o.max_chunk = 3;
  const ModelBytes m = plan(test::data_path("mini-v7.pth")), chunked = test::plan_to_bytes(test::data_path("mini-v7.pth"), o);
  Session a(m), b(chunked);
  const std::vector<uint8_t> saved = a.file();
  CHECK(rwkv_edge_state_import(b.s, saved.data(), saved.size()).code == RWKV_EDGE_OK);
}

}  // namespace rwkv_edge
