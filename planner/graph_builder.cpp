#include <cmath>

#include "graph.h"
#include "plan_error.h"
#include "reference_ops.h"
#include "torch_bf16_layer_norm.h"

namespace rwkv_edge::planner {
namespace {

std::string shape_str(const std::vector<uint64_t>& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? "," : "") + std::to_string(s[i]);
  return out + "]";
}

// The official loader's F.layer_norm on a float32 embedding, row by row.
void layer_norm_rows(std::vector<float>& m, uint64_t rows, uint64_t cols, const std::vector<float>& w,
                     const std::vector<float>& b) {
  for (uint64_t r = 0; r < rows; ++r) {
    float* x = m.data() + r * cols;
    ref::layer_norm(x, w.data(), b.data(), x, cols, ref::kLayerNormEps);
  }
}

}  // namespace

Operand GraphBuilder::weight_data(const std::string& name, std::vector<uint64_t> shape,
                                  std::vector<float> data) {
  uint64_t n = 1;
  for (uint64_t d : shape) n *= d;
  if (n != data.size()) throw PlanError("internal: weight '" + name + "' shape mismatch");
  WeightTensor w;
  w.name = name;
  w.shape = std::move(shape);
  w.data = std::move(data);
  g_.weights.push_back(std::move(w));
  return {true, last_weight_index()};
}

Operand GraphBuilder::weight(const std::string& name, std::vector<uint64_t> shape) {
  const Tensor& t = ck_.get(name);
  uint64_t n = 1;
  for (uint64_t d : shape) n *= d;
  if (t.numel() != n)
    throw PlanError("tensor '" + name + "' has shape " + shape_str(t.shape) + ", expected " + shape_str(shape));
  if (shape.size() == 2 && t.squeezed_shape() != shape)
    throw PlanError("tensor '" + name + "' has shape " + shape_str(t.shape) + ", expected " + shape_str(shape));
  return weight_data(name, std::move(shape), t.data);
}

Operand GraphBuilder::weight_transposed(const std::string& name) {
  const Tensor& t = ck_.get(name);
  const auto sq = t.squeezed_shape();
  if (sq.size() != 2) throw PlanError("tensor '" + name + "' is not a matrix");
  const uint64_t rows = sq[0], cols = sq[1];
  std::vector<float> out(t.data.size());
  for (uint64_t r = 0; r < rows; ++r)
    for (uint64_t c = 0; c < cols; ++c) out[c * rows + r] = t.data[r * cols + c];
  return weight_data(name, {cols, rows}, std::move(out));
}

Operand GraphBuilder::vec(const std::string& name) {
  const Tensor& t = ck_.get(name);
  return weight_data(name, {t.numel()}, t.data);
}

Operand GraphBuilder::state(const std::string& name, uint64_t numel, float init, int32_t init_tensor) {
  GraphBuffer b;
  b.name = name;
  b.numel = numel;
  b.persistent = true;
  b.init_value = init;
  b.init_tensor = init_tensor;
  g_.buffers.push_back(b);
  return {false, static_cast<uint32_t>(g_.buffers.size() - 1)};
}

uint64_t GraphBuilder::numel(const Operand& o) const {
  if (!o.weight) return g_.buffers.at(o.index).numel;
  uint64_t n = 1;
  for (uint64_t d : g_.weights.at(o.index).shape) n *= d;
  return n;
}

Operand GraphBuilder::op(fb::OpType type, std::vector<Operand> inputs, uint64_t numel,
                         const std::string& name, std::vector<int32_t> iparams,
                         std::vector<float> fparams) {
  GraphBuffer b;
  b.name = name;
  b.numel = numel;
  g_.buffers.push_back(b);
  const Operand out{false, static_cast<uint32_t>(g_.buffers.size() - 1)};
  op_into(type, std::move(inputs), {out}, std::move(iparams), std::move(fparams));
  return out;
}

Operand GraphBuilder::op_state(fb::OpType type, std::vector<Operand> inputs, uint64_t numel,
                               const std::string& name, std::vector<Operand> states,
                               std::vector<int32_t> iparams) {
  const Operand out = op(type, std::move(inputs), numel, name, std::move(iparams));
  for (const Operand& s : states) g_.ops.back().outputs.push_back(s.index);
  return out;
}

void GraphBuilder::op_into(fb::OpType type, std::vector<Operand> inputs, std::vector<Operand> outputs,
                           std::vector<int32_t> iparams, std::vector<float> fparams) {
  GraphOp op;
  op.type = type;
  op.inputs = std::move(inputs);
  for (const Operand& o : outputs) {
    if (o.weight) throw PlanError("internal: op writes a weight");
    op.outputs.push_back(o.index);
  }
  op.iparams = std::move(iparams);
  op.fparams = std::move(fparams);
  g_.ops.push_back(std::move(op));
}

Operand GraphBuilder::matvec(const Operand& w, const Operand& x, const std::string& name) {
  const auto& shape = g_.weights.at(w.index).shape;
  if (shape.size() != 2 || shape[1] != numel(x))
    throw PlanError("matrix '" + g_.weights.at(w.index).name + "' " + shape_str(shape) +
                    " does not take an input of " + std::to_string(numel(x)));
  return op(fb::OpType::MatVec, {w, x}, shape[0], name);
}

Operand GraphBuilder::layer_norm(const Operand& x, const std::string& prefix) {
  const uint64_t n = numel(x);
  return op(fb::OpType::LayerNorm, {x, weight(prefix + ".weight", {n}), weight(prefix + ".bias", {n})}, n,
            prefix, {}, {ref::kLayerNormEps});
}

Operand GraphBuilder::unary(fb::OpType type, const Operand& x, const std::string& name) {
  return op(type, {x}, numel(x), name);
}

Operand GraphBuilder::binary(fb::OpType type, const Operand& a, const Operand& b, const std::string& name) {
  if (numel(a) != numel(b)) throw PlanError("internal: size mismatch at " + name);
  return op(type, {a, b}, numel(a), name);
}

Operand embed_with_ln0(GraphBuilder& b, const ModelDims& d) {
  const Checkpoint& ck = b.checkpoint();
  const Tensor& emb = ck.get("emb.weight");
  std::vector<float> table = emb.data;
  const Tensor& w = ck.get("blocks.0.ln0.weight");
  const Tensor& bias = ck.get("blocks.0.ln0.bias");
  if (w.numel() != d.n_embd || bias.numel() != d.n_embd) throw PlanError("ln0 size differs from n_embd");
  // v4-v6 loaders normalise in the stored dtype (torch's bf16 kernel when all
  // three are bf16; fp16 raises on the CPU and falls back to float32); v7's
  // loader converts to float32 first.
  const bool torch_bf16 = d.version != fb::RwkvVersion::V7 && emb.source_dtype == SourceDType::BF16 &&
                          w.source_dtype == SourceDType::BF16 && bias.source_dtype == SourceDType::BF16;
  if (torch_bf16) {
    torch_bf16_layer_norm_rows(table.data(), d.vocab, d.n_embd, w.data.data(), bias.data.data(), ref::kLayerNormEps);
  } else {
    layer_norm_rows(table, d.vocab, d.n_embd, w.data, bias.data);
  }
  const Operand t = b.weight_data("emb.weight", {d.vocab, d.n_embd}, std::move(table));
  return b.op(fb::OpType::Embed, {t}, d.n_embd, "x.emb");
}

void head(GraphBuilder& b, const Operand& x, const ModelDims& d) {
  const Operand xn = b.layer_norm(x, "ln_out");
  b.set_logits(b.matvec(b.weight("head.weight", {d.vocab, d.n_embd}), xn, "logits"));
}

Graph build_step_graph(const Checkpoint& ck, const ModelDims& dims, const BuildOptions& options) {
  Graph g;
  GraphBuilder b(ck, g);
  switch (dims.version) {
    case fb::RwkvVersion::V4: build_v4(b, dims); break;
    case fb::RwkvVersion::V5:
    case fb::RwkvVersion::V5_1:
    case fb::RwkvVersion::V5_2: build_v5(b, dims, options); break;
    case fb::RwkvVersion::V6: build_v6(b, dims, options); break;
    case fb::RwkvVersion::V7: build_v7(b, dims, options); break;
  }
  return g;
}

}  // namespace rwkv_edge::planner
