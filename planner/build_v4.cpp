// RWKV-4: official att_one / ffn_one (rwkv/model.py).
#include <cmath>

#include "aten_math.h"
#include "graph.h"
#include "plan_error.h"

namespace rwkv_edge::planner {

Operand channel_mix_v4(GraphBuilder& b, const ModelDims& d, const Operand& x, const std::string& p,
                       const std::string& L) {
  using fb::OpType;
  const uint64_t C = d.n_embd;
  const Operand xx = b.layer_norm(x, p + "ln2");
  const Operand fshift = b.state(L + "ffn.shift", C);
  const Operand fk = b.op(OpType::Lerp, {xx, fshift, b.vec(p + "ffn.time_mix_k")}, C, L + "ffn.xk");
  const Operand fr = b.op(OpType::Lerp, {xx, fshift, b.vec(p + "ffn.time_mix_r")}, C, L + "ffn.xr");
  b.op_into(OpType::Copy, {xx}, {fshift});
  const Operand fr_s = b.unary(OpType::Sigmoid, b.matvec(b.weight(p + "ffn.receptance.weight", {C, C}), fr, L + "ffn.r"), L + "ffn.sr");
  const Operand hidden = b.unary(OpType::ReluSquare, b.matvec(b.weight(p + "ffn.key.weight", {d.n_ffn, C}), fk, L + "ffn.k"), L + "ffn.k2");
  const Operand fv = b.matvec(b.weight(p + "ffn.value.weight", {C, d.n_ffn}), hidden, L + "ffn.v");
  return b.binary(OpType::Add, x, b.binary(OpType::Mul, fr_s, fv, L + "ffn.out"), L + "x.ffn");
}

void build_v4(GraphBuilder& b, const ModelDims& d) {
  using fb::OpType;
  const Checkpoint& ck = b.checkpoint();
  const uint64_t C = d.n_embd, A = d.n_att;
  Operand x = embed_with_ln0(b, d);
  for (uint32_t i = 0; i < d.n_layer; ++i) {
    const std::string p = "blocks." + std::to_string(i) + ".";
    const std::string L = "L" + std::to_string(i) + ".";
    // Time mixing.
    const Operand xx = b.layer_norm(x, p + "ln1");
    const Operand shift = b.state(L + "att.shift", C);
    const Operand aa = b.state(L + "att.aa", A);
    const Operand bb = b.state(L + "att.bb", A);
    const Operand pp = b.state(L + "att.pp", A, -1e30f);
    auto mix = [&](const char* what) {
      return b.op(OpType::Lerp, {xx, shift, b.vec(p + "att.time_mix_" + what)}, C, L + "att.x" + what);
    };
    const Operand kx = mix("k"), vx = mix("v"), rx = mix("r");
    b.op_into(OpType::Copy, {xx}, {shift});
    const Operand r = b.unary(OpType::Sigmoid, b.matvec(b.weight(p + "att.receptance.weight", {A, C}), rx, L + "att.r"), L + "att.sr");
    const Operand k = b.matvec(b.weight(p + "att.key.weight", {A, C}), kx, L + "att.k");
    const Operand v = b.matvec(b.weight(p + "att.value.weight", {A, C}), vx, L + "att.v");
    const Tensor& td = ck.get(p + "att.time_decay");
    std::vector<float> decay(td.data.size());  // -torch.exp(time_decay), as the official loader
    ref::aten_exp(td.data.data(), decay.data(), decay.size());
    for (float& e : decay) e = -e;
    const Operand w = b.weight_data(p + "att.time_decay", {td.numel()}, std::move(decay));
    const Operand u = b.vec(p + "att.time_first");
    const Operand wkv = b.op_state(OpType::Wkv4, {k, v, w, u}, A, L + "att.wkv", {aa, bb, pp});
    const Operand rw = b.binary(OpType::Mul, r, wkv, L + "att.rwkv");
    x = b.binary(OpType::Add, x, b.matvec(b.weight(p + "att.output.weight", {C, A}), rw, L + "att.out"), L + "x.att");
    x = channel_mix_v4(b, d, x, p, L);
  }
  head(b, x, d);
}

}  // namespace rwkv_edge::planner
