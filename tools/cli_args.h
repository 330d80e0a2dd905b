// Minimal argument handling for the rwkv-edge subcommands: positional
// arguments plus --flag value / --switch, every value checked.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace rwkv_edge::cli {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> values;
  std::map<std::string, std::vector<std::string>> lists;  // repeatable options, in order
  std::set<std::string> switches;

  bool has(const std::string& k) const { return values.count(k) || switches.count(k) || lists.count(k); }
  std::string get(const std::string& k, const std::string& fallback = "") const;
  std::vector<std::string> all(const std::string& k) const;  // a repeatable option's values
};

// `with_value` lists options taking a value, `switches` those that do not,
// `repeatable` options that take a value and may be given more than once;
// anything else is a usage error.
Args parse_args(int argc, char** argv, int first, const std::set<std::string>& with_value,
                const std::set<std::string>& switches, const std::set<std::string>& repeatable = {});

// A user's value inside a message: in quotes, non-printable bytes as \xNN,
// at most 40 bytes of it (a binary file given as a list must not flood the terminal).
std::string quoted(const std::string& text);

uint64_t parse_uint(const std::string& text, const std::string& what, uint64_t max);
float parse_float(const std::string& text, const std::string& what);
// A byte count: digits with an optional binary suffix K, M or G (also KiB,
// MiB, GiB); at least 1.
uint64_t parse_bytes(const std::string& text, const std::string& what);
// "1,2,3" -> ids; rejects empty items, signs, spaces, overflow, ids >= limit.
std::vector<uint32_t> parse_token_list(const std::string& text, uint64_t limit);

std::string human_bytes(uint64_t n);

// How a command runs the model: --threads N (1..RWKV_EDGE_MAX_THREADS;
// default: this machine's cores), --kernels auto|scalar|avx2|neon, --onednn,
// --backend cpu|cuda, --prefill-inputs float|int8.
struct RuntimeChoice {
  uint32_t threads = 1;
  uint32_t kernels = 0;  // rwkv_edge_kernels
  bool use_onednn = false;  // --onednn: float32 mat-vecs through oneDNN (allocates per step)
  uint32_t backend = 0;     // --backend cpu|cuda (rwkv_edge_backend)
  uint32_t prefill_inputs = 0;  // --prefill-inputs float|int8 (rwkv_edge_prefill_inputs)
};
// The flags it reads are command_table.cpp's runtime group.
RuntimeChoice parse_runtime_choice(const Args& a);

// "256x64": any range of dimensions (std::vector, flatbuffers::Vector).
template <typename Dims>
std::string shape_text(const Dims& dims) {
  std::string out;
  for (const auto d : dims) out += (out.empty() ? "" : "x") + std::to_string(d);
  return out;
}

}  // namespace rwkv_edge::cli
