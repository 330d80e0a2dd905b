// RWKV-7: official RWKV_x070_TMix_one / CMix_one.
#include "graph.h"
#include "plan_error.h"

namespace rwkv_edge::planner {

void build_v7(GraphBuilder& b, const ModelDims& d, const BuildOptions& o) {
  using fb::OpType;
  const uint64_t C = d.n_embd;
  const auto H = static_cast<int32_t>(d.n_head);
  Operand x = embed_with_ln0(b, d);
  Operand v_first;
  for (uint32_t i = 0; i < d.n_layer; ++i) {
    const std::string p = "blocks." + std::to_string(i) + ".";
    const std::string L = "L" + std::to_string(i) + ".";
    const std::string a = p + "att.";
    Operand xn = b.layer_norm(x, p + "ln1");
    const Operand shift = b.state(L + "att.shift", C);
    const Operand S = b.state(L + "att.wkv_state", C * d.head_size);
    const Operand dx = b.binary(OpType::Sub, shift, xn, L + "att.dx");
    b.op_into(OpType::Copy, {xn}, {shift});
    auto mix = [&](const char* what) {
      return b.op(OpType::MulAdd, {xn, dx, b.vec(a + "x_" + what)}, C, L + "att.x" + what);
    };
    const Operand xr = mix("r"), xw = mix("w"), xk = mix("k"), xv = mix("v"), xa = mix("a"), xg = mix("g");
    // The mat-vecs that read only the mixes come first, then the LoRA second
    // halves: the runtime runs consecutive independent mat-vecs as one
    // thread-pool job, so this order costs 3 hand-offs where 10 were paid.
    auto lora_in = [&](const char* m1, const Operand& in, const std::string& tag) {
      return b.matvec(b.weight_transposed(a + m1), in, L + "att." + tag + "_h");
    };
    auto lora_out = [&](const char* m2, const Operand& h, const std::string& tag) {
      return b.matvec(b.weight_transposed(a + m2), h, L + "att." + tag + "_d");
    };
    const Operand r = b.matvec(b.weight(a + "receptance.weight", {C, C}), xr, L + "att.r");
    const Operand w_h = lora_in("w1", xw, "w");
    Operand k = b.matvec(b.weight(a + "key.weight", {C, C}), xk, L + "att.k");
    Operand v = b.matvec(b.weight(a + "value.weight", {C, C}), xv, L + "att.v");
    const Operand a_h = lora_in("a1", xa, "a");
    const Operand g_h = lora_in("g1", xg, "g");
    const Operand v_h = i == 0 ? Operand{} : lora_in("v1", xv, "v");  // layer 0 has no value residual
    const Operand w_t = b.unary(OpType::Tanh, w_h, L + "att.w_t");
    const Operand g_t = b.unary(OpType::Sigmoid, g_h, L + "att.g_t");
    const Operand w_raw = lora_out("w2", w_t, "w");
    const Operand a_d = lora_out("a2", a_h, "a");
    const Operand g = lora_out("g2", g_t, "g");
    const Operand v_d = i == 0 ? Operand{} : lora_out("v2", v_h, "v");
    const Operand aa = b.unary(OpType::Sigmoid, b.binary(OpType::Add, b.vec(a + "a0"), a_d, L + "att.a_s"), L + "att.a");
    const Operand kk = b.op(OpType::HeadL2Norm, {b.binary(OpType::Mul, k, b.vec(a + "k_k"), L + "att.kk_raw")}, C, L + "att.kk", {H});
    k = b.op(OpType::V7KeyMix, {k, aa, b.vec(a + "k_a")}, C, L + "att.kmix");
    if (i == 0) {
      v_first = v;
    } else {
      const Operand gate = b.unary(OpType::Sigmoid, b.binary(OpType::Add, b.vec(a + "v0"), v_d, L + "att.vg_s"), L + "att.vg");
      v = b.op(OpType::MulAdd, {v, b.binary(OpType::Sub, v_first, v, L + "att.vd"), gate}, C, L + "att.vmix");
    }
    const Operand w = b.unary(OpType::V7Decay, b.binary(OpType::Add, b.vec(a + "w0"), w_raw, L + "att.w_s"), L + "att.w");
    Operand y = b.op_state(OpType::Wkv7, {r, w, k, v, kk, aa}, C, L + "att.wkv", {S}, {H});
    y = b.op(OpType::GroupNorm, {y, b.weight(a + "ln_x.weight", {C}), b.weight(a + "ln_x.bias", {C})}, C,
             L + "att.ln_x", {H}, {o.ln_x_eps});
    y = b.op(OpType::V7Bonus, {y, r, k, b.vec(a + "r_k"), v}, C, L + "att.bonus", {H});
    y = b.binary(OpType::Mul, y, g, L + "att.gated");
    x = b.binary(OpType::Add, x, b.matvec(b.weight(a + "output.weight", {C, C}), y, L + "att.out"), L + "x.att");

    xn = b.layer_norm(x, p + "ln2");
    const Operand fshift = b.state(L + "ffn.shift", C);
    const Operand fdx = b.binary(OpType::Sub, fshift, xn, L + "ffn.dx");
    b.op_into(OpType::Copy, {xn}, {fshift});
    const Operand fk = b.op(OpType::MulAdd, {xn, fdx, b.vec(p + "ffn.x_k")}, C, L + "ffn.xk");
    const Operand hidden = b.unary(OpType::ReluSquare, b.matvec(b.weight(p + "ffn.key.weight", {d.n_ffn, C}), fk, L + "ffn.k"), L + "ffn.k2");
    x = b.binary(OpType::Add, x, b.matvec(b.weight(p + "ffn.value.weight", {C, d.n_ffn}), hidden, L + "ffn.v"), L + "x.ffn");
  }
  head(b, x, d);
}

}  // namespace rwkv_edge::planner
