// The CLI contract end to end: plan, inspect --json, logits (step and seq),
// ppl, generate, chat, state files, and one clear
// line with a non-zero exit for bad input (no output file left behind).
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <csignal>
#include <filesystem>
#include <map>
#include <sstream>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cpu_features.h"
#include "matmul_i8.h"
#include "test_support.h"

using namespace rwkv_edge::test;

namespace {

struct Run {
  int status;
  std::string out;
};

// A shell command line; its stdout and exit status.
Run run_shell(const std::string& cmd) {
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int st = pclose(p);
  return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

// The CLI with `args`: stderr joins stdout unless `keep_stderr_apart` (then it is discarded).
Run run(const std::string& args, bool keep_stderr_apart = false) {
  return run_shell(std::string(RWKV_EDGE_CLI) + " " + args + (keep_stderr_apart ? " 2>/dev/null" : " 2>&1"));
}

bool exists(const std::string& path) { return std::ifstream(path).good(); }

// Whether this CPU's kernels multiply int8 prefill inputs as integers (AVX2;
// NEON with the dot product): where not, --prefill-inputs int8 changes nothing.
bool integer_prefill_here() {
  using namespace rwkv_edge;
  return matmul::has_integer_kernel(cpu::resolve(cpu::KernelPath::Auto, cpu::features()));
}

// Files beside `path` whose names start with its name and a dot: the
// temporary files a write through it may leave ("M.rwkv.tmp.123", "M.rwkv.calibration.123").
std::vector<std::string> leftovers(const std::string& path) {
  const std::filesystem::path p(path);
  std::vector<std::string> found;
  const std::string prefix = p.filename().string() + ".";
  for (const auto& e : std::filesystem::directory_iterator(p.parent_path()))
    if (e.path().filename().string().rfind(prefix, 0) == 0) found.push_back(e.path().string());
  return found;
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

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

TEST_CASE("plan --strategy: per-matrix table, JSON report, inspect shows the stored types") {
  const std::string model = "/tmp/rwkv-edge-cli-quant.rwkv";
  Run r = run("plan " + data_path("mini-v5.2.pth") + " -o " + model + " --strategy 'int4 *1 -> int8' --emb fp16");
  REQUIRE_MESSAGE(r.status == 0, r.out);
  // A short summary by default; the table of every matrix with --verbose.
  CHECK(r.out.find("blocks.0.att.key.weight") == std::string::npos);
  CHECK(r.out.find("formats: int4:32 *1 -> int8 (as asked)\n") != std::string::npos);
  CHECK_MESSAGE(r.out.find("errors: 18 of 18 tables converted; relative weight error median ") != std::string::npos, r.out);
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') < 25);
  // The warning about the missing vocabulary is a diagnostic: stderr, not stdout.
  const Run out_only = run("plan " + data_path("mini-v5.2.pth") + " -o " + model, true);
  CHECK(out_only.out.find("warning:") == std::string::npos);
  const Run err_only = run_shell(std::string(RWKV_EDGE_CLI) + " plan " + data_path("mini-v5.2.pth") + " -o " + model +
                                 " 2>&1 >/dev/null");
  CHECK(err_only.out.rfind("warning: vocabulary none: a 24-token model", 0) == 0);
  CHECK(run_shell(std::string(RWKV_EDGE_CLI) + " plan " + data_path("mini-v5.2.pth") + " -o " + model +
                  " --vocab none 2>&1 >/dev/null").out.empty());  // asked for: nothing to warn about
  r = run("plan " + data_path("mini-v5.2.pth") + " -o " + model + " --strategy 'int4 *1 -> int8' --emb fp16 --verbose");
  REQUIRE_MESSAGE(r.status == 0, r.out);
  CHECK(r.out.find("blocks.0.att.key.weight") != std::string::npos);
  CHECK(r.out.find("int4:32") != std::string::npos);
  CHECK(r.out.find("no vocabulary to tokenize") != std::string::npos);  // vocab 24: no calibration, said so
  CHECK(r.out.find("vocabulary: none: a 24-token model is neither byte-level nor World") != std::string::npos);
  CHECK(r.out.find("bytes per parameter") != std::string::npos);
  r = run("inspect " + model);
  REQUIRE_MESSAGE(r.status == 0, r.out);
  CHECK(r.out.find("i4:32") != std::string::npos);  // int4 with its group size
  CHECK(r.out.find("f16") != std::string::npos);
  CHECK(r.out.find("vocabulary: none (generate, chat, ppl and tokenize need one") != std::string::npos);
  r = run("inspect " + model + " --json", true);
  REQUIRE_MESSAGE(r.status == 0, r.out);
  {
    const auto inspected = nlohmann::json::parse(r.out);
    CHECK(inspected["vocabulary"]["kind"] == "none");
    int int4 = 0;
    for (const auto& t : inspected["tensors"]) {
      if (t["dtype"] != "i4") continue;
      CHECK(t["group_size"] == 32);
      ++int4;
    }
    CHECK(int4 > 0);
  }
  r = run("plan " + data_path("mini-v5.2.pth") + " -o " + model + " --json");
  REQUIRE_MESSAGE(r.status == 0, r.out);
  const double fp32_bytes = nlohmann::json::parse(r.out)["bytes_per_parameter"].get<double>();
  r = run("plan " + data_path("mini-v5.2.pth") + " -o " + model + " --quant int8 --json");
  REQUIRE_MESSAGE(r.status == 0, r.out);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["bytes_per_parameter"].get<double>() < 0.75 * fp32_bytes);
  for (const auto& t : j["quantized"]) {
    CHECK(t["stored"] == "int8");
    CHECK(t["relative_rms_error"].get<double>() < 0.01);
  }
  // --lora: the v6 low-rank factors take the type asked for, whatever the layers are.
  r = run("plan " + data_path("mini-v6.pth") + " -o " + model + " --quant int4 --lora fp16 --json");
  REQUIRE_MESSAGE(r.status == 0, r.out);
  int low_rank = 0;
  const auto lora_plan = nlohmann::json::parse(r.out);
  for (const auto& t : lora_plan["quantized"]) {
    if (t["name"].get<std::string>().ends_with(".weight")) continue;
    CHECK(t["stored"] == "fp16");
    ++low_rank;
  }
  CHECK(low_rank > 0);
  r = run("plan " + data_path("mini-v5.2.pth") + " -o " + model + " --quant int4 --calibration /etc/hostname");
  CHECK(r.status != 0);
  CHECK(r.out.find("--calibration needs a vocabulary") != std::string::npos);
  std::remove(model.c_str());
}

TEST_CASE("ppl scores a text in bits per byte: the logits' log-likelihood, summed") {
  const std::string model = "/tmp/rwkv-edge-cli-ppl.rwkv";
  const std::string text = data_path("text/gpl-3.0.txt");
  REQUIRE(run("plan " + std::string(RWKV_EDGE_MODELS) + "/tiny-rwkv-5v2-730K-FP16.bin --quant fp32 -o " + model).status == 0);
  const Run r = run("ppl " + model + " --file " + text + " --max-bytes 1500 --json", true);
  REQUIRE_MESSAGE(r.status == 0, r.out);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["tokens"].get<uint64_t>() == 1499);
  CHECK(j["bytes"].get<uint64_t>() == 1499);

  // The same quantity from the runtime's logits, computed here independently.
  const std::vector<uint8_t> bytes = read_file(text);
  REQUIRE(bytes.size() >= 1500);
  const std::vector<uint32_t> tokens(bytes.begin(), bytes.begin() + 1499);
  const std::vector<float> logits = run_logits(load_model_bytes(model), tokens, false);
  double nll = 0.0;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const float* row = logits.data() + i * 256;
    double sum = 0.0;
    for (int v = 0; v < 256; ++v) sum += std::exp(static_cast<double>(row[v]));
    nll += std::log(sum) - row[bytes[i + 1]];
  }
  const double bpb = nll / std::log(2.0) / 1499.0;
  CHECK(j["bits_per_byte"].get<double>() == doctest::Approx(bpb).epsilon(1e-9));
  CHECK(j["ppl"].get<double>() == doctest::Approx(std::exp(nll / 1499.0)).epsilon(1e-9));
  CHECK(bpb < 4.0);  // a trained model on English text; uniform bytes would be 8
  MESSAGE("tiny-rwkv-5v2 on 1,500 bytes of the GPL-3.0 text: " << bpb << " bits per byte");

  // Through chunked prefill: a float32 plan scores the same bits; an int8
  // plan with int8 prefill inputs scores a little differently.
  const Run seq = run("ppl " + model + " --file " + text + " --max-bytes 1500 --mode seq --json", true);
  REQUIRE_MESSAGE(seq.status == 0, seq.out);
  CHECK(nlohmann::json::parse(seq.out)["bits_per_byte"].get<double>() == j["bits_per_byte"].get<double>());
  CHECK(nlohmann::json::parse(seq.out)["mode"] == "seq");
  const std::string int8_model = "/tmp/rwkv-edge-cli-ppl-int8.rwkv";
  REQUIRE(run("plan " + std::string(RWKV_EDGE_MODELS) + "/tiny-rwkv-5v2-730K-FP16.bin --quant int8 -o " + int8_model)
              .status == 0);
  const auto score = [&](const std::string& extra) {
    const Run p = run("ppl " + int8_model + " --file " + text + " --max-bytes 1500 --json " + extra, true);
    REQUIRE_MESSAGE(p.status == 0, p.out);
    return nlohmann::json::parse(p.out);
  };
  const auto steps = score(""), rounded = score("--mode seq --prefill-inputs int8");
  CHECK(rounded["prefill_inputs"] == "int8");
  const double delta = rounded["bits_per_byte"].get<double>() / steps["bits_per_byte"].get<double>() - 1.0;
  CHECK((delta != 0.0) == integer_prefill_here());  // without an integer kernel the products keep floats
  CHECK(std::fabs(delta) < 1e-3);  // measured +0.03% on the whole text (docs/numerics.md)
  MESSAGE("int8 prefill inputs on the same text: " << 100.0 * delta << "% bits per byte");
  std::remove(int8_model.c_str());

  const std::string mini = "/tmp/rwkv-edge-cli-ppl-mini.rwkv";
  REQUIRE(run("plan " + data_path("mini-v4.pth") + " -o " + mini).status == 0);
  const std::pair<std::string, std::string> bad[] = {
      {"ppl " + mini + " --file " + text, "ppl needs a tokenizer: the model file carries no vocabulary"},
      {"ppl " + model, "missing --file"},
      {"ppl " + model + " --file /nonexistent.txt", "cannot open"},
      {"ppl " + model + " --file " + text + " --max-bytes 1", "at least 2 tokens"},
      {"ppl " + model + " --file " + text + " --mode chunks", "--mode must be step or seq"},
      {"ppl " + model + " --file " + text + " --prefill-inputs int4", "--prefill-inputs must be float or int8"},
  };
  for (const auto& [args_text, needle] : bad) {
    const std::string& args = args_text;  // CHECK_MESSAGE's lambda cannot capture a structured binding (clang 14)
    const Run b = run(args);
    CHECK_MESSAGE(b.status != 0, args);
    CHECK_MESSAGE(b.out.find(needle) != std::string::npos, args << " -> " << b.out);
  }
  std::remove(model.c_str());
  std::remove(mini.c_str());
}

TEST_CASE("bad input: one clear line, non-zero exit, nothing left behind") {
  const std::string model = "/tmp/rwkv-edge-cli-bad.rwkv";
  Run planned = run("plan " + data_path("mini-v4.pth") + " -o " + model);
  REQUIRE(planned.status == 0);
  // v4 has neither heads nor ln_x: the summary names neither.
  CHECK_MESSAGE(planned.out.find("RWKV v4: 2 layers, n_embd 16, ffn 32, vocab 24\n") != std::string::npos, planned.out);
  CHECK(planned.out.find("heads") == std::string::npos);
  CHECK(planned.out.find("ln_x") == std::string::npos);
  CHECK(run("inspect " + model).out.find("RWKV v4: 2 layers, n_embd 16, ffn 32, vocab 24\n") != std::string::npos);
  for (const auto& [file, label] : {std::pair<std::string, std::string>{"mini-v5.pth", "RWKV v5 (5.0: ln_x, no gate): "},
                                    {"mini-v5.2.pth", "RWKV v5.2 (5.2: gate, decay per head): "}}) {
    planned = run("plan " + data_path(file) + " -o /tmp/rwkv-edge-cli-none.rwkv --vocab none", true);
    CHECK_MESSAGE(planned.out.find(label) != std::string::npos, planned.out);
    std::remove("/tmp/rwkv-edge-cli-none.rwkv");
  }
  std::ofstream("/tmp/rwkv-edge-cli-empty.rwkv", std::ios::trunc).flush();
  // A plan that must be refused: its output path must never appear.
  const std::string plan_v4 = "plan " + data_path("mini-v4.pth") + " -o /tmp/rwkv-edge-cli-none.rwkv";
  const std::pair<std::string, std::string> cases[] = {
      {"logits " + model + " --tokens 1,2,999 --out /tmp/x.bin", "outside the vocabulary"},
      {"logits " + model + " --tokens 1,,2 --out /tmp/x.bin", "empty item"},
      {"logits " + model + " --tokens 1,-2 --out /tmp/x.bin", "non-negative integer"},
      {"logits " + model + " --tokens 99999999999999999999999 --out /tmp/x.bin", "number"},
      {"logits /nonexistent.rwkv --tokens 1 --out /tmp/x.bin", "cannot open"},
      {"logits " + data_path("mini-v4.pth") + " --tokens 1 --out /tmp/x.bin",
       "is a checkpoint (.pth), not a model file: plan it first, e.g. rwkv-edge plan"},
      {"generate " + std::string(RWKV_EDGE_MODELS) + "/tiny-rwkv-5v2-730K-FP16.bin --prompt hi",
       "is a checkpoint (rwkv.cpp .bin), not a model file: plan it first"},
      {"logits " + data_path("TOKENS") + " --tokens 1 --out /tmp/x.bin", "not an rwkv-edge model file: 28 bytes"},
      {"inspect /tmp/rwkv-edge-cli-empty.rwkv", "the model is empty (0 bytes)"},
      {"generate /tmp/rwkv-edge-cli-empty.rwkv --prompt hi", "the model is empty (0 bytes)"},
      {"plan /tmp/rwkv-edge-cli-empty.rwkv -o /tmp/rwkv-edge-cli-none.rwkv", "is empty (0 bytes)"},
      {"soak " + model + " --tokens 50 --warmup 60", "--tokens 50 does not cover the warm-up (60)"},
      {"soak " + model + " --tokens 1", "--tokens must be at least 2"},
      {"tokenize " + model + " --vocab bytes --text a", "give a model file or --vocab, not both"},
      {"tokenize --text a", "give a model file or --vocab world|bytes|FILE"},
      {"tokenize --vocab none --text a", "--vocab none has no tokens"},
      {"detokenize --vocab bytes --file " + data_path("mini-v4.pth"), "bytes; the first 40 shown)"},
      {"bench " + model + " --threads -1", "--threads must be a whole number from 1 to 64"},
      {"bench " + model + " --threads 0", "--threads must be a whole number from 1 to 64"},
      {"bench " + model + " --threads 65", "--threads must be a whole number from 1 to 64"},
      {"plan " + data_path("text/gpl-3.0.txt") + " -o /tmp/rwkv-edge-cli-none.rwkv", "not a .pth (zip)"},
      {"plan " + data_path("TOKENS") + " -o /tmp/rwkv-edge-cli-none.rwkv", "not a .pth"},
      {plan_v4 + " --ln-x-eps -1", "positive"},
      {plan_v4 + " --quant int3", "unknown weight type 'int3'"},
      {plan_v4 + " --quant int4:48", "group '48'"},
      {plan_v4 + " --strategy 'int8 *x'", "expected a layer count"},
      {plan_v4 + " --strategy 'int8 -> fp16'", "only the last segment"},
      {plan_v4 + " --strategy 'int8 *2 -> fp16 *5'", "names layers up to 6, but the model has 2 layers"},
      {plan_v4 + " --strategy 'int8 *1'", "covers 1 of the model's 2 layers"},
      {plan_v4 + " --strategy 'cpu fp16 *1 -> cuda fp16'", "the cuda layers must come first"},
      {plan_v4 + " --strategy 'mps fp16'", "places layers on cpu or cuda"},
      {plan_v4 + " --strategy ' -> '", "is empty"},
      {plan_v4 + " --quant int8 --strategy int8", "not both"},
      {plan_v4 + " --head int9", "unknown weight type"},
      {"plan " + data_path("mini-v6.pth") + " -o /tmp/rwkv-edge-cli-none.rwkv --quant int4 --lora fp8",
       "unknown weight type 'fp8'"},
      {plan_v4 + " --ram-budget 1", "over --ram-budget 1;"},
      {plan_v4 + " --ram-budget 0", "at least 1 byte"},
      {plan_v4 + " --ram-budget 12X", "byte count"},
      {plan_v4 + " --ram-budget 99999999999999999G", "too large"},
      {plan_v4 + " --fit-budget", "needs --ram-budget"},
      {plan_v4 + " --ram-budget 1M --fit-budget --strategy int8", "no --strategy"},
      {plan_v4 + " --ram-budget 1K --fit-budget", "no quantization fits --ram-budget 1024 bytes"},
      {"frobnicate", "unknown command"},
  };
  for (const auto& [args_text, needle] : cases) {
    const std::string& args = args_text;  // CHECK_MESSAGE's lambda cannot capture a structured binding (clang 14)
    const Run r = run(args);
    CHECK_MESSAGE(r.status != 0, args);
    CHECK_MESSAGE(r.out.find(needle) != std::string::npos, args << " -> " << r.out);
    CHECK_MESSAGE(std::count(r.out.begin(), r.out.end(), '\n') <= 2, r.out);
  }
  std::remove("/tmp/rwkv-edge-cli-empty.rwkv");
  CHECK(!exists("/tmp/rwkv-edge-cli-none.rwkv"));
  CHECK_MESSAGE(leftovers("/tmp/rwkv-edge-cli-none.rwkv").empty(), joined(leftovers("/tmp/rwkv-edge-cli-none.rwkv")));
  std::remove(model.c_str());
}

TEST_CASE("plan --ram-budget: a plan over it is refused and the old file kept; --fit-budget shrinks to fit") {
  const std::string out = "/tmp/rwkv-edge-cli-budget.rwkv";
  const auto used = [&](const std::string& extra) {
    const Run r = run("plan " + data_path("mini-v6.pth") + " -o " + out + " --json " + extra, true);
    REQUIRE(r.status == 0);
    const auto j = nlohmann::json::parse(r.out);
    return j.at("model_bytes").get<uint64_t>() + j.at("arena_bytes").get<uint64_t>();
  };
  const uint64_t fp32 = used(""), fp16 = used("--quant fp16"), int8 = used("--quant int8");
  REQUIRE(fp32 > fp16);
  REQUIRE(fp16 > int8);

  {  // one byte short: refused, and the file already there is untouched
    std::ofstream(out, std::ios::trunc) << "an earlier plan";
    const Run r = run("plan " + data_path("mini-v6.pth") + " -o " + out + " --ram-budget " + std::to_string(fp32 - 1));
    CHECK(r.status != 0);
    CHECK_MESSAGE(r.out.find("model + arena need " + std::to_string(fp32) + " bytes") != std::string::npos, r.out);
    CHECK_MESSAGE(r.out.find("1 over --ram-budget") != std::string::npos, r.out);
    std::ifstream in(out);
    const std::string kept((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(kept == "an earlier plan");
    CHECK_MESSAGE(leftovers(out).empty(), joined(leftovers(out)));
  }
  {  // exactly the budget fits
    const Run r = run("plan " + data_path("mini-v6.pth") + " -o " + out + " --json --ram-budget " + std::to_string(fp32), true);
    REQUIRE(r.status == 0);
    const auto b = nlohmann::json::parse(r.out).at("ram_budget");
    CHECK(b.at("used").get<uint64_t>() == fp32);
    CHECK(b.at("spare").get<uint64_t>() == 0);
  }
  {  // --fit-budget under fp16's need: fp32 and fp16 tried and refused, int8 written
    const Run r = run("plan " + data_path("mini-v6.pth") + " -o " + out + " --json --fit-budget --ram-budget " +
                          std::to_string(fp16 - 1), true);
    REQUIRE(r.status == 0);
    const auto j = nlohmann::json::parse(r.out);
    const auto& tried = j.at("ram_budget").at("tried");
    REQUIRE(tried.size() == 3);
    CHECK(tried[0].at("quant") == "fp32");
    CHECK(tried[0].at("bytes").get<uint64_t>() == fp32);
    CHECK(!tried[0].at("fits").get<bool>());
    CHECK(tried[1].at("quant") == "fp16");
    CHECK(!tried[1].at("fits").get<bool>());
    CHECK(tried[2].at("quant") == "int8");
    CHECK(tried[2].at("fits").get<bool>());
    CHECK(j.at("formats_chosen_by") == "int8 (the largest that fits --ram-budget)");
    CHECK(j.at("model_bytes").get<uint64_t>() + j.at("arena_bytes").get<uint64_t>() == int8);
    const Run inspect = run("inspect " + out + " --json", true);
    REQUIRE(inspect.status == 0);
    CHECK(inspect.out.find("\"dtype\": \"i8\"") != std::string::npos);
  }
  {  // a --quant already small enough is kept as asked
    const Run r = run("plan " + data_path("mini-v6.pth") + " -o " + out + " --json --quant int8 --fit-budget --ram-budget " +
                          std::to_string(fp16 - 1), true);
    REQUIRE(r.status == 0);
    CHECK(nlohmann::json::parse(r.out).at("ram_budget").at("tried").size() == 1);
  }
  std::remove(out.c_str());
}

TEST_CASE("bench --json reports every key of the contract; bad threads and kernels are refused") {
  const std::string model = "/tmp/rwkv-edge-cli-bench.rwkv";
  Run r = run("plan " + std::string(RWKV_EDGE_MODELS) + "/tiny-rwkv-5v2-730K-FP16.bin -o " + model + " --quant int8");
  REQUIRE_MESSAGE(r.status == 0, r.out);
  r = run("bench " + model + " --json --tokens 8 --prefill 4 --threads 2", true);
  REQUIRE_MESSAGE(r.status == 0, r.out);
  const auto j = nlohmann::json::parse(r.out);
  for (const char* key : {"decode_tok_s", "prefill_tok_s", "model_bytes", "arena_bytes", "peak_rss_bytes",
                          "heap_allocs_after_init", "bytes_per_token", "mem_bw_gb_s", "roofline_fraction",
                          "prefill_inputs", "prefill_int8_ops"})
    CHECK_MESSAGE(j.contains(key), key);
  CHECK(j["prefill_inputs"] == "float");
  CHECK(j["prefill_int8_ops"] == 0);
  CHECK(j["decode_tok_s"].get<double>() > 0.0);
  CHECK(j["mem_bw_gb_s"].get<double>() > 0.0);
  if (j["heap_allocs_after_init"].is_null())
    MESSAGE("skipped: heap allocations are not counted in this (sanitizer) build");
  else
    CHECK(j["heap_allocs_after_init"].get<uint64_t>() == 0);
  CHECK(j["threads"].get<uint32_t>() == 2);
  // 8 tokens are a round, not a measurement: rounds of them over at least a second, after a warm-up.
  CHECK(j["decode_seconds"].get<double>() >= 1.0);
  CHECK(j["tokens"].get<uint64_t>() >= 8);
  CHECK(j["tokens"].get<uint64_t>() % 8 == 0);
  CHECK(j["prefill_seconds"].get<double>() >= 1.0);
  // The roofline fraction only where memory bounds the step.
  CHECK(j["weights_fit_in_cache"].get<bool>() == (j["bytes_per_token"].get<uint64_t>() <= j["last_level_cache_bytes"].get<uint64_t>()));
  CHECK(j["roofline_fraction"].is_null() == j["weights_fit_in_cache"].get<bool>());
  CHECK(j["model_bytes"].get<uint64_t>() == read_file(model).size());
  // int8 mat-vecs: about one byte per weight, read every step.
  CHECK(j["bytes_per_token"].get<uint64_t>() > 400000);
  CHECK(j["bytes_per_token"].get<uint64_t>() < j["model_bytes"].get<uint64_t>());

  r = run("bench " + model + " --threads 0");
  CHECK(r.status == 2);
  r = run("bench " + model + " --kernels sse9");
  CHECK(r.status == 2);
  CHECK(r.out.find("--kernels must be") != std::string::npos);
#if defined(__x86_64__)
  const std::string missing = "neon";
#else
  const std::string missing = "avx2";
#endif
  r = run("bench " + model + " --kernels " + missing + " --tokens 1");
  CHECK(r.status == 1);
  CHECK_MESSAGE(r.out.find("the " + missing + " kernels need CPU features this machine lacks") != std::string::npos, r.out);
  r = run("bench " + model + " --tokens 2 --prefill 8 --prefill-inputs int8 --json", true);
  REQUIRE_MESSAGE(r.status == 0, r.out);
  CHECK(nlohmann::json::parse(r.out)["prefill_inputs"] == "int8");
  CHECK((nlohmann::json::parse(r.out)["prefill_int8_ops"].get<uint32_t>() > 0) == integer_prefill_here());
  r = run("bench " + model + " --kernels scalar --tokens 2 --prefill 0 --json", true);
  CHECK(r.status == 0);
  CHECK(nlohmann::json::parse(r.out)["kernels"] == "scalar");
  std::remove(model.c_str());
}

TEST_CASE("tokenize and detokenize: ids on one line, bytes back unchanged, clear errors") {
  const std::string model = "/tmp/rwkv-edge-cli-tok.rwkv", text = "/tmp/rwkv-edge-cli-tok.txt";
  Run r = run("plan " + std::string(RWKV_EDGE_MODELS) + "/tiny-rwkv-5v2-730K-FP16.bin -o " + model);
  REQUIRE_MESSAGE(r.status == 0, r.out);
  CHECK(r.out.find("vocabulary: bytes") != std::string::npos);
  r = run("inspect " + model + " --json", true);
  CHECK(nlohmann::json::parse(r.out)["vocabulary"] == nlohmann::json{{"kind", "bytes"}, {"source", ""}, {"tokens", 256}});
  r = run("tokenize " + model + " --text 'hi!'", true);
  CHECK(r.status == 0);
  CHECK(r.out == "104,105,33\n");
  r = run("tokenize " + model + " --text 'hi' --json", true);
  CHECK(r.out == "[104,105]\n");
  const std::string bytes = std::string("caf\xc3\xa9 \xff\xfe end\n", 12);
  std::ofstream(text, std::ios::binary) << bytes;
  r = run("tokenize --vocab bytes --file " + text, true);
  REQUIRE(r.status == 0);
  r = run("detokenize " + model + " --tokens " + r.out.substr(0, r.out.size() - 1), true);
  CHECK(r.status == 0);
  CHECK(r.out == bytes);
  r = run("detokenize " + model + " --tokens 1,256");
  CHECK(r.status != 0);
  CHECK(r.out.find("outside the vocabulary") != std::string::npos);
  r = run("tokenize " + model + " --vocab bytes --text a");
  CHECK(r.status != 0);
  CHECK(r.out.find("give a model file or --vocab") != std::string::npos);
  r = run("tokenize " + model);
  CHECK(r.status != 0);
  CHECK(r.out.find("exactly one of --text and --file") != std::string::npos);
  r = run("tokenize --vocab world --text 'User: hi'", true);  // built in: no file, no environment
  CHECK(r.out == "24281,59,4571\n");  // the official tokenizer's ids
  r = run("tokenize --vocab " + std::string(RWKV_EDGE_MODELS) + "/rwkv_vocab_v20230424.txt --text 'User: hi'", true);
  CHECK(r.out == "24281,59,4571\n");
  std::remove(text.c_str());
  std::remove(model.c_str());
}

TEST_CASE("generate: seeded text from the built-in tiny model, stop strings, clear refusals") {
  const std::string model = "/tmp/rwkv-edge-cli-gen.rwkv";
  REQUIRE(run("plan " + std::string(RWKV_EDGE_MODELS) + "/tiny-rwkv-5v2-730K-FP16.bin -o " + model).status == 0);
  const std::string base = "generate " + model + " --prompt 'In the morning' -n 40 --threads 1 ";
  const Run a = run(base + "--seed 3", true), b = run(base + "--seed 3", true), c = run(base + "--seed 4", true);
  REQUIRE_MESSAGE(a.status == 0, a.out);
  CHECK(a.out == b.out);
  CHECK(a.out != c.out);
  CHECK(a.out.rfind("In the morning", 0) == 0);
  CHECK(a.out.size() > std::string("In the morning").size() + 20);
  const Run greedy = run(base + "--temperature 0 --seed 1", true), greedy2 = run(base + "--temperature 0 --seed 2", true);
  CHECK(greedy.out == greedy2.out);  // greedy ignores the seed
  const Run stopped = run(base + "--seed 3 --stop ' '", true);
  CHECK(stopped.status == 0);
  CHECK(stopped.out.find(' ', std::string("In the morning").size()) == std::string::npos);
  // --stop repeats: the text ends before the first of them to appear.
  const Run either = run(base + "--seed 3 --stop 'zzz' --stop ' ' --json", true);
  REQUIRE_MESSAGE(either.status == 0, either.out);
  const auto stopped_json = nlohmann::json::parse(either.out);
  CHECK(stopped_json["stopped_by"] == "stop");
  CHECK("In the morning" + stopped_json["text"].get<std::string>() + "\n" == stopped.out);
  CHECK(stopped_json["seed"] == 3);
  CHECK(stopped_json["prompt_tokens"] == 14);
  CHECK(stopped_json["tokens"].get<uint64_t>() >= 1);
  CHECK(stopped_json["decode_tok_s"].get<double>() > 0.0);
  // --json prints the same text as the stream.
  const auto all = nlohmann::json::parse(run(base + "--seed 3 --json", true).out);
  CHECK("In the morning" + all["text"].get<std::string>() + "\n" == a.out);
  CHECK(all["stopped_by"] == "-n");
  CHECK(all["tokens"] == 40);
  // No --seed: a random one, printed on stderr with the timings; giving it repeats the run.
  const Run first = run_shell(std::string(RWKV_EDGE_CLI) + " " + base + "2>/tmp/rwkv-edge-cli-gen.err");
  const std::vector<uint8_t> err = read_file("/tmp/rwkv-edge-cli-gen.err");
  const std::string err_text(err.begin(), err.end());
  CHECK_MESSAGE(err_text.rfind("seed ", 0) == 0, err_text);
  CHECK(err_text.find("(random; --seed repeats this run)") != std::string::npos);
  CHECK(err_text.find("prompt 14 tokens, prefill ") != std::string::npos);
  CHECK(err_text.find("40 tokens generated") != std::string::npos);
  const std::string seed = err_text.substr(5, err_text.find(' ', 5) - 5);
  CHECK(run(base + "--seed " + seed, true).out == first.out);
  const Run second = run_shell(std::string(RWKV_EDGE_CLI) + " " + base + "2>/dev/null");
  CHECK(second.out != first.out);  // two random seeds (a 1-in-10^9 chance of the same one)
  std::remove("/tmp/rwkv-edge-cli-gen.err");
  // --prompt-file: the file's bytes are the prompt.
  std::ofstream("/tmp/rwkv-edge-cli-gen.prompt") << "In the morning";
  CHECK(run("generate " + model + " --prompt-file /tmp/rwkv-edge-cli-gen.prompt -n 40 --threads 1 --seed 3", true).out ==
        a.out);
  std::remove("/tmp/rwkv-edge-cli-gen.prompt");
  const std::pair<std::string, std::string> bad[] = {
      {base + "--top-p 1.5", "top_p must be in [0, 1]"},
      {base + "--temperature -1", "temperature"},
      {base + "--top-k 300", "larger than the vocabulary"},
      {"generate " + model + " --prompt ''", "the prompt is empty"},
      {"generate " + model, "give --prompt TEXT or --prompt-file FILE (one of them)"},
      {"generate " + model + " --prompt a --prompt-file /etc/hostname", "(one of them)"},
      {"generate " + model + " --prompt-file /nonexistent.txt", "cannot open"},
      {base + "--stop ''", "--stop needs a non-empty text"},
  };
  for (const auto& [args_text, needle] : bad) {
    const std::string& args = args_text;  // CHECK_MESSAGE's lambda cannot capture a structured binding (clang 14)
    const Run r = run(args);
    CHECK_MESSAGE(r.status != 0, args);
    CHECK_MESSAGE(r.out.find(needle) != std::string::npos, args << " -> " << r.out);
  }
  REQUIRE(run("plan " + data_path("mini-v4.pth") + " -o " + model).status == 0);
  const Run none = run("generate " + model + " --prompt hi");
  CHECK(none.status != 0);
  CHECK(none.out.find("carries no vocabulary") != std::string::npos);
  std::remove(model.c_str());
}

TEST_CASE("logits --mode seq writes step mode's bytes; plan --max-chunk is checked") {
  const std::string model = "/tmp/rwkv-edge-cli-seq.rwkv", a = "/tmp/rwkv-edge-cli-seq-a.bin",
                    b = "/tmp/rwkv-edge-cli-seq-b.bin";
  Run r = run("plan " + data_path("mini-v7.pth") + " -o " + model + " --max-chunk 5");
  REQUIRE_MESSAGE(r.status == 0, r.out);
  CHECK(r.out.find("chunks of up to 5 tokens") != std::string::npos);
  const std::string tokens = " --tokens 1,5,0,23,7,7,12,3,19,2,11,4,9,8,6,1,0,22,13 --threads 2 --out ";
  REQUIRE(run("logits " + model + tokens + a + " --mode step").status == 0);
  REQUIRE(run("logits " + model + tokens + b + " --mode seq").status == 0);
  CHECK(read_file(a) == read_file(b));
  r = run("plan " + data_path("mini-v7.pth") + " -o " + model + " --max-chunk 99999");
  CHECK(r.status != 0);
  CHECK(r.out.find("--max-chunk") != std::string::npos);
  r = run("logits " + model + " --tokens 1 --out " + a + " --mode gpt");
  CHECK(r.status != 0);
  CHECK(r.out.find("--mode must be step or seq") != std::string::npos);
  for (const std::string& f : {model, a, b}) std::remove(f.c_str());
}

TEST_CASE("state files: saved and reloaded, deterministic; corrupt, truncated and foreign ones refused") {
  const std::string model = "/tmp/rwkv-edge-cli-state.rwkv", model8 = "/tmp/rwkv-edge-cli-state8.rwkv",
                    state = "/tmp/rwkv-edge-cli-state.bin", bad = "/tmp/rwkv-edge-cli-state-bad.bin";
  const std::string tiny = std::string(RWKV_EDGE_MODELS) + "/tiny-rwkv-5v2-730K-FP16.bin";
  REQUIRE(run("plan " + tiny + " -o " + model).status == 0);
  REQUIRE(run("plan " + tiny + " -o " + model8 + " --quant int8").status == 0);
  Run r = run("generate " + model + " --prompt 'In the morning' -n 12 --seed 3 --save-state " + state, true);
  REQUIRE_MESSAGE(r.status == 0, r.out);
  const std::vector<uint8_t> saved = read_file(state);
  CHECK(saved.size() > 64);
  const std::string cont = "generate " + model + " --prompt ' the' -n 30 --seed 1 --state ";
  const Run c1 = run(cont + state, true), c2 = run(cont + state, true), fresh = run("generate " + model +
                                                                                      " --prompt ' the' -n 30 --seed 1", true);
  REQUIRE_MESSAGE(c1.status == 0, c1.out);
  CHECK(c1.out == c2.out);
  CHECK(c1.out != fresh.out);  // the state mattered

  auto refused = [&](const std::string& path, const std::string& m, const std::string& needle,
                     const std::string& save = "") {
    const std::vector<uint8_t> before = read_file(path);
    const std::string save_to = save.empty() ? path : save;
    const Run x = run("generate " + m + " --prompt x -n 2 --state " + path + " --save-state " + save_to);
    CHECK(x.status != 0);
    CHECK_MESSAGE(x.out.find(needle) != std::string::npos, x.out);
    CHECK(read_file(path) == before);  // refused input is never overwritten
    if (!save.empty()) CHECK(!exists(save));
  };
  std::vector<uint8_t> corrupt = saved;
  corrupt[100] ^= 0x10;
  std::ofstream(bad, std::ios::binary).write(reinterpret_cast<const char*>(corrupt.data()), corrupt.size());
  refused(bad, model, "checksum mismatch");
  std::ofstream(bad, std::ios::binary).write(reinterpret_cast<const char*>(saved.data()), saved.size() / 2);
  refused(bad, model, "truncated");
  refused(state, model8, "another model");
  refused(data_path("TOKENS"), model, "neither an rwkv-edge state file nor a state-tuning", bad + ".new");
  // Not a state file, so not ours to replace: --save-state over it is refused before anything runs.
  std::ofstream(bad, std::ios::binary) << "notes, not a state";
  refused(bad, model, "is the input");
  CHECK(read_file(state) == saved);
  for (const std::string& f : {model, model8, state, bad}) std::remove(f.c_str());
}

TEST_CASE("an official state-tuning checkpoint gives the official logits (seed 004's transpose)") {
  const std::string model = "/tmp/rwkv-edge-cli-tuned.rwkv", out = "/tmp/rwkv-edge-cli-tuned.bin";
  REQUIRE(run("plan " + data_path("mini-v6.pth") + " -o " + model).status == 0);
  for (const char* mode : {"step", "seq"}) {
    const Run r = run("logits " + model + " --tokens " + mini_tokens() + " --out " + out + " --mode " + mode +
                      " --state " + data_path("mini-v6.time_state.pth"));
    REQUIRE_MESSAGE(r.status == 0, r.out);
    CHECK(r.out.find("state-tuning checkpoint") != std::string::npos);
    CHECK(max_abs_diff(read_floats(out), read_floats(data_path("mini-v6.time_state.official-logits.bin"))) <= 1e-4f);
  }
  REQUIRE(run("plan " + data_path("mini-v7.pth") + " -o " + model).status == 0);
  const Run v7 = run("logits " + model + " --tokens 1 --out " + out + " --state " + data_path("mini-v6.time_state.pth"));
  CHECK(v7.status != 0);
  CHECK(v7.out.find("RWKV-5 and RWKV-6") != std::string::npos);
  std::remove(model.c_str());
  std::remove(out.c_str());
}

TEST_CASE("chat: seed 004's format on piped lines, replies end at a blank line, state saved per reply") {
  const std::string model = "/tmp/rwkv-edge-cli-chat.rwkv", state = "/tmp/rwkv-edge-cli-chat.state";
  REQUIRE(run("plan " + std::string(RWKV_EDGE_MODELS) + "/tiny-rwkv-5v2-730K-FP16.bin -o " + model).status == 0);
  std::remove(state.c_str());
  const std::string chat = "chat " + model + " --seed 2 -n 40 --threads 1 ";
  // Through the shell: stdin comes from a pipe.
  const std::string cli = std::string(RWKV_EDGE_CLI) + " " + chat;
  Run r = run_shell("printf 'hello there\\n\\n  what  is it?\\r\\n' | " + cli + "--save-state " + state);
  CHECK(r.status == 0);
  // The introduction is the model's context, prefilled silently: the transcript starts with the user.
  CHECK_MESSAGE(r.out.rfind("User: hello there\n\nAssistant:", 0) == 0, r.out);
  CHECK(r.out.find("I am your assistant") == std::string::npos);
  CHECK(r.out.find("User: hello there\n\nAssistant:") != std::string::npos);
  CHECK(r.out.find("!!! Error: please say something !!!") != std::string::npos);
  CHECK(r.out.find("User: what  is it?\n\nAssistant:") != std::string::npos);  // stripped, CRLF read as LF
  CHECK(read_file(state).size() > 64);
  // A saved conversation goes on: no introduction is prefilled again.
  r = run_shell("printf 'and then?\\n' | " + cli + "--state " + state + " 2>&1");
  CHECK(r.status == 0);
  CHECK(r.out.find("initial state: state file") != std::string::npos);
  CHECK(r.out.find("User: hi") == std::string::npos);
  CHECK(r.out.find("User: and then?\n\nAssistant:") != std::string::npos);

  // --preamble replaces the introduction (a different context, a different reply);
  // a reply that runs into -n says it was cut off, on stderr.
  std::ofstream("/tmp/rwkv-edge-cli-chat.preamble") << "User: hi\n\nAssistant: Hello! How can I help?\n\n";
  const Run with_preamble = run_shell("printf 'hello there\\n' | " + cli + "--preamble /tmp/rwkv-edge-cli-chat.preamble 2>&1");
  const Run without = run_shell("printf 'hello there\\n' | " + cli + " 2>&1");
  CHECK(with_preamble.status == 0);
  CHECK(with_preamble.out.find("preamble: ") != std::string::npos);
  CHECK(with_preamble.out.find("(/tmp/rwkv-edge-cli-chat.preamble)") != std::string::npos);
  CHECK(with_preamble.out != without.out);
  const Run cut = run_shell("printf 'hello there\\n' | " + std::string(RWKV_EDGE_CLI) + " chat " + model +
                            " --seed 2 -n 3 --threads 1 2>&1 >/dev/null");
  CHECK_MESSAGE(cut.out.find("(reply cut off at -n 3 tokens)") != std::string::npos, cut.out);
  std::remove("/tmp/rwkv-edge-cli-chat.preamble");

  // Ctrl-C while chat waits for a line ends it at once (exit 130), not at the
  // next Enter, and leaves the saved state as it was.
  const std::vector<uint8_t> saved = read_file(state);
  r = run_shell("(sleep 5 | " + cli + "--state " + state + " --save-state " + state +
                " >/dev/null 2>&1 & pid=$!; sleep 1.5; kill -INT $pid; sleep 0.5; "
                "if kill -0 $pid 2>/dev/null; then echo still-running; fi; wait $pid; echo rc=$?)");
  CHECK(r.out.find("still-running") == std::string::npos);
  CHECK(r.out.find("rc=130") != std::string::npos);
  CHECK(read_file(state) == saved);
  std::remove(model.c_str());
  std::remove(state.c_str());
}

TEST_CASE("no command writes over one of its inputs: the same path, a hard link, a symlink") {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "rwkv-edge-cli-inputs";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string d = dir.string();
  std::filesystem::copy_file(data_path("mini-v6.pth"), d + "/in.pth");
  std::filesystem::copy_file(data_path("mini-v6.time_state.pth"), d + "/tuned.pth");
  std::filesystem::create_hard_link(d + "/in.pth", d + "/hard.pth");
  std::filesystem::create_symlink("in.pth", d + "/sym.pth");
  std::ofstream(d + "/calibration.txt") << "Calibration text, an input of the plan.";
  const std::string tiny = std::string(RWKV_EDGE_MODELS) + "/tiny-rwkv-5v2-730K-FP16.bin";
  REQUIRE(run("plan " + d + "/in.pth -o " + d + "/m.rwkv").status == 0);
  REQUIRE(run("plan " + tiny + " -o " + d + "/tiny.rwkv").status == 0);
  REQUIRE(run("generate " + d + "/tiny.rwkv --prompt hi -n 2 --save-state " + d + "/s.state").status == 0);
  const std::string cases[] = {
      "plan " + d + "/in.pth -o " + d + "/in.pth",
      "plan " + d + "/in.pth -o " + d + "/../" + dir.filename().string() + "/./in.pth",
      "plan " + d + "/in.pth -o " + d + "/hard.pth",
      "plan " + d + "/in.pth -o " + d + "/sym.pth",
      "plan " + d + "/sym.pth -o " + d + "/in.pth",
      "plan " + tiny + " --quant int4 --calibration " + d + "/calibration.txt -o " + d + "/calibration.txt",
      "logits " + d + "/m.rwkv --tokens 1,2 --out " + d + "/m.rwkv",
      "logits " + d + "/m.rwkv --tokens 1,2 --state " + d + "/tuned.pth --out " + d + "/tuned.pth",
      "generate " + d + "/tiny.rwkv --prompt hi -n 2 --save-state " + d + "/tiny.rwkv",
      "generate " + d + "/m.rwkv --prompt hi -n 2 --state " + d + "/tuned.pth --save-state " + d + "/tuned.pth",
      "chat " + d + "/tiny.rwkv --save-state " + d + "/tiny.rwkv",
  };
  std::map<std::string, std::vector<uint8_t>> before;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (!e.is_symlink()) before[e.path().string()] = read_file(e.path().string());
  for (const std::string& args : cases) {
    const Run r = run(args + " </dev/null");
    CHECK_MESSAGE(r.status != 0, args);
    CHECK_MESSAGE(r.out.find("is the input") != std::string::npos, args << " -> " << r.out);
    CHECK_MESSAGE(std::count(r.out.begin(), r.out.end(), '\n') == 1, r.out);
  }
  for (const auto& entry : before) CHECK_MESSAGE(read_file(entry.first) == entry.second, entry.first << " changed");
  CHECK(std::filesystem::is_symlink(d + "/sym.pth"));
  // A state file goes on in place: --state F --save-state F is a conversation continued.
  const Run cont = run("generate " + d + "/tiny.rwkv --prompt hi -n 2 --state " + d + "/s.state --save-state " + d +
                       "/s.state");
  CHECK_MESSAGE(cont.status == 0, cont.out);
  CHECK(read_file(d + "/s.state") != before[d + "/s.state"]);
  // --out - is stdout, not a file named "-".
  REQUIRE(run("logits " + d + "/m.rwkv --tokens " + mini_tokens() + " --out " + d + "/l.bin").status == 0);
  const Run same = run("logits " + d + "/m.rwkv --tokens " + mini_tokens() + " --out - 2>/dev/null | cmp - " + d +
                       "/l.bin && echo same", true);
  CHECK_MESSAGE(same.out.find("same") != std::string::npos, same.out);
  CHECK(!exists("-"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("nothing left behind: SIGINT, SIGTERM or SIGHUP mid-plan, and a full disk") {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "rwkv-edge-cli-leftovers";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string out = (dir / "out.rwkv").string();
  const std::string tiny = std::string(RWKV_EDGE_MODELS) + "/tiny-rwkv-5v2-730K-FP16.bin";
  const std::string plan = std::string(RWKV_EDGE_CLI) + " plan " + tiny + " --quant int4 -o " + out;
  for (const std::string sig : {"INT", "TERM", "HUP"}) {
    CAPTURE(sig);
    std::ofstream(out, std::ios::trunc) << "an earlier plan";
    // Job control on (set -m): a background job of a script would otherwise ignore SIGINT.
    // The signal goes once the calibration's temporary model file (~2.9 MB) exists.
    const Run r = run_shell("bash -c 'set -m; " + plan + " >/dev/null 2>&1 & pid=$!; i=0; "
                            "while [ $i -lt 4000 ] && ! ls " + out + ".calibration.* >/dev/null 2>&1; do "
                            "sleep 0.005; i=$((i+1)); done; ls " + out + ".calibration.* >/dev/null 2>&1 && echo seen; "
                            "kill -" + sig + " $pid; wait $pid; echo rc=$?' 2>/dev/null");
    CHECK_MESSAGE(r.out.find("seen") != std::string::npos, r.out);
    const int signum = sig == "INT" ? SIGINT : sig == "TERM" ? SIGTERM : SIGHUP;
    CHECK_MESSAGE(r.out.find("rc=" + std::to_string(128 + signum)) != std::string::npos, r.out);
    CHECK_MESSAGE(leftovers(out).empty(), joined(leftovers(out)));
    CHECK(read_file(out) == std::vector<uint8_t>{'a', 'n', ' ', 'e', 'a', 'r', 'l', 'i', 'e', 'r', ' ', 'p', 'l',
                                                 'a', 'n'});
  }
  // A 256 KiB tmpfs in a mount namespace of its own: the calibration file
  // (int4) or the model file itself (fp16) does not fit.
  for (const std::string quant : {"int4", "fp16"}) {
    CAPTURE(quant);
    const std::string script = "mount -t tmpfs -o size=256k tmpfs " + dir.string() +
                               " || exit 9; printf \"an earlier plan\" > " + out + "; " + RWKV_EDGE_CLI + " plan " +
                               tiny + " --quant " + quant + " -o " + out + " >/dev/null; echo rc=$?; ls -A " +
                               dir.string() + "; echo; cat " + out;
    const Run r = run_shell("unshare --mount sh -c '" + script + "' 2>&1");
    if (r.out.find("rc=") == std::string::npos) {
      MESSAGE("SKIP full-disk check: cannot mount a tmpfs in a private namespace here (needs root or user namespaces): "
              << r.out);
      break;
    }
    CHECK_MESSAGE(r.out.find("rc=1") != std::string::npos, r.out);
    CHECK_MESSAGE(r.out.find("the disk is full") != std::string::npos, r.out);
    CHECK_MESSAGE(std::count(r.out.begin(), r.out.end(), '\n') == 4, r.out);  // message, rc, listing, blank
    CHECK_MESSAGE(r.out.find("out.rwkv\n\nan earlier plan") != std::string::npos, r.out);  // only the old file, unchanged
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("soak --json: percentiles never above the slowest step; defaults fit a short run") {
  const std::string model = "/tmp/rwkv-edge-cli-soak.rwkv";
  REQUIRE(run("plan " + std::string(RWKV_EDGE_MODELS) + "/tiny-rwkv-5v2-730K-FP16.bin -o " + model).status == 0);
  const Run r = run("soak " + model + " --tokens 400 --threads 1 --json", true);
  REQUIRE_MESSAGE((r.status == 0 || r.status == 1), r.out);  // 1: a check failed; the figures are still reported
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["rss_every_tokens"] == 40);  // a tenth of the run
  CHECK(j["warmup_tokens"] == 40);
  const auto& us = j["step_us"];
  const double max = us["max"].get<double>();
  double last = 0.0;
  for (const char* p : {"p50", "p90", "p99", "p999"}) {
    CAPTURE(p);
    CHECK(us[p].get<double>() <= max);
    CHECK(us[p].get<double>() >= last);
    last = us[p].get<double>();
  }
  std::remove(model.c_str());
}

TEST_CASE("the CLI is one table: every flag in a command's help is accepted, nothing else is") {
  const Run general = run("--help", true);
  REQUIRE(general.status == 0);
  std::vector<std::string> commands;
  std::istringstream lines(general.out);
  for (std::string line; std::getline(lines, line);)
    if (line.size() > 2 && line.rfind("  ", 0) == 0 && line[2] != '-' && line[2] != ' ')
      commands.push_back(line.substr(2, line.find(' ', 2) - 2));
  CHECK(commands.size() >= 11);
  for (const char* expected : {"plan", "inspect", "logits", "predict", "ppl", "tokenize", "detokenize", "generate",
                               "chat", "bench", "soak"})
    CHECK_MESSAGE(std::find(commands.begin(), commands.end(), expected) != commands.end(), expected);
  size_t flags_checked = 0;
  for (const std::string& command : commands) {
    CAPTURE(command);
    const Run help = run(command + " --help", true);
    REQUIRE(help.status == 0);
    CHECK(help.out.rfind("usage: rwkv-edge " + command + " ", 0) == 0);
    std::istringstream help_lines(help.out);
    for (std::string line; std::getline(help_lines, line);) {
      if (line.rfind("  -", 0) != 0) continue;
      std::istringstream words(line);
      std::string flag, value;
      words >> flag >> value;
      if (flag == "--help") continue;
      // A value-taking flag shows its value's name in capitals or as choices; a switch shows help text next.
      const bool takes_value = !value.empty() && (std::isupper(static_cast<unsigned char>(value[0])) ||
                                                  value.find('|') != std::string::npos || value.find(',') != std::string::npos);
      const Run r = run(command + " " + flag + (takes_value ? " x" : ""));
      CHECK_MESSAGE(r.out.find("unknown option") == std::string::npos, flag << " -> " << r.out);
      CHECK_MESSAGE(r.out.find("needs a value") == std::string::npos, flag << " -> " << r.out);
      ++flags_checked;
    }
    const Run bogus = run(command + " --no-such-flag");
    CHECK(bogus.status == 2);
    CHECK_MESSAGE(bogus.out.find("unknown option --no-such-flag (rwkv-edge " + command + " --help lists its options)") !=
                      std::string::npos,
                  bogus.out);
  }
  CHECK(flags_checked > 100);
  const Run version = run("--version", true);
  CHECK(version.status == 0);
  CHECK(version.out.rfind("rwkv-edge ", 0) == 0);
}
