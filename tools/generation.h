// What generate and chat share: sampler settings from flags, the sampler's
// caller-provided memory, and Ctrl-C as a request to stop after the current
// token (the terminal is never put in another mode, so it is left as it was).
#pragma once

#include <csignal>
#include <string>
#include <set>

#include "cli_args.h"
#include "rwkv_edge.h"

namespace rwkv_edge::cli {

// `defaults` overridden by the sampler flags given (command_table.cpp's sampler group); without --seed, a random seed
// (below 10^9, short to retype).
rwkv_edge_sampler_params parse_sampler_params(const Args& a, rwkv_edge_sampler_params defaults);

struct SamplerMemory {
  void* memory = nullptr;
  rwkv_edge_sampler* sampler = nullptr;
  // Throws UsageError with the runtime's message for settings out of range.
  SamplerMemory(const rwkv_edge_sampler_params& p, uint32_t vocab, const rwkv_edge_tokenizer& t);
  ~SamplerMemory();
  SamplerMemory(const SamplerMemory&) = delete;
  SamplerMemory& operator=(const SamplerMemory&) = delete;
};

// SIGINT sets a flag instead of killing the process, while an instance lives.
class InterruptFlag {
 public:
  InterruptFlag();
  ~InterruptFlag();
  bool raised() const;
};

}  // namespace rwkv_edge::cli
