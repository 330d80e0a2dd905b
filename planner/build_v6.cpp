// RWKV-6: official att_one_v6_0 and ffn_one_v6.
#include "graph.h"
#include "plan_error.h"

namespace rwkv_edge::planner {

int32_t time_state_tensor(GraphBuilder& b, const ModelDims& d, const std::string& p);

void build_v6(GraphBuilder& b, const ModelDims& d, const BuildOptions& o) {
  using fb::OpType;
  const Checkpoint& ck = b.checkpoint();
  const uint64_t C = d.n_embd, Lm = d.lora_maa;
  const auto H = static_cast<int32_t>(d.n_head);
  Operand x = embed_with_ln0(b, d);
  for (uint32_t i = 0; i < d.n_layer; ++i) {
    const std::string p = "blocks." + std::to_string(i) + ".";
    const std::string L = "L" + std::to_string(i) + ".";
    Operand xx = b.layer_norm(x, p + "ln1");
    const Operand shift = b.state(L + "att.shift", C);
    const Operand S = b.state(L + "att.wkv_state", C * d.head_size, 0.0f, time_state_tensor(b, d, p));
    const Operand dx = b.binary(OpType::Sub, shift, xx, L + "att.dx");
    b.op_into(OpType::Copy, {xx}, {shift});
    const Operand xxx = b.op(OpType::MulAdd, {xx, dx, b.vec(p + "att.time_maa_x")}, C, L + "att.xxx");

    // time_maa_w1 is (C, 5*L): split into five [L][C] matrices; time_maa_w2 is (5, L, C).
    const Tensor& w1 = ck.get(p + "att.time_maa_w1");
    const Tensor& w2 = ck.get(p + "att.time_maa_w2");
    if (w1.numel() != C * 5 * Lm || w2.numel() != 5 * Lm * C)
      throw PlanError("'" + p + "att.time_maa_w1/w2' do not match rank " + std::to_string(Lm));
    const char* names[5] = {"w", "k", "v", "r", "g"};
    Operand mixed[5];
    for (uint64_t s = 0; s < 5; ++s) {
      std::vector<float> a(Lm * C), m(C * Lm);
      for (uint64_t l = 0; l < Lm; ++l)
        for (uint64_t c = 0; c < C; ++c) a[l * C + c] = w1.data[c * 5 * Lm + s * Lm + l];
      for (uint64_t c = 0; c < C; ++c)
        for (uint64_t l = 0; l < Lm; ++l) m[c * Lm + l] = w2.data[(s * Lm + l) * C + c];
      const std::string tag = std::string(names[s]);
      const Operand hidden = b.unary(OpType::Tanh,
          b.matvec(b.weight_data(p + "att.time_maa_w1." + tag, {Lm, C}, std::move(a)), xxx, L + "att.maa_h" + tag),
          L + "att.maa_t" + tag);
      const Operand delta = b.matvec(b.weight_data(p + "att.time_maa_w2." + tag, {C, Lm}, std::move(m)), hidden,
                                     L + "att.maa_d" + tag);
      const Operand coeff = b.binary(OpType::Add, b.vec(p + "att.time_maa_" + tag), delta, L + "att.maa_c" + tag);
      mixed[s] = b.op(OpType::MulAdd, {xx, dx, coeff}, C, L + "att.x" + tag);
    }
    const Operand r = b.matvec(b.weight(p + "att.receptance.weight", {C, C}), mixed[3], L + "att.r");
    const Operand k = b.matvec(b.weight(p + "att.key.weight", {C, C}), mixed[1], L + "att.k");
    const Operand v = b.matvec(b.weight(p + "att.value.weight", {C, C}), mixed[2], L + "att.v");
    const Operand g = b.unary(OpType::Silu, b.matvec(b.weight(p + "att.gate.weight", {C, C}), mixed[4], L + "att.g"), L + "att.sg");
    const Operand dl = b.unary(OpType::Tanh, b.matvec(b.weight_transposed(p + "att.time_decay_w1"), mixed[0], L + "att.dec_h"), L + "att.dec_t");
    const Operand dw = b.matvec(b.weight_transposed(p + "att.time_decay_w2"), dl, L + "att.dec_d");
    const Operand w = b.unary(OpType::ExpNegExp, b.binary(OpType::Add, b.vec(p + "att.time_decay"), dw, L + "att.dec_s"), L + "att.decay");
    const std::string first_name = p + (d.real_time_first ? "att.time_faaaa" : "att.time_first");
    const Operand u = b.vec(first_name);
    if (b.numel(u) != C) throw PlanError("'" + first_name + "' is not per channel");
    Operand y = b.op_state(OpType::Wkv5, {r, k, v, w, u}, C, L + "att.wkv", {S}, {H});
    y = b.op(OpType::GroupNorm, {y, b.weight(p + "att.ln_x.weight", {C}), b.weight(p + "att.ln_x.bias", {C})},
             C, L + "att.ln_x", {H}, {o.ln_x_eps});
    y = b.binary(OpType::Mul, y, g, L + "att.gated");
    x = b.binary(OpType::Add, x, b.matvec(b.weight(p + "att.output.weight", {C, C}), y, L + "att.out"), L + "x.att");

    xx = b.layer_norm(x, p + "ln2");
    const Operand fshift = b.state(L + "ffn.shift", C);
    const Operand fdx = b.binary(OpType::Sub, fshift, xx, L + "ffn.dx");
    b.op_into(OpType::Copy, {xx}, {fshift});
    const Operand fk = b.op(OpType::MulAdd, {xx, fdx, b.vec(p + "ffn.time_maa_k")}, C, L + "ffn.xk");
    const Operand fr = b.op(OpType::MulAdd, {xx, fdx, b.vec(p + "ffn.time_maa_r")}, C, L + "ffn.xr");
    const Operand fr_s = b.unary(OpType::Sigmoid, b.matvec(b.weight(p + "ffn.receptance.weight", {C, C}), fr, L + "ffn.r"), L + "ffn.sr");
    const Operand hidden = b.unary(OpType::ReluSquare, b.matvec(b.weight(p + "ffn.key.weight", {d.n_ffn, C}), fk, L + "ffn.k"), L + "ffn.k2");
    const Operand fv = b.matvec(b.weight(p + "ffn.value.weight", {C, d.n_ffn}), hidden, L + "ffn.v");
    x = b.binary(OpType::Add, x, b.binary(OpType::Mul, fr_s, fv, L + "ffn.out"), L + "x.ffn");
  }
  head(b, x, d);
}

}  // namespace rwkv_edge::planner
