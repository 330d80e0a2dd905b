// Importers: restricted unpickler, zip container, safetensors, rwkv.cpp .bin,
// fp16/bf16 decoding, and malformed input of every kind.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <filesystem>

#include "importers.h"
#include "plan_error.h"
#include "planner.h"
#include "rwkv_model.h"
#include "test_support.h"
#include "torch_unpickler.h"

using namespace rwkv_edge;
using namespace rwkv_edge::planner;
using namespace rwkv_edge::test;

namespace {

std::vector<PickledTensor> unpickle(const std::string& bytes) {
  return unpickle_state_dict(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "test");
}

// A pickle from a literal that contains NUL bytes, sized by the compiler.
template <size_t N>
std::string bytes(const char (&literal)[N]) {
  return std::string(literal, N - 1);
}

std::string error_of(const std::string& pickle) {
  try {
    unpickle(pickle);
  } catch (const PlanError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("the unpickler refuses globals and opcodes outside a state_dict") {
  // os.system('x') as protocol 2: the classic pickle exploit.
  const std::string evil = bytes("\x80\x02" "cos\nsystem\n" "X\x01\x00\x00\x00x" "\x85R.");
  CHECK(error_of(evil).find("'os.system' is not allowed") != std::string::npos);
  CHECK(error_of(bytes("\x80\x02" "cbuiltins\neval\n.")).find("not allowed") != std::string::npos);
  CHECK(error_of(bytes("\x80\x02" "S'x'\n.")).find("opcode 0x53") != std::string::npos);
  CHECK(error_of(bytes("\x80\x02" "N.")).find("not a dict") != std::string::npos);
  CHECK(error_of(bytes("\x80\x02" "}q\x00")).find("truncated") != std::string::npos);
  CHECK(error_of(bytes("\x80\x02" "h\x05.")).find("memo") != std::string::npos);
  CHECK(error_of(bytes("\x80\x02" "}X\x01\x00\x00\x00kK\x01s.")).find("not a tensor") != std::string::npos);
  CHECK(unpickle(bytes("\x80\x02}.")).empty());
}

TEST_CASE("the fixtures' pickles parse into tensors with shapes and storages") {
  const Checkpoint ck = load_checkpoint(data_path("mini-v7.pth"));
  CHECK(ck.format == "pth");
  CHECK(ck.get("emb.weight").shape == std::vector<uint64_t>{24, 16});
  CHECK(ck.get("blocks.1.att.r_k").shape == std::vector<uint64_t>{2, 8});
  CHECK(detect_model(ck).version == fb::RwkvVersion::V7);
}

TEST_CASE("version detection follows the official rules on every mini fixture") {
  const std::pair<const char*, fb::RwkvVersion> cases[] = {
      {"mini-v4.pth", fb::RwkvVersion::V4}, {"mini-v5.pth", fb::RwkvVersion::V5},
      {"mini-v5.2.pth", fb::RwkvVersion::V5_2}, {"mini-v6.pth", fb::RwkvVersion::V6},
      {"mini-v7.pth", fb::RwkvVersion::V7}};
  for (const auto& [file, version] : cases) {
    const ModelDims d = detect_model(load_checkpoint(data_path(file)));
    CHECK(d.version == version);
    CHECK(d.n_layer == 2);
    CHECK(d.n_embd == 16);
    if (version != fb::RwkvVersion::V4) CHECK(d.head_size == 8);
  }
}

TEST_CASE("fp16 and bf16 checkpoints decode to the float32 weights within their rounding") {
  for (auto [low, full, rel] : {std::tuple{"mini-v4-fp16.pth", "mini-v4.pth", 1.0 / 1024},
                                std::tuple{"mini-v6-bf16.pth", "mini-v6.pth", 1.0 / 128}}) {
    const Checkpoint a = load_checkpoint(data_path(low)), b = load_checkpoint(data_path(full));
    REQUIRE(a.tensors.size() == b.tensors.size());
    for (const auto& [name, t] : b.tensors) {
      const Tensor& u = a.get(name);
      REQUIRE(u.data.size() == t.data.size());
      CHECK(u.source_dtype != SourceDType::F32);
      for (size_t i = 0; i < t.data.size(); ++i)
        REQUIRE(std::fabs(u.data[i] - t.data[i]) <= rel * std::fabs(t.data[i]) + 1e-7);
    }
  }
  CHECK(half_to_float(0x3C00) == 1.0f);
  CHECK(half_to_float(0x0001) == std::ldexp(1.0f, -24));  // subnormal
  CHECK(std::isinf(half_to_float(0x7C00)));
  CHECK(bfloat16_to_float(float_to_bfloat16_round(1.00390625f)) == 1.0f);  // ties to even
}

TEST_CASE("truncated and corrupted .pth files give an error, never a crash") {
  const auto bytes = read_file(data_path("mini-v5.pth"));
  size_t errors = 0, tried = 0;
  for (size_t n = 0; n < bytes.size(); n += 37, ++tried) {
    try {
      import_pth(bytes.data(), n, "cut");
    } catch (const PlanError&) {
      ++errors;
    }
  }
  CHECK(errors == tried);
  auto flipped = bytes;
  for (size_t pos = 0; pos < flipped.size(); pos += 29) {
    flipped[pos] ^= 0x41;
    try {
      detect_model(import_pth(flipped.data(), flipped.size(), "flipped"));
    } catch (const PlanError&) {
    }
    flipped[pos] ^= 0x41;
  }
}

TEST_CASE("safetensors: parsed with bounds checks") {
  auto make = [](const std::string& header, size_t data_bytes) {
    std::vector<uint8_t> f(8 + header.size() + data_bytes, 0);
    const uint64_t n = header.size();
    std::memcpy(f.data(), &n, 8);
    std::memcpy(f.data() + 8, header.data(), header.size());
    return f;
  };
  auto ok = make(R"({"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[16,20]},"__metadata__":{"x":"y"}})", 20);
  const float vals[4] = {1, 2, 3, 4};
  std::memcpy(ok.data() + ok.size() - 20, vals, 16);
  const uint16_t bf[2] = {0x3F80, 0xC000};
  std::memcpy(ok.data() + ok.size() - 4, bf, 4);
  const Checkpoint ck = import_safetensors(ok.data(), ok.size(), "st");
  CHECK(ck.get("a").data == std::vector<float>{1, 2, 3, 4});
  CHECK(ck.get("b").data == std::vector<float>{1, -2});
  for (const char* bad : {R"({"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,20]}})",
                          R"({"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,16]}})",
                          R"({"a":{"dtype":"I64","shape":[2],"data_offsets":[0,16]}})", R"({"a":)", "[]"}) {
    const auto f = make(bad, 16);
    CHECK_THROWS_AS(import_safetensors(f.data(), f.size(), "st"), PlanError);
  }
  std::vector<uint8_t> huge(16, 0xFF);
  CHECK_THROWS_AS(import_safetensors(huge.data(), huge.size(), "st"), PlanError);
}

TEST_CASE("rwkv.cpp .bin: transforms undone, Q5_1 dequantized, malformed files refused") {
  if (!shared_available()) return;
  const Checkpoint bin = load_checkpoint(shared_path("tiny/tiny-rwkv-7v0-834K-FP32.bin"));
  const Checkpoint pth = load_checkpoint(shared_path("tiny/tiny-rwkv-7v0-834K.pth"));
  for (const char* name : {"blocks.1.att.x_g", "blocks.1.att.w1", "blocks.1.att.v2", "head.weight"}) {
    const auto &a = bin.get(name).data, &b = pth.get(name).data;
    REQUIRE(a.size() == b.size());
    CHECK(a == b);
  }
  // The Q5_1 original dequantizes to exactly the float32 checkpoint made from it.
  const Checkpoint q51 = load_checkpoint(shared_path("tiny/tiny-rwkv-6v0-3m-Q5_1.bin"));
  const Checkpoint dq = load_checkpoint(shared_path("tiny/tiny-rwkv-6v0-3m-dq.pth"));
  CHECK(q51.format.find("Q5_1") != std::string::npos);
  for (const char* name : {"blocks.0.att.key.weight", "blocks.11.ffn.value.weight", "head.weight", "emb.weight"})
    CHECK_MESSAGE(q51.get(name).data == dq.get(name).data, name);
  auto bytes = read_file(shared_path("tiny/tiny-rwkv-4v0-660K-FP32.bin"));
  for (size_t n = 0; n < 4096; n += 3)
    CHECK_THROWS_AS(import_rwkvcpp_bin(bytes.data(), n, "cut"), PlanError);
}

TEST_CASE("a checkpoint with a NaN or Inf weight is refused by name, for every weight format") {
  Checkpoint ck = load_checkpoint(data_path("mini-v5.2.pth"));
  for (const float bad : {std::nanf(""), -INFINITY}) {
    ck.tensors.at("blocks.1.att.key.weight").data[5] = bad;
    for (const char* quant : {"fp32", "int8", "int4"}) {
      PlanOptions options;
      options.output = "/tmp/rwkv-edge-nan-test.rwkv";
      options.quant.segments = {{parse_weight_choice(quant), 0}};
      options.calibration = "none";
      try {
        plan_checkpoint(ck, "mini-v5.2.pth", options);
        FAIL("planned a checkpoint holding " << bad);
      } catch (const PlanError& e) {
        CHECK(std::string(e.what()).find("'blocks.1.att.key.weight' holds") != std::string::npos);
      }
      CHECK_FALSE(std::filesystem::exists(options.output));
    }
  }
}
