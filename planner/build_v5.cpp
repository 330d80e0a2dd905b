// RWKV-5, 5.1 and 5.2: official att_one_v5 / att_one_v5_1 and ffn_one.
#include <cmath>

#include "aten_math.h"
#include "graph.h"
#include "plan_error.h"

namespace rwkv_edge::planner {
namespace {

// Per-head (v5, v5.1) or per-channel (v5.2) values, expanded to one per channel
// so the recurrence kernel has a single layout.
std::vector<float> per_channel(std::vector<float> values, uint32_t heads, uint32_t head_size,
                               const std::string& name) {
  if (values.size() == uint64_t{heads} * head_size) return values;
  if (values.size() != heads) throw PlanError("tensor '" + name + "' is neither per head nor per channel");
  std::vector<float> out(uint64_t{heads} * head_size);
  for (uint32_t h = 0; h < heads; ++h)
    for (uint32_t j = 0; j < head_size; ++j) out[h * head_size + j] = values[h];
  return out;
}

// torch.exp over the tensor as stored (its size decides ATen's rounding path).
std::vector<float> exp_of(std::vector<float> v) {
  ref::aten_exp(v.data(), v.data(), v.size());
  return v;
}

}  // namespace

// (H, N, N) as trained, used transposed as the official loader does; -1 when absent.
int32_t time_state_tensor(GraphBuilder& b, const ModelDims& d, const std::string& p) {
  if (!d.time_state) return -1;
  const Tensor& ts = b.checkpoint().get(p + "att.time_state");
  const uint64_t H = d.n_head, N = d.head_size;
  if (ts.numel() != H * N * N) throw PlanError("'" + p + "att.time_state' is not heads x N x N");
  std::vector<float> out(ts.data.size());
  for (uint64_t h = 0; h < H; ++h)
    for (uint64_t i = 0; i < N; ++i)
      for (uint64_t j = 0; j < N; ++j) out[(h * N + i) * N + j] = ts.data[(h * N + j) * N + i];
  b.weight_data(p + "att.time_state", {H, N, N}, std::move(out));
  return static_cast<int32_t>(b.last_weight_index());
}

void build_v5(GraphBuilder& b, const ModelDims& d, const BuildOptions& o) {
  using fb::OpType;
  const Checkpoint& ck = b.checkpoint();
  const uint64_t C = d.n_embd;
  const bool gated = d.version != fb::RwkvVersion::V5;
  const auto H = static_cast<int32_t>(d.n_head);
  Operand x = embed_with_ln0(b, d);
  for (uint32_t i = 0; i < d.n_layer; ++i) {
    const std::string p = "blocks." + std::to_string(i) + ".";
    const std::string L = "L" + std::to_string(i) + ".";
    const Operand xx = b.layer_norm(x, p + "ln1");
    const Operand shift = b.state(L + "att.shift", C);
    const Operand S = b.state(L + "att.wkv_state", C * d.head_size, 0.0f, time_state_tensor(b, d, p));
    auto mix = [&](const char* what) {
      return b.op(OpType::Lerp, {xx, shift, b.vec(p + "att.time_mix_" + what)}, C, L + "att.x" + what);
    };
    const Operand kx = mix("k"), vx = mix("v"), rx = mix("r");
    const Operand gx = gated ? mix("g") : Operand{};
    b.op_into(OpType::Copy, {xx}, {shift});
    const Operand r = b.matvec(b.weight(p + "att.receptance.weight", {C, C}), rx, L + "att.r");
    const Operand k = b.matvec(b.weight(p + "att.key.weight", {C, C}), kx, L + "att.k");
    const Operand v = b.matvec(b.weight(p + "att.value.weight", {C, C}), vx, L + "att.v");
    Operand g;
    if (gated) g = b.unary(OpType::Silu, b.matvec(b.weight(p + "att.gate.weight", {C, C}), gx, L + "att.g"), L + "att.sg");

    const Tensor& td = ck.get(p + "att.time_decay");
    // The official loader: torch.exp(-torch.exp(time_decay)), then for v5.0 torch.exp(time_first).
    std::vector<float> w = exp_of(td.data);
    for (float& e : w) e = -e;
    w = per_channel(exp_of(std::move(w)), d.n_head, d.head_size, p + "att.time_decay");
    const std::string first_name = p + (d.real_time_first ? "att.time_faaaa" : "att.time_first");
    const std::vector<float>& first = ck.get(first_name).data;
    std::vector<float> u = per_channel(d.real_time_first ? first : exp_of(first), d.n_head, d.head_size, first_name);
    const Operand wo = b.weight_data(p + "att.time_decay", {C}, std::move(w));
    const Operand uo = b.weight_data(p + "att.time_first", {C}, std::move(u));
    Operand y = b.op_state(OpType::Wkv5, {r, k, v, wo, uo}, C, L + "att.wkv", {S}, {H});
    y = b.op(OpType::GroupNorm, {y, b.weight(p + "att.ln_x.weight", {C}), b.weight(p + "att.ln_x.bias", {C})},
             C, L + "att.ln_x", {H}, {o.ln_x_eps});
    if (gated) y = b.binary(OpType::Mul, y, g, L + "att.gated");
    x = b.binary(OpType::Add, x, b.matvec(b.weight(p + "att.output.weight", {C, C}), y, L + "att.out"), L + "x.att");

    x = channel_mix_v4(b, d, x, p, L);
  }
  head(b, x, d);
}

}  // namespace rwkv_edge::planner
