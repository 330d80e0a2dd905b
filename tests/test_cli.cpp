// The CLI contract end to end: plan, inspect --json, logits, and one clear
// line with a non-zero exit for bad input (no output file left behind).
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "test_support.h"

using namespace rwkv_edge::test;

namespace {

struct Run {
  int status;
  std::string out;
};

Run run(const std::string& args) {
  const std::string cmd = std::string(RWKV_EDGE_CLI) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int st = pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

bool exists(const std::string& path) { return std::ifstream(path).good(); }

}  // namespace

TEST_CASE("plan -> inspect --json -> logits reproduces the official logits") {
  const std::string model = "/tmp/rwkv-edge-cli-test.rwkv", out = "/tmp/rwkv-edge-cli-test.bin";
  Run r = run("plan " + data_path("mini-v6.pth") + " -o " + model);
  REQUIRE_MESSAGE(r.status == 0, r.out);
  CHECK(r.out.find("arena total") != std::string::npos);
  r = run("inspect " + model + " --json");
  REQUIRE_MESSAGE(r.status == 0, r.out);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["metadata"]["version"] == "v6");
  CHECK(j["arena_bytes"].get<uint64_t>() > 0);
  CHECK(j["model_bytes"].get<uint64_t>() == read_file(model).size());
  r = run("logits " + model + " --tokens " + mini_tokens() + " --out " + out);
  REQUIRE_MESSAGE(r.status == 0, r.out);
  CHECK(max_abs_diff(read_floats(out), read_floats(data_path("mini-v6.official-logits.bin"))) <= 1e-4f);
  std::remove(out.c_str());
  std::remove(model.c_str());
}

TEST_CASE("bad input: one clear line, non-zero exit, nothing left behind") {
  const std::string model = "/tmp/rwkv-edge-cli-bad.rwkv";
  REQUIRE(run("plan " + data_path("mini-v4.pth") + " -o " + model).status == 0);
  const std::pair<std::string, std::string> cases[] = {
      {"logits " + model + " --tokens 1,2,999 --out /tmp/x.bin", "outside the vocabulary"},
      {"logits " + model + " --tokens 1,,2 --out /tmp/x.bin", "empty item"},
      {"logits " + model + " --tokens 1,-2 --out /tmp/x.bin", "non-negative integer"},
      {"logits " + model + " --tokens 99999999999999999999999 --out /tmp/x.bin", "number"},
      {"logits /nonexistent.rwkv --tokens 1 --out /tmp/x.bin", "cannot open"},
      {"logits " + data_path("mini-v4.pth") + " --tokens 1 --out /tmp/x.bin", "not an rwkv-edge model"},
      {"plan " + data_path("TOKENS") + " -o /tmp/rwkv-edge-cli-none.rwkv", "not a .pth"},
      {"plan " + data_path("mini-v4.pth") + " -o /tmp/rwkv-edge-cli-none.rwkv --ln-x-eps -1", "positive"},
      {"plan " + data_path("mini-v4.pth") + " -o /tmp/rwkv-edge-cli-none.rwkv --quant int3", "not implemented"},
      {"frobnicate", "unknown command"},
  };
  for (const auto& [args, needle] : cases) {
    const Run r = run(args);
    CHECK_MESSAGE(r.status != 0, args);
    CHECK_MESSAGE(r.out.find(needle) != std::string::npos, args << " -> " << r.out);
    CHECK_MESSAGE(std::count(r.out.begin(), r.out.end(), '\n') <= 2, r.out);
  }
  CHECK(!exists("/tmp/rwkv-edge-cli-none.rwkv"));
  CHECK(!exists("/tmp/rwkv-edge-cli-none.rwkv.tmp"));
  std::remove(model.c_str());
}
