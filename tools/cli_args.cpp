#include "cli_args.h"

#include <algorithm>
#include <thread>

#include "rwkv_edge.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace rwkv_edge::cli {

std::string Args::get(const std::string& k, const std::string& fallback) const {
  auto it = values.find(k);
  return it == values.end() ? fallback : it->second;
}

std::vector<std::string> Args::all(const std::string& k) const {
  auto it = lists.find(k);
  return it == lists.end() ? std::vector<std::string>{} : it->second;
}

Args parse_args(int argc, char** argv, int first, const std::set<std::string>& with_value,
                const std::set<std::string>& switches, const std::set<std::string>& repeatable) {
  Args a;
  for (int i = first; i < argc; ++i) {
    std::string s = argv[i];
    if (s.size() > 1 && s[0] == '-' && !(s.size() > 1 && std::isdigit(static_cast<unsigned char>(s[1])))) {
      if (switches.count(s)) {
        a.switches.insert(s);
      } else if (repeatable.count(s)) {
        if (i + 1 >= argc) throw UsageError(s + " needs a value");
        a.lists[s].push_back(argv[++i]);
      } else if (with_value.count(s)) {
        if (i + 1 >= argc) throw UsageError(s + " needs a value");
        if (a.values.count(s)) throw UsageError(s + " given twice");
        a.values[s] = argv[++i];
      } else {
        throw UsageError("unknown option " + s);
      }
    } else {
      a.positional.push_back(s);
    }
  }
  return a;
}

std::string quoted(const std::string& text) {
  constexpr size_t kShown = 40;
  std::string out = "'";
  for (size_t i = 0; i < text.size() && i < kShown; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 32 && c < 127 && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  out += "'";
  if (text.size() > kShown) out += " (" + std::to_string(text.size()) + " bytes; the first " + std::to_string(kShown) + " shown)";
  return out;
}

uint64_t parse_uint(const std::string& text, const std::string& what, uint64_t max) {
  if (text.empty() || text.size() > 20) throw UsageError(what + " must be a number, got " + quoted(text));
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') throw UsageError(what + " must be a non-negative integer, got " + quoted(text));
    if (v > (max - static_cast<uint64_t>(c - '0')) / 10) throw UsageError(what + " is too large: " + text);
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

uint64_t parse_bytes(const std::string& text, const std::string& what) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  const std::string suffix = text.substr(digits);
  int shift = 0;
  if (suffix == "K" || suffix == "KiB") shift = 10;
  else if (suffix == "M" || suffix == "MiB") shift = 20;
  else if (suffix == "G" || suffix == "GiB") shift = 30;
  else if (!suffix.empty())
    throw UsageError(what + " must be a byte count (digits, optionally K, M or G), got " + quoted(text));
  const uint64_t v = parse_uint(text.substr(0, digits), what, UINT64_MAX >> shift);
  if (v == 0) throw UsageError(what + " must be at least 1 byte");
  return v << shift;
}

float parse_float(const std::string& text, const std::string& what) {
  errno = 0;
  char* end = nullptr;
  const float v = std::strtof(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || errno == ERANGE || !std::isfinite(v))
    throw UsageError(what + " must be a finite number, got " + quoted(text));
  return v;
}

std::vector<uint32_t> parse_token_list(const std::string& text, uint64_t limit) {
  std::vector<uint32_t> out;
  if (text.empty()) throw UsageError("--tokens is empty");
  size_t start = 0;
  for (;;) {
    const size_t comma = text.find(',', start);
    const std::string item = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (item.empty()) throw UsageError("--tokens has an empty item at position " + std::to_string(out.size()));
    const uint64_t id = parse_uint(item, "token id", 0xFFFFFFFFull);
    if (id >= limit)
      throw UsageError("token " + item + " is outside the vocabulary (size " + std::to_string(limit) + ")");
    out.push_back(static_cast<uint32_t>(id));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::string human_bytes(uint64_t n) {
  char buf[32];
  if (n >= (1ull << 30)) std::snprintf(buf, sizeof buf, "%.2f GiB", static_cast<double>(n) / (1ull << 30));
  else if (n >= (1ull << 20)) std::snprintf(buf, sizeof buf, "%.2f MiB", static_cast<double>(n) / (1ull << 20));
  else if (n >= 1024) std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(n) / 1024);
  else std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(n));
  return buf;
}

RuntimeChoice parse_runtime_choice(const Args& a) {
  RuntimeChoice c;
  const uint32_t cores = std::max(1u, std::thread::hardware_concurrency());
  c.threads = std::min<uint32_t>(cores, RWKV_EDGE_MAX_THREADS);
  if (a.has("--threads")) {
    const std::string text = a.get("--threads");
    const std::string range = "--threads must be a whole number from 1 to " + std::to_string(RWKV_EDGE_MAX_THREADS) +
                              " (a session's pool holds at most " + std::to_string(RWKV_EDGE_MAX_THREADS) + "), got ";
    uint64_t n = 0;
    try {
      n = parse_uint(text, "--threads", 1u << 20);
    } catch (const UsageError&) {
      throw UsageError(range + quoted(text));
    }
    if (n == 0 || n > RWKV_EDGE_MAX_THREADS) throw UsageError(range + quoted(text));
    c.threads = static_cast<uint32_t>(n);
    if (c.threads > cores)
      std::fprintf(stderr, "note: --threads %u is more than this machine's %u cores; rows are split evenly, "
                   "so a descheduled thread stalls every step\n", c.threads, cores);
  }
  c.use_onednn = a.has("--onednn");
  const std::string backend = a.get("--backend", "cpu");
  if (backend != "cpu" && backend != "cuda") throw UsageError("--backend must be cpu or cuda, got " + quoted(backend));
  c.backend = backend == "cuda" ? RWKV_EDGE_BACKEND_CUDA : RWKV_EDGE_BACKEND_CPU;
  const std::string inputs = a.get("--prefill-inputs", "float");
  if (inputs != "float" && inputs != "int8")
    throw UsageError("--prefill-inputs must be float or int8, got " + quoted(inputs));
  c.prefill_inputs = inputs == "int8" ? RWKV_EDGE_PREFILL_INPUTS_INT8 : RWKV_EDGE_PREFILL_INPUTS_FLOAT;
  const std::string k = a.get("--kernels", "auto");
  for (uint32_t v = RWKV_EDGE_KERNELS_AUTO; v <= RWKV_EDGE_KERNELS_NEON; ++v)
    if (k == rwkv_edge_kernels_name(v)) {
      c.kernels = v;
      return c;
    }
  throw UsageError("--kernels must be auto, scalar, avx2 or neon, got " + quoted(k));
}

}  // namespace rwkv_edge::cli
