// Shared helpers for the suites: fixture paths, planning to a temp file,
// running a model over tokens, comparing logits.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "planner.h"
#include "rwkv_edge.h"
#include "weight_layout.h"

namespace rwkv_edge::test {

std::string data_path(const std::string& name);          // tests/data/...
std::string shared_path(const std::string& name);        // ../shared/fixtures/...
bool shared_available();                                  // prints a skip note once when absent
std::vector<uint8_t> read_file(const std::string& path);
std::vector<float> read_floats(const std::string& path);
std::vector<uint32_t> parse_tokens(const std::string& csv);
std::string mini_tokens();  // tests/data/TOKENS as "1,2,3" (the committed fixtures' token list)

// Plans `checkpoint` into a temporary .rwkv and returns its bytes (8-aligned storage).
struct ModelBytes {
  std::vector<uint64_t> storage;
  size_t size = 0;
  const uint8_t* data() const { return reinterpret_cast<const uint8_t*>(storage.data()); }
  uint8_t* data() { return reinterpret_cast<uint8_t*>(storage.data()); }
};
ModelBytes plan_to_bytes(const std::string& checkpoint, float ln_x_eps = -1.0f);
// The same with any plan options (input and output are filled in).
ModelBytes plan_to_bytes(const std::string& checkpoint, planner::PlanOptions options,
                         planner::PlanReport* report = nullptr);
ModelBytes load_model_bytes(const std::string& path);

struct ArenaBuffer {
  explicit ArenaBuffer(size_t n);
  ~ArenaBuffer();
  void* ptr;
  size_t size;
};

// A session in its own arena, initialised with `opts` (REQUIREd to succeed), released at scope end.
struct Session {
  Session(const ModelBytes& model, const rwkv_edge_options& opts);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ArenaBuffer arena;
  rwkv_edge_session* s = nullptr;
  rwkv_edge_info info{};
};

// Steps through `tokens` from the reset state: logits rows concatenated.
std::vector<float> run_logits(const ModelBytes& model, const std::vector<uint32_t>& tokens, bool use_onednn = true);
// The same on `threads` threads with the given rwkv_edge_kernels path, no oneDNN.
std::vector<float> run_logits_on(const ModelBytes& model, const std::vector<uint32_t>& tokens, uint32_t threads,
                                 uint32_t kernels);
// The same through rwkv_edge_prefill_each (sequence mode, chunked as planned).
// `prefill_inputs`: rwkv_edge_prefill_inputs; `int8_ops` (may be null) gets
// how many products ran on integers.
std::vector<float> run_sequence_logits(const ModelBytes& model, const std::vector<uint32_t>& tokens, uint32_t threads,
                                       uint32_t kernels, uint32_t prefill_inputs = RWKV_EDGE_PREFILL_INPUTS_FLOAT,
                                       uint32_t* int8_ops = nullptr);
// The same on the CUDA backend (device 0).
std::vector<float> run_logits_cuda(const ModelBytes& model, const std::vector<uint32_t>& tokens);
// Empty when a CUDA session can start here; else why not (the init's message), for a skip note.
std::string cuda_unavailable_reason();
// rwkv_edge_init's status for these options (the session is released again).
rwkv_edge_status try_init(const ModelBytes& model, uint32_t threads, uint32_t kernels);
float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b);

// n values from N(0, scale^2), the same for the same seed.
std::vector<float> random_normal(uint64_t n, uint32_t seed, float scale);

// Every weight format a mat-vec or matrix product reads, with its name.
struct WeightFormatCase {
  quant::Format format;
  uint32_t group;
  const char* name;
};
inline constexpr WeightFormatCase kWeightFormatCases[] = {
    {quant::Format::F32, 0, "f32"},      {quant::Format::F16, 0, "f16"},       {quant::Format::BF16, 0, "bf16"},
    {quant::Format::I8, 0, "int8"},      {quant::Format::I4, 32, "int4:32"},   {quant::Format::I4, 64, "int4:64"},
    {quant::Format::I4, 128, "int4:128"}, {quant::Format::U8MinMax, 0, "int8-minmax"}};

}  // namespace rwkv_edge::test
