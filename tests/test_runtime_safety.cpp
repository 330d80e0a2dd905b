// Bad input at the runtime boundary: small or misaligned arenas, truncated and
// bit-flipped model files, out-of-range tokens, state buffers of the wrong size.
#include <doctest/doctest.h>
#include <link.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <cstring>
#include <random>
#include <set>
#include <string>

#include "importers.h"
#include "matmul.h"
#include "model_file.h"
#include "model_writer.h"
#include "quant_strategy.h"
#include "test_support.h"

using namespace rwkv_edge;
using namespace rwkv_edge::test;

namespace {

const ModelBytes& mini_model() {
  static const ModelBytes model = plan_to_bytes(data_path("mini-v5.2.pth"));
  return model;
}

rwkv_edge_code try_init(const uint8_t* model, size_t size, void* arena, size_t arena_bytes, bool verify = true) {
  rwkv_edge_options opts;
  rwkv_edge_default_options(&opts);
  opts.verify_weights = verify;
  rwkv_edge_session* s = nullptr;
  const rwkv_edge_status st = rwkv_edge_init(model, size, arena, arena_bytes, &opts, &s);
  if (st.code == RWKV_EDGE_OK) {
    CHECK(s != nullptr);
    const float* logits = nullptr;
    CHECK(rwkv_edge_step(s, 1, &logits).code == RWKV_EDGE_OK);
    const uint32_t prompt[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};  // sequence mode too
    CHECK(rwkv_edge_prefill(s, prompt, 11, &logits).code == RWKV_EDGE_OK);
    rwkv_edge_release(s);
  } else {
    CHECK(s == nullptr);
    CHECK(std::strlen(st.message) > 0);
  }
  return st.code;
}

// An initialised session over the mini model, released on scope exit.
struct MiniSession {
  MiniSession() : arena(arena_bytes()) {
    REQUIRE(rwkv_edge_init(mini_model().data(), mini_model().size, arena.ptr, arena.size, nullptr, &s).code ==
            RWKV_EDGE_OK);
    rwkv_edge_get_info(s, &info);
  }
  ~MiniSession() { rwkv_edge_release(s); }
  static size_t arena_bytes() {
    size_t need = 0;
    REQUIRE(rwkv_edge_arena_size_required(mini_model().data(), mini_model().size, &need).code == RWKV_EDGE_OK);
    return need;
  }
  ArenaBuffer arena;
  rwkv_edge_session* s = nullptr;
  rwkv_edge_info info{};
};

}  // namespace

TEST_CASE("every arena smaller than required fails cleanly; the exact size works") {
  const ModelBytes& m = mini_model();
  size_t need = 0;
  REQUIRE(rwkv_edge_arena_size_required(m.data(), m.size, &need).code == RWKV_EDGE_OK);
  ArenaBuffer arena(need);
  for (size_t n = 0; n < need; n += (n < 4096 ? 1 : 61))
    REQUIRE(try_init(m.data(), m.size, arena.ptr, n) == RWKV_EDGE_ARENA_TOO_SMALL);
  CHECK(try_init(m.data(), m.size, arena.ptr, need - 1) == RWKV_EDGE_ARENA_TOO_SMALL);
  CHECK(try_init(m.data(), m.size, arena.ptr, need) == RWKV_EDGE_OK);
}

TEST_CASE("a misaligned arena or null pointers are refused") {
  const ModelBytes& m = mini_model();
  size_t need = 0;
  REQUIRE(rwkv_edge_arena_size_required(m.data(), m.size, &need).code == RWKV_EDGE_OK);
  ArenaBuffer arena(need + 64);
  CHECK(try_init(m.data(), m.size, static_cast<uint8_t*>(arena.ptr) + 8, need) == RWKV_EDGE_ARENA_MISALIGNED);
  CHECK(try_init(m.data(), m.size, nullptr, need) == RWKV_EDGE_INVALID_ARGUMENT);
  CHECK(try_init(nullptr, m.size, arena.ptr, need) == RWKV_EDGE_INVALID_ARGUMENT);
}

TEST_CASE("truncated model files fail cleanly at every length") {
  const ModelBytes& m = mini_model();
  ArenaBuffer arena(1 << 20);
  for (size_t n = 0; n < m.size; n += (n < 2048 ? 1 : 97)) {
    size_t need = 0;
    REQUIRE(rwkv_edge_arena_size_required(m.data(), n, &need).code == RWKV_EDGE_BAD_MODEL);
    REQUIRE(try_init(m.data(), n, arena.ptr, arena.size) == RWKV_EDGE_BAD_MODEL);
  }
}

TEST_CASE("bit flips anywhere are caught (CRC, verifier) or harmless, never a crash") {
  const ModelBytes& good = mini_model();
  ArenaBuffer arena(1 << 20);
  ModelBytes m = good;
  size_t caught = 0, tried = 0;
  for (size_t pos = 0; pos < m.size; pos += 13) {
    for (int bit : {0, 5}) {
      m.data()[pos] ^= static_cast<uint8_t>(1u << bit);
      const rwkv_edge_code code = try_init(m.data(), m.size, arena.ptr, arena.size);
      caught += code != RWKV_EDGE_OK;
      ++tried;
      m.data()[pos] ^= static_cast<uint8_t>(1u << bit);
    }
  }
  std::printf("  bit flips: %zu of %zu caught at init (the rest hit zero padding between description and weights)\n",
              caught, tried);
  CHECK(caught * 10 >= tried * 9);
}

TEST_CASE("tokens outside the vocabulary are refused and the state is untouched") {
  MiniSession session;
  rwkv_edge_session* s = session.s;
  const rwkv_edge_info& info = session.info;
  std::vector<uint8_t> before(rwkv_edge_state_bytes(s)), after(before.size());
  const float* logits = nullptr;
  REQUIRE(rwkv_edge_step(s, 3, &logits).code == RWKV_EDGE_OK);
  REQUIRE(rwkv_edge_state_save(s, before.data(), before.size()).code == RWKV_EDGE_OK);
  for (uint32_t bad : {info.vocab_size, info.vocab_size + 1, 0xFFFFFFFFu}) {
    const rwkv_edge_status st = rwkv_edge_step(s, bad, &logits);
    CHECK(st.code == RWKV_EDGE_TOKEN_OUT_OF_RANGE);
    CHECK(std::string(st.message).find("outside the vocabulary") != std::string::npos);
  }
  REQUIRE(rwkv_edge_state_save(s, after.data(), after.size()).code == RWKV_EDGE_OK);
  CHECK(before == after);
  CHECK(rwkv_edge_state_save(s, after.data(), after.size() - 4).code == RWKV_EDGE_STATE_SIZE_MISMATCH);
  CHECK(rwkv_edge_state_restore(s, after.data(), after.size() + 4).code == RWKV_EDGE_STATE_SIZE_MISMATCH);
}

TEST_CASE("state save/restore and reset reproduce the same continuation") {
  MiniSession session;
  rwkv_edge_session* s = session.s;
  const rwkv_edge_info& info = session.info;
  const float* logits = nullptr;
  for (uint32_t t : {1u, 2u, 3u}) REQUIRE(rwkv_edge_step(s, t, &logits).code == RWKV_EDGE_OK);
  std::vector<uint8_t> saved(rwkv_edge_state_bytes(s));
  REQUIRE(rwkv_edge_state_save(s, saved.data(), saved.size()).code == RWKV_EDGE_OK);
  REQUIRE(rwkv_edge_step(s, 9, &logits).code == RWKV_EDGE_OK);
  const std::vector<float> first(logits, logits + info.vocab_size);
  REQUIRE(rwkv_edge_step(s, 4, &logits).code == RWKV_EDGE_OK);
  REQUIRE(rwkv_edge_state_restore(s, saved.data(), saved.size()).code == RWKV_EDGE_OK);
  REQUIRE(rwkv_edge_step(s, 9, &logits).code == RWKV_EDGE_OK);
  CHECK(std::vector<float>(logits, logits + info.vocab_size) == first);
  rwkv_edge_state_reset(s);
  for (uint32_t t : {1u, 2u, 3u, 9u}) REQUIRE(rwkv_edge_step(s, t, &logits).code == RWKV_EDGE_OK);
  CHECK(std::vector<float>(logits, logits + info.vocab_size) == first);
}

TEST_CASE("corrupt descriptions with a valid checksum are refused or run safely (quantized model too)") {
  // The CRC catches accidents; this is what a crafted file meets: the
  // verifier alone. Every 7th byte of the description is overwritten and
  // the checksum recomputed; init either refuses it or runs a step safely
  // (the sanitizer build checks the "safely").
  planner::PlanOptions int4;
  int4.quant.segments = {{planner::parse_weight_choice("int4"), 0}};
  int4.quant.emb = planner::parse_weight_choice("int8");
  for (const ModelBytes& good : {mini_model(), plan_to_bytes(data_path("mini-v6.pth"), int4)}) {
    FilePrefix prefix;
    REQUIRE(decode_prefix(good.data(), good.size, &prefix).code == RWKV_EDGE_OK);
    ArenaBuffer arena(1 << 21);
    ModelBytes m = good;
    size_t refused = 0, tried = 0;
    std::mt19937 rng(1);
    for (uint64_t pos = prefix.flatbuffer_offset; pos < prefix.flatbuffer_offset + prefix.flatbuffer_bytes; pos += 7) {
      const uint8_t saved = m.data()[pos];
      m.data()[pos] = static_cast<uint8_t>(rng());
      FilePrefix p = prefix;
      p.flatbuffer_crc32 = crc32(m.data() + p.flatbuffer_offset, p.flatbuffer_bytes);
      encode_prefix(p, m.data());
      refused += try_init(m.data(), m.size, arena.ptr, arena.size, false) != RWKV_EDGE_OK;
      ++tried;
      m.data()[pos] = saved;
    }
    encode_prefix(prefix, m.data());
    std::printf("  crafted descriptions: %zu of %zu refused, the rest ran a step\n", refused, tried);
    CHECK(refused > 0);
  }
}

TEST_CASE("crafted sequence plans are refused: rows outside the area, aliasing, shift registers misused") {
  const planner::Checkpoint ck = planner::load_checkpoint(data_path("mini-v5.2.pth"));
  const planner::ModelDims dims = planner::detect_model(ck);
  const std::string path = "/tmp/rwkv-edge-crafted-sequence.rwkv";
  // Plans the mini model with chunks of 8, lets `tweak` break one rule, and
  // returns what the verifier says.
  auto verdict = [&](auto&& tweak) {
    planner::Graph g = planner::build_step_graph(ck, dims, {});
    uint64_t widest = 0;
    for (const planner::GraphOp& op : g.ops)
      if (op.type == fb::OpType::MatVec) widest = std::max(widest, g.weights[op.inputs[0].index].shape[1]);
    planner::ArenaPlanResult a = planner::plan_arena(g, 0, {8, matmul::packed_input_floats(8, widest) * 4});
    tweak(g, a);
    planner::write_model_file(path, g, dims, a, planner::kOfficialLnXEps, "crafted", "test");
    const ModelBytes m = load_model_bytes(path);
    std::remove(path.c_str());
    size_t need = 0;
    return rwkv_edge_arena_size_required(m.data(), m.size, &need);
  };
  auto first_op = [](const planner::Graph& g, fb::OpType type, auto&& also) {
    for (size_t i = 0; i < g.ops.size(); ++i)
      if (g.ops[i].type == type && also(g.ops[i])) return i;
    FAIL("no such op");
    return size_t{0};
  };
  // The first op reading a shift register, the register, and the Copy that updates it.
  auto shift_read_by = [](const planner::Graph& g, size_t op) {
    for (const planner::Operand& in : g.ops[op].inputs)
      if (!in.weight && g.buffers[in.index].persistent) return in.index;
    return UINT32_MAX;
  };
  auto first_reader = [&](const planner::Graph& g) {
    for (size_t i = 0; i < g.ops.size(); ++i)
      if (g.ops[i].type != fb::OpType::Copy && shift_read_by(g, i) != UINT32_MAX) return i;
    FAIL("no shift register");
    return size_t{0};
  };
  auto copy_of = [&](const planner::Graph& g, uint32_t reg) {
    return first_op(g, fb::OpType::Copy, [&](const planner::GraphOp& op) { return op.outputs[0] == reg; });
  };

  CHECK(verdict([](planner::Graph&, planner::ArenaPlanResult&) {}).code == RWKV_EDGE_OK);
  const std::pair<const char*, std::function<void(planner::Graph&, planner::ArenaPlanResult&)>> cases[] = {
      {"above the limit", [](planner::Graph&, planner::ArenaPlanResult& a) { a.max_chunk = 5000; }},
      {"outside the sequence area",
       [](planner::Graph& g, planner::ArenaPlanResult& a) { g.buffers[g.logits - 1].seq_offset = a.total_bytes; }},
      {"sequence scratch is too small", [](planner::Graph&, planner::ArenaPlanResult& a) { a.sequence_scratch_bytes = 64; }},
      {"output over an input",
       [&](planner::Graph& g, planner::ArenaPlanResult&) {
         const size_t i = first_op(g, fb::OpType::MatVec, [](const planner::GraphOp&) { return true; });
         g.buffers[g.ops[i].outputs[0]].seq_offset = g.buffers[g.ops[i].inputs[1].index].seq_offset;
       }},
      {"after it was updated",
       [&](planner::Graph& g, planner::ArenaPlanResult&) {  // the shift update moved before its first reader
         const size_t reader = first_reader(g), copy = copy_of(g, shift_read_by(g, reader));
         std::swap(g.ops[reader], g.ops[copy]);
       }},
      {"writes over the source",
       [&](planner::Graph& g, planner::ArenaPlanResult&) {  // a mix written over the rows it shifts
         const size_t reader = first_reader(g), copy = copy_of(g, shift_read_by(g, reader));
         g.buffers[g.ops[reader].outputs[0]].seq_offset = g.buffers[g.ops[copy].inputs[0].index].seq_offset;
       }},
  };
  for (const auto& [needle_text, tweak] : cases) {
    const std::string needle = needle_text;  // CAPTURE's lambda cannot capture a structured binding (clang 14)
    CAPTURE(needle);
    const rwkv_edge_status st = verdict(tweak);
    CHECK(st.code == RWKV_EDGE_BAD_MODEL);
    CHECK_MESSAGE(std::string(st.message).find(needle) != std::string::npos, st.message);
  }
}

namespace {

// The OpenMP runtimes loaded in this process, by file name.
std::set<std::string> loaded_openmp_runtimes() {
  std::set<std::string> found;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* out) {
        const std::string path = info->dlpi_name ? info->dlpi_name : "";
        const std::string name = path.substr(path.find_last_of('/') + 1);
        for (const char* runtime : {"libgomp.so", "libomp.so", "libiomp5.so"})
          if (name.rfind(runtime, 0) == 0) static_cast<std::set<std::string>*>(out)->insert(runtime);
        return 0;
      },
      &found);
  return found;
}

}  // namespace

TEST_CASE("one OpenMP runtime in the process, the one oneDNN threads on, sized by n_threads") {
  // oneDNN's products run with the session's thread count only if the runtime
  // sets it in the OpenMP runtime oneDNN itself uses; a second runtime (clang's
  // libomp beside Debian oneDNN's libgomp) would take the setting and ignore it.
  const ModelBytes& m = mini_model();
  ArenaBuffer arena(MiniSession::arena_bytes());
  for (const uint32_t threads : {1u, 2u}) {
    rwkv_edge_options opts;
    rwkv_edge_default_options(&opts);
    opts.n_threads = threads;
    opts.use_onednn = 1;
    rwkv_edge_session* s = nullptr;
    REQUIRE(rwkv_edge_init(m.data(), m.size, arena.ptr, arena.size, &opts, &s).code == RWKV_EDGE_OK);
    const uint32_t prompt[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    const float* logits = nullptr;
    CHECK(rwkv_edge_prefill(s, prompt, 11, &logits).code == RWKV_EDGE_OK);
    CHECK(omp_get_max_threads() == static_cast<int>(threads));
    rwkv_edge_release(s);
  }
  const std::set<std::string> runtimes = loaded_openmp_runtimes();
  CHECK_MESSAGE(runtimes == std::set<std::string>{"libgomp.so"}, "OpenMP runtimes loaded: ", runtimes.size());
}

TEST_CASE("a plan keeps no oneDNN scratch unless asked; use_onednn on too little is refused with the bytes needed") {
  // The arena must not depend on the planning machine's CPU: without
  // --onednn-scratch the scratch region is empty on every host.
  planner::PlanReport report;
  plan_to_bytes(data_path("mini-v6.pth"), planner::PlanOptions{}, &report);
  CHECK(report.arena.scratch_bytes == 0);
  planner::PlanOptions fixed;
  fixed.onednn_scratch = 10000;
  plan_to_bytes(data_path("mini-v6.pth"), fixed, &report);
  CHECK(report.arena.scratch_bytes == 10048);  // rounded up to the arena alignment
  if (!shared_available()) return;
  // rand-v5 has mat-vecs large enough for oneDNN; what they need depends on this CPU.
  const ModelBytes none = plan_to_bytes(shared_path("random/rand-v5.pth"));
  rwkv_edge_options opts;
  rwkv_edge_default_options(&opts);
  opts.use_onednn = 1;
  size_t need = 0;
  REQUIRE(rwkv_edge_arena_size_required(none.data(), none.size, &need).code == RWKV_EDGE_OK);
  ArenaBuffer arena(need);
  rwkv_edge_session* s = nullptr;
  const rwkv_edge_status st = rwkv_edge_init(none.data(), none.size, arena.ptr, need, &opts, &s);
  if (st.code == RWKV_EDGE_OK) {
    MESSAGE("skipped: oneDNN on this CPU needs no scratch for rand-v5's mat-vecs");
    rwkv_edge_release(s);
    return;
  }
  CHECK(st.code == RWKV_EDGE_ARENA_TOO_SMALL);
  const std::string message = st.message;
  CHECK_MESSAGE(message.find("keeps 0: plan it with --onednn-scratch ") != std::string::npos, message);
  const size_t at = message.find("needs ") + 6;
  const uint64_t bytes = std::stoull(message.substr(at));
  planner::PlanOptions asked;
  asked.onednn_scratch = bytes;
  const ModelBytes enough = plan_to_bytes(shared_path("random/rand-v5.pth"), asked);
  Session session(enough, opts);
  CHECK(session.info.n_onednn_ops > 0);
  asked.onednn_scratch = 0;
  asked.onednn_scratch_host = true;
  plan_to_bytes(shared_path("random/rand-v5.pth"), asked, &report);
  CHECK(report.arena.scratch_bytes == bytes);
}
