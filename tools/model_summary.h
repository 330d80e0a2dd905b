// How plan and inspect describe a model in one line, the same way.
#pragma once

#include <cstdint>
#include <string>

#include "rwkv_edge_generated.h"

namespace rwkv_edge::cli {

struct Architecture {
  fb::RwkvVersion version;
  uint32_t n_layer, n_embd, n_head, head_size, n_ffn, vocab;
  float ln_x_eps;
};

// "RWKV v5.2 (gate, per-head decay): 12 layers, n_embd 64, heads 8 x 8, ffn 256,
// vocab 256, ln_x eps 0.00064"; v4 has neither heads nor ln_x, and says nothing of them.
std::string architecture_text(const Architecture& a);

}  // namespace rwkv_edge::cli
