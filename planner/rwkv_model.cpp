#include "rwkv_model.h"

#include <algorithm>

#include "plan_error.h"

namespace rwkv_edge::planner {
namespace {

bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

uint32_t dim(const Tensor& t, size_t i, const std::string& name) {
  if (i >= t.shape.size()) throw PlanError("tensor '" + name + "' has too few dimensions");
  if (t.shape[i] > 0xFFFFFFFFull) throw PlanError("tensor '" + name + "' is too large");
  return static_cast<uint32_t>(t.shape[i]);
}

uint32_t matrix_dim(const Checkpoint& ck, const std::string& name, size_t i) {
  const Tensor& t = ck.get(name);
  const auto sq = t.squeezed_shape();
  if (sq.size() != 2) throw PlanError("tensor '" + name + "' is not a matrix");
  return static_cast<uint32_t>(sq[i]);
}

}  // namespace

const char* version_name(fb::RwkvVersion v) {
  switch (v) {
    case fb::RwkvVersion::V4: return "v4";
    case fb::RwkvVersion::V5: return "v5";
    case fb::RwkvVersion::V5_1: return "v5.1";
    case fb::RwkvVersion::V5_2: return "v5.2";
    case fb::RwkvVersion::V6: return "v6";
    case fb::RwkvVersion::V7: return "v7";
  }
  return "?";
}

int64_t block_index(const std::string& name) {
  if (name.rfind("blocks.", 0) != 0) return -1;
  const size_t dot = name.find('.', 7);
  const std::string id = name.substr(7, dot == std::string::npos ? std::string::npos : dot - 7);
  if (id.empty() || id.size() > 6 || !std::all_of(id.begin(), id.end(), ::isdigit))
    throw PlanError("bad block key '" + name + "'");
  return std::stoll(id);
}

ModelDims detect_model(const Checkpoint& ck) {
  ModelDims d;
  if (!ck.has("emb.weight")) throw PlanError("checkpoint lacks 'emb.weight' (is this an RWKV model?)");
  int64_t max_layer = -1;
  bool ln_x = false, gate = false, maa = false, v7 = false, decay_2d = false;
  for (const auto& [name, t] : ck.tensors) {
    max_layer = std::max(max_layer, block_index(name));
    ln_x |= contains(name, "ln_x");
    gate |= contains(name, "gate.weight");
    maa |= contains(name, "time_maa");
    v7 |= contains(name, ".att.r_k") || contains(name, ".att.k_k");
    if (contains(name, "att.time_decay") && !contains(name, "_w") && t.shape.size() > 1 && t.shape[1] > 1)
      decay_2d = true;
    d.real_time_first |= contains(name, ".time_faaaa");
    d.time_state |= contains(name, ".time_state");
  }
  if (max_layer < 0) throw PlanError("checkpoint has no 'blocks.N.' tensors");
  d.n_layer = static_cast<uint32_t>(max_layer + 1);
  if (v7) d.version = fb::RwkvVersion::V7;
  else if (maa) d.version = fb::RwkvVersion::V6;
  else if (ln_x && gate && decay_2d) d.version = fb::RwkvVersion::V5_2;
  else if (ln_x && gate) d.version = fb::RwkvVersion::V5_1;
  else if (ln_x) d.version = fb::RwkvVersion::V5;

  const Tensor& emb = ck.get("emb.weight");
  if (emb.shape.size() != 2) throw PlanError("'emb.weight' is not a matrix");
  d.vocab = dim(emb, 0, "emb.weight");
  d.n_embd = dim(emb, 1, "emb.weight");
  d.n_att = matrix_dim(ck, "blocks.0.att.key.weight", 0);
  d.n_ffn = matrix_dim(ck, "blocks.0.ffn.key.weight", 0);
  switch (d.version) {
    case fb::RwkvVersion::V4: break;
    case fb::RwkvVersion::V5:
    case fb::RwkvVersion::V5_1:
    case fb::RwkvVersion::V5_2: d.n_head = dim(ck.get("blocks.0.att.time_decay"), 0, "time_decay"); break;
    case fb::RwkvVersion::V6: {
      const std::string first = ck.has("blocks.0.att.time_faaaa") ? "blocks.0.att.time_faaaa" : "blocks.0.att.time_first";
      d.n_head = dim(ck.get(first), 0, first);
      d.lora_maa = matrix_dim(ck, "blocks.0.att.time_maa_w1", 1) / 5;
      d.lora_decay = matrix_dim(ck, "blocks.0.att.time_decay_w1", 1);
      break;
    }
    case fb::RwkvVersion::V7: {
      const Tensor& rk = ck.get("blocks.0.att.r_k");
      // (H, N) as trained; a single head keeps its leading 1, so no squeeze here.
      if (rk.shape.size() != 2) throw PlanError("'blocks.0.att.r_k' is not [heads][head_size]");
      d.n_head = dim(rk, 0, "blocks.0.att.r_k");
      d.lora_decay = matrix_dim(ck, "blocks.0.att.w1", 1);
      d.lora_a = matrix_dim(ck, "blocks.0.att.a1", 1);
      d.lora_gate = matrix_dim(ck, "blocks.0.att.g1", 1);
      if (d.n_layer > 1) d.lora_v = matrix_dim(ck, "blocks.1.att.v1", 1);
      break;
    }
  }
  if (d.version != fb::RwkvVersion::V4) {
    if (d.n_head == 0 || d.n_att % d.n_head != 0)
      throw PlanError("attention width " + std::to_string(d.n_att) + " is not divisible by " +
                      std::to_string(d.n_head) + " heads");
    d.head_size = d.n_att / d.n_head;
  }
  if (d.version == fb::RwkvVersion::V6 && d.lora_maa * 5 != matrix_dim(ck, "blocks.0.att.time_maa_w1", 1))
    throw PlanError("time_maa_w1 width is not 5 x rank");
  if (d.n_att != d.n_embd && d.version != fb::RwkvVersion::V4)
    throw PlanError("attention width differs from n_embd, which this planner does not support");
  return d;
}

}  // namespace rwkv_edge::planner
