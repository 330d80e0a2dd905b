// The tokenizer: equality with the official World tokenizer (the shared
// visible set and tests/data/world_tokenizer_cases.jsonl, made by
// tests/dev/make_tokenizer_cases.py), an independent greedy reference on
// random text, chunked calls, the vocabulary file parser, and rejection of
// vocabularies that would mislead the search.
#include <doctest/doctest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <unistd.h>

#include "importers.h"
#include "plan_error.h"
#include "text_stream.h"
#include "test_support.h"
#include "vocabulary.h"

using namespace rwkv_edge;

namespace {

std::string base64_decode(const std::string& in) {
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : in) {
    int v = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26 : c >= '0' && c <= '9' ? c - '0' + 52
          : c == '+' ? 62 : c == '/' ? 63 : -1;
    if (v < 0) continue;  // '=' padding
    buffer = buffer << 6 | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

struct Case {
  std::string text;
  std::vector<uint32_t> tokens;
};

std::vector<Case> read_cases(const std::string& path) {
  std::vector<Case> cases;
  std::ifstream f(path);
  for (std::string line; std::getline(f, line);) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line);
    cases.push_back({base64_decode(j["text_b64"].get<std::string>()), j["tokens"].get<std::vector<uint32_t>>()});
  }
  return cases;
}

std::vector<uint32_t> encode(const rwkv_edge_tokenizer& t, const std::string& text, size_t capacity = 0) {
  std::vector<uint32_t> all;
  std::vector<uint32_t> buffer(capacity != 0 ? capacity : text.size() + 1);
  size_t at = 0;
  do {
    size_t n = 0, consumed = 0;
    const rwkv_edge_status st =
        rwkv_edge_tokenize(&t, text.data() + at, text.size() - at, buffer.data(), buffer.size(), &n, &consumed);
    REQUIRE_MESSAGE(st.code == RWKV_EDGE_OK, st.message);
    all.insert(all.end(), buffer.begin(), buffer.begin() + static_cast<long>(n));
    at += consumed;
  } while (at < text.size());
  return all;
}

std::string decode(const rwkv_edge_tokenizer& t, const std::vector<uint32_t>& ids) {
  std::string out;
  for (uint32_t id : ids) {
    const uint8_t* p = nullptr;
    size_t n = 0;
    REQUIRE(rwkv_edge_token_bytes(&t, id, &p, &n).code == RWKV_EDGE_OK);
    out.append(reinterpret_cast<const char*>(p), n);
  }
  return out;
}

// Greedy longest match written the obvious way, as an independent reference.
std::vector<uint32_t> reference_encode(const planner::Vocabulary& v, const std::string& text) {
  std::map<std::string, uint32_t> ids;
  for (uint32_t i = 0; i < v.size(); ++i) {
    const std::string bytes(v.token_bytes.begin() + v.token_offsets[i], v.token_bytes.begin() + v.token_offsets[i + 1]);
    if (!bytes.empty()) ids[bytes] = i;  // the highest id of equal tokens, as the official dict keeps
  }
  std::vector<uint32_t> out;
  for (size_t at = 0; at < text.size();) {
    for (size_t len = std::min<size_t>(v.max_token_bytes, text.size() - at); len > 0; --len) {
      const auto it = ids.find(text.substr(at, len));
      if (it != ids.end()) {
        out.push_back(it->second);
        at += len;
        break;
      }
      REQUIRE(len > 1);  // every byte has a token in these vocabularies
    }
  }
  return out;
}

// The World vocabulary built into the planner (models/rwkv_vocab_v20230424.txt).
const planner::Vocabulary* world_vocabulary() {
  static const planner::Vocabulary v = planner::read_world_vocabulary(65536);
  return &v;
}

// A file in /tmp, removed when the test binary exits, whether its checks pass or not.
std::string write_temp(const std::string& name, const std::string& text) {
  struct Written {
    std::vector<std::string> paths;
    ~Written() {
      for (const std::string& p : paths) std::remove(p.c_str());
    }
  };
  static Written written;
  const std::string path = "/tmp/rwkv_edge_test_" + std::to_string(getpid()) + "_" + name;
  std::ofstream(path, std::ios::binary) << text;
  written.paths.push_back(path);
  return path;
}

}  // namespace

TEST_CASE("the built-in World vocabulary is the official file, byte for byte") {
  const std::string_view built_in = planner::world_vocabulary_text();
  CHECK(built_in.size() == 1093733);
  CHECK(world_vocabulary()->size() == 65536);  // the model's ids; the file names 1..65529
  CHECK(world_vocabulary()->kind == "world");
  const std::vector<uint8_t> committed = test::read_file(std::string(RWKV_EDGE_MODELS) + "/rwkv_vocab_v20230424.txt");
  CHECK(std::string_view(reinterpret_cast<const char*>(committed.data()), committed.size()) == built_in);
  if (!test::shared_available()) return;
  const std::vector<uint8_t> shared = test::read_file(test::shared_path("tokenizer/rwkv_vocab_v20230424.txt"));
  CHECK(shared == committed);
}

TEST_CASE("a 65536-token model gets the World vocabulary by default, none only when asked") {
  planner::Checkpoint ck = planner::load_checkpoint(test::data_path("mini-v7.pth"));
  for (const char* name : {"emb.weight", "head.weight"}) {  // the mini model, widened to World's 65536 tokens
    planner::Tensor& t = ck.tensors.at(name);
    const uint64_t cols = t.shape[1];
    t.shape[0] = 65536;
    t.data = test::random_normal(65536 * cols, 3, 0.1f);
  }
  planner::PlanOptions o;
  o.output = "/tmp/rwkv-edge-test-world-" + std::to_string(getpid()) + ".rwkv";
  planner::PlanReport r = planner::plan_checkpoint(ck, "wide", o);
  CHECK_MESSAGE(r.vocabulary.rfind("world (rwkv_vocab_v20230424.txt, built in, 65536 tokens)", 0) == 0, r.vocabulary);
  const test::ModelBytes m = test::load_model_bytes(o.output);
  rwkv_edge_tokenizer t{};
  REQUIRE(rwkv_edge_tokenizer_from_model(m.data(), m.size, &t).code == RWKV_EDGE_OK);
  CHECK(encode(t, "User: hi") == std::vector<uint32_t>{24281, 59, 4571});
  o.vocab = "none";
  r = planner::plan_checkpoint(ck, "wide", o);
  CHECK(r.vocabulary == "none (--vocab none)");
  std::remove(o.output.c_str());
}

TEST_CASE("World tokenizer equals the official one on the visible set and the committed cases") {
  const planner::Vocabulary* v = world_vocabulary();
  const rwkv_edge_tokenizer t = v->view();
  REQUIRE(rwkv_edge_tokenizer_check(&t).code == RWKV_EDGE_OK);
  CHECK(t.max_token_bytes == 128);
  size_t checked = 0;
  std::vector<std::string> files = {test::data_path("world_tokenizer_cases.jsonl")};
  if (test::shared_available()) files.push_back(test::shared_path("tokenizer/visible.jsonl"));
  for (const std::string& file : files) {
    const std::vector<Case> cases = read_cases(file);
    CHECK(!cases.empty());
    for (const Case& c : cases) {
      CAPTURE(c.text);
      CHECK(encode(t, c.text) == c.tokens);
      CHECK(encode(t, c.text, 3) == c.tokens);  // stopped and resumed every 3 tokens
      CHECK(decode(t, c.tokens) == c.text);
      ++checked;
    }
  }
  CHECK(checked >= 30);
}

TEST_CASE("World tokenizer equals a plain greedy reference on random text and bytes") {
  const planner::Vocabulary* v = world_vocabulary();
  const rwkv_edge_tokenizer t = v->view();
  std::mt19937 rng(7);
  const std::vector<std::string> pieces = {"the", " of", "中", "文", "😀", "\n", "  ", "ing", "é", "\xff", "\x80", "0", "12"};
  for (int round = 0; round < 60; ++round) {
    std::string text;
    const int n = static_cast<int>(rng() % 200);
    for (int i = 0; i < n; ++i)
      text += round % 2 == 0 ? pieces[rng() % pieces.size()] : std::string(1, static_cast<char>(rng() & 0xFF));
    const std::vector<uint32_t> ids = encode(t, text);
    CHECK(ids == reference_encode(*v, text));
    CHECK(decode(t, ids) == text);
  }
}

TEST_CASE("the byte vocabulary maps byte i to token i and back") {
  const planner::Vocabulary v = planner::byte_vocabulary();
  const rwkv_edge_tokenizer t = v.view();
  REQUIRE(rwkv_edge_tokenizer_check(&t).code == RWKV_EDGE_OK);
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  const std::vector<uint32_t> ids = encode(t, all + all);
  REQUIRE(ids.size() == 512);
  for (uint32_t i = 0; i < 512; ++i) CHECK(ids[i] == i % 256);
  CHECK(decode(t, ids) == all + all);
  const uint8_t* p;
  size_t n;
  CHECK(rwkv_edge_token_bytes(&t, 256, &p, &n).code == RWKV_EDGE_TOKEN_OUT_OF_RANGE);
}

TEST_CASE("a model file carries its vocabulary; none is refused clearly") {
  planner::PlanOptions o;
  o.calibration = "none";
  const std::string tiny = std::string(RWKV_EDGE_MODELS) + "/tiny-rwkv-5v2-730K-FP16.bin";
  planner::PlanReport report;
  const test::ModelBytes with = test::plan_to_bytes(tiny, o, &report);
  CHECK(report.vocabulary.find("bytes") == 0);
  rwkv_edge_tokenizer t;
  REQUIRE(rwkv_edge_tokenizer_from_model(with.data(), with.size, &t).code == RWKV_EDGE_OK);
  CHECK(encode(t, "hi") == std::vector<uint32_t>{'h', 'i'});

  o.vocab = "none";
  const test::ModelBytes without = test::plan_to_bytes(tiny, o);
  const rwkv_edge_status st = rwkv_edge_tokenizer_from_model(without.data(), without.size, &t);
  CHECK(st.code == RWKV_EDGE_UNSUPPORTED);
  CHECK(std::string(st.message).find("no vocabulary") != std::string::npos);

  o.vocab = "world";  // a 256-token model cannot take it
  CHECK_THROWS_AS(test::plan_to_bytes(tiny, o), planner::PlanError);
}

TEST_CASE("vocabulary files: Python literals decode as the official loader does") {
  std::string bytes, error;
  CHECK(planner::decode_python_literal("'\\x00'", &bytes, &error));
  CHECK(bytes == std::string(1, '\0'));
  CHECK(planner::decode_python_literal("'\\xe9'", &bytes, &error));  // a str: U+00E9 as UTF-8
  CHECK(bytes == "\xc3\xa9");
  CHECK(planner::decode_python_literal("b'\\xe9'", &bytes, &error));  // bytes: the byte itself
  CHECK(bytes == "\xe9");
  CHECK(planner::decode_python_literal("'\\u2002'", &bytes, &error));
  CHECK(bytes == "\xe2\x80\x82");
  CHECK(planner::decode_python_literal("\"'\"", &bytes, &error));
  CHECK(bytes == "'");
  CHECK(planner::decode_python_literal("' \\'\\\\\\n\\t'", &bytes, &error));
  CHECK(bytes == " '\\\n\t");
  CHECK(planner::decode_python_literal("'中文'", &bytes, &error));
  CHECK(bytes == "中文");
  for (const char* bad : {"abc", "'abc", "'a'b'", "b'\\u1234'", "'\\x4'", "'\\q'", "b'é'", "'\\ud800'", "'\\'"}) {
    CAPTURE(bad);
    CHECK_FALSE(planner::decode_python_literal(bad, &bytes, &error));
    CHECK(!error.empty());
  }
}

TEST_CASE("vocabulary files: malformed lines are refused with their line number") {
  const std::string good = write_temp("good.txt", "1 'a' 1\r\n2 b'\\xff' 1\r\n3 'ab' 2\r\n");
  const planner::Vocabulary v = planner::read_vocabulary_file(good, 0);
  CHECK(v.size() == 4);
  CHECK(v.sorted_ids.size() == 3);
  for (const auto& [text, fragment] : std::vector<std::pair<std::string, std::string>>{
           {"1 'a' 2\n", "line 1: the literal is 1 bytes"},
           {"1 'a' 1\nx 'b' 1\n", "line 2: the id is not a number"},
           {"1 'a' 1\n1 'b' 1\n", "line 2: id 1 appears twice"},
           {"1 'a'\n", "line 1: expected"},
           {"1 '' 0\n", "line 1: empty token"},
           {"70000 'a' 1\n", "outside"},
           {"", "names no tokens"}}) {
    const std::string path = write_temp("bad.txt", text);
    try {
      (void)planner::read_vocabulary_file(path, 65536);
      FAIL("accepted: " << text);
    } catch (const planner::PlanError& e) {
      CHECK_MESSAGE(std::string(e.what()).find(fragment) != std::string::npos, e.what());
    }
  }
  // Without a model the highest id bounds the tables, so it is bounded too.
  const std::string last_allowed = std::to_string(planner::kStandaloneIdLimit - 1) + " 'a' 1\n";
  CHECK(planner::read_vocabulary_file(write_temp("sparse.txt", last_allowed), 0).size() == planner::kStandaloneIdLimit);
  try {
    (void)planner::read_vocabulary_file(
        write_temp("huge.txt", std::to_string(planner::kStandaloneIdLimit) + " 'a' 1\n"), 0);
    FAIL("accepted an id at the standalone limit");
  } catch (const planner::PlanError& e) {
    CHECK_MESSAGE(std::string(e.what()).find("outside the limit (1048576)") != std::string::npos, e.what());
  }
}

TEST_CASE("equal tokens keep the highest id, as the official tokenizer does") {
  const std::string path = write_temp("dup.txt", "1 'a' 1\n2 'b' 1\n3 'ab' 2\n4 'ab' 2\n");
  const planner::Vocabulary v = planner::read_vocabulary_file(path, 0);
  const rwkv_edge_tokenizer t = v.view();
  CHECK(encode(t, "abab") == std::vector<uint32_t>{4, 4});
  CHECK(decode(t, {3}) == "ab");
}

TEST_CASE("vocabularies that would mislead the search are refused") {
  planner::Vocabulary v = planner::byte_vocabulary();
  rwkv_edge_tokenizer t = v.view();
  std::vector<uint32_t> sorted = v.sorted_ids;
  std::swap(sorted[3], sorted[4]);
  t.sorted_ids = sorted.data();
  CHECK(rwkv_edge_tokenizer_check(&t).code == RWKV_EDGE_BAD_MODEL);
  t = v.view();
  std::vector<uint32_t> offsets = v.token_offsets;
  offsets[10] = 9999;
  t.token_offsets = offsets.data();
  CHECK(rwkv_edge_tokenizer_check(&t).code == RWKV_EDGE_BAD_MODEL);
  t = v.view();
  t.max_token_bytes = 5;
  CHECK(rwkv_edge_tokenizer_check(&t).code == RWKV_EDGE_BAD_MODEL);
  t = v.view();
  sorted = v.sorted_ids;
  sorted[0] = 300;
  t.sorted_ids = sorted.data();
  CHECK(rwkv_edge_tokenizer_check(&t).code == RWKV_EDGE_BAD_MODEL);
  // A vocabulary without some byte: encoding says which byte, never loops.
  const std::string path = write_temp("nobyte.txt", "1 'a' 1\n");
  const planner::Vocabulary small = planner::read_vocabulary_file(path, 0);
  t = small.view();
  uint32_t ids[4];
  size_t n = 0, consumed = 0;
  const rwkv_edge_status st = rwkv_edge_tokenize(&t, "aab", 3, ids, 4, &n, &consumed);
  CHECK(st.code == RWKV_EDGE_INVALID_ARGUMENT);
  CHECK(std::string(st.message).find("0x62 at offset 2") != std::string::npos);
  CHECK(n == 2);
  CHECK(consumed == 2);
}

TEST_CASE("streamed text is cut only before an unfinished UTF-8 character") {
  auto keep = [](const std::string& s) { return rwkv_edge_utf8_complete_prefix(s.data(), s.size()); };
  CHECK(keep("") == 0);
  CHECK(keep("abc") == 3);
  CHECK(keep("a\xe4\xb8") == 1);          // 中 missing its last byte
  CHECK(keep("a\xe4\xb8\xad") == 4);      // complete
  CHECK(keep("a\xf0\x9f\x98") == 1);      // 😀 missing one
  CHECK(keep("a\xf0") == 1);
  CHECK(keep("a\xc3") == 1);
  CHECK(keep("a\xff") == 2);              // invalid: never held back
  CHECK(keep("a\x80") == 2);              // a lone continuation byte
  CHECK(keep("a\xe0\x80") == 3);          // overlong start: invalid, let through
  CHECK(keep("a\xed\xa0") == 3);          // surrogate start: invalid
  CHECK(keep("\xc0") == 1);               // never-valid lead byte
}

TEST_CASE("generated text streams whole characters and never shows the stop string") {
  auto shown_after_each = [](const std::vector<std::string>& pieces, const std::string& stop, bool* stopped) {
    char* buffer = nullptr;
    size_t size = 0;
    std::FILE* out = open_memstream(&buffer, &size);
    REQUIRE(out != nullptr);
    std::vector<std::string> shown;
    {
      cli::TextStream stream(out, stop);
      *stopped = false;
      for (const std::string& p : pieces) {
        if (stream.append(p)) {
          *stopped = true;
          break;
        }
        std::fflush(out);
        shown.emplace_back(buffer, size);
      }
      stream.finish();
    }
    std::fclose(out);
    shown.emplace_back(buffer, size);
    std::free(buffer);
    return shown;
  };
  bool stopped = false;
  // 中 (e4 b8 ad) and 😀 (f0 9f 98 80) arriving a byte at a time.
  auto shown = shown_after_each({"a", "\xe4", "\xb8", "\xad", "\xf0\x9f", "\x98", "\x80", "\xff"}, "", &stopped);
  CHECK(shown == std::vector<std::string>{"a", "a", "a", "a\xe4\xb8\xad", "a\xe4\xb8\xad", "a\xe4\xb8\xad",
                                          "a\xe4\xb8\xad\xf0\x9f\x98\x80", "a\xe4\xb8\xad\xf0\x9f\x98\x80\xff",
                                          "a\xe4\xb8\xad\xf0\x9f\x98\x80\xff"});
  CHECK_FALSE(stopped);
  shown = shown_after_each({"Hi", "\n", "there", "\n", "\nUser"}, "\n\n", &stopped);
  CHECK(stopped);
  CHECK(shown.back() == "Hi\nthere");
  CHECK(shown[1] == "Hi");  // the lone "\n" waits: it may begin the stop string
  CHECK(shown[2] == "Hi\nthere");
}
