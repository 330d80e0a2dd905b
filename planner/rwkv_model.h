// Version detection and dimensions, following the official package's rules
// (rwkv/model.py): ln_x -> v5, gate -> v5.1, 2-D time_decay -> v5.2,
// time_maa -> v6; v7 by its own parameters (r_k, k_k).
#pragma once

#include <cstdint>
#include <string>

#include "checkpoint.h"
#include "rwkv_edge_generated.h"

namespace rwkv_edge::planner {

// The official GroupNorm epsilon of ln_x: 1e-5 * head_size_divisor**2, divisor 8.
inline constexpr float kOfficialLnXEps = 64e-5f;

struct ModelDims {
  fb::RwkvVersion version = fb::RwkvVersion::V4;
  uint32_t n_layer = 0, n_embd = 0, n_att = 0, n_head = 0, head_size = 0, n_ffn = 0, vocab = 0;
  uint32_t lora_maa = 0, lora_decay = 0, lora_a = 0, lora_v = 0, lora_gate = 0;
  bool real_time_first = false;  // time_faaaa: time_first is used as stored, not exp()'d
  bool time_state = false;       // state-tuned checkpoint: initial state in att.time_state
};

ModelDims detect_model(const Checkpoint& ck);
// N for a "blocks.N." key, -1 for any other; throws on a malformed block key.
int64_t block_index(const std::string& name);  // throws PlanError naming what is missing
const char* version_name(fb::RwkvVersion v);

}  // namespace rwkv_edge::planner
