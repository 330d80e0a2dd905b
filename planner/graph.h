// The planner's step graph: ops over named buffers and weight tensors, built
// per RWKV version, then given arena offsets and written to the model file.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "checkpoint.h"
#include "rwkv_edge_generated.h"
#include "rwkv_model.h"
#include "weight_layout.h"

namespace rwkv_edge::planner {

struct GraphBuffer {
  std::string name;
  uint64_t numel = 0;
  bool persistent = false;
  float init_value = 0.0f;
  int32_t init_tensor = -1;
  uint64_t offset = 0;      // set by the arena planner
  uint64_t seq_offset = 0;  // the same in sequence mode (offset for persistent buffers)
};

struct Operand {
  bool weight = false;
  uint32_t index = 0;
};

struct GraphOp {
  fb::OpType type{};
  std::vector<Operand> inputs;
  std::vector<uint32_t> outputs;
  std::vector<int32_t> iparams;
  std::vector<float> fparams;
  fb::Placement placement = fb::Placement::CPU;
};

struct WeightTensor {
  std::string name;
  std::vector<uint64_t> shape;
  std::vector<float> data;                  // float32 values (the planner works on these)
  quant::Format format = quant::Format::F32;
  uint32_t group = 0;                       // I4 group size
  std::vector<uint8_t> stored;              // non-F32: the segment as written (quantize_matrix)

  uint64_t stored_bytes() const { return format == quant::Format::F32 ? data.size() * 4 : stored.size(); }
  const uint8_t* stored_data() const {
    return format == quant::Format::F32 ? reinterpret_cast<const uint8_t*>(data.data()) : stored.data();
  }
};

struct Graph {
  std::vector<WeightTensor> weights;
  std::vector<GraphBuffer> buffers;
  std::vector<GraphOp> ops;
  uint32_t logits = 0;
};

struct BuildOptions {
  float ln_x_eps = kOfficialLnXEps;
};

// Builds the single-token step of the detected version, applying the official
// per-version weight transforms on the way (see docs/format.md).
Graph build_step_graph(const Checkpoint& ck, const ModelDims& dims, const BuildOptions& options);

// Helpers the per-version builders share.
class GraphBuilder {
 public:
  GraphBuilder(const Checkpoint& ck, Graph& g) : ck_(ck), g_(g) {}

  // Weights: copied from the checkpoint (squeezed to `shape`), or given outright.
  Operand weight(const std::string& name, std::vector<uint64_t> shape);
  Operand weight_data(const std::string& name, std::vector<uint64_t> shape, std::vector<float> data);
  // Checkpoint matrix [a][b] stored transposed as [b][a], for x @ M products.
  Operand weight_transposed(const std::string& name);
  Operand vec(const std::string& name);  // any shape, flattened to [numel]

  Operand state(const std::string& name, uint64_t numel, float init = 0.0f, int32_t init_tensor = -1);
  uint32_t last_weight_index() const { return static_cast<uint32_t>(g_.weights.size() - 1); }

  // Emits an op writing a new activation buffer of `numel` elements.
  Operand op(fb::OpType type, std::vector<Operand> inputs, uint64_t numel, const std::string& name,
             std::vector<int32_t> iparams = {}, std::vector<float> fparams = {});
  // Emits an op writing a new activation and updating `states` in place (the WKV recurrences).
  Operand op_state(fb::OpType type, std::vector<Operand> inputs, uint64_t numel, const std::string& name,
                   std::vector<Operand> states, std::vector<int32_t> iparams = {});
  // Emits an op writing existing buffers (state updates).
  void op_into(fb::OpType type, std::vector<Operand> inputs, std::vector<Operand> outputs,
               std::vector<int32_t> iparams = {}, std::vector<float> fparams = {});

  Operand matvec(const Operand& w, const Operand& x, const std::string& name);
  Operand layer_norm(const Operand& x, const std::string& prefix);  // prefix.weight / prefix.bias
  Operand unary(fb::OpType type, const Operand& x, const std::string& name);
  Operand binary(fb::OpType type, const Operand& a, const Operand& b, const std::string& name);

  uint64_t numel(const Operand& o) const;
  const Checkpoint& checkpoint() const { return ck_; }
  void set_logits(const Operand& o) { g_.logits = o.index; }

 private:
  const Checkpoint& ck_;
  Graph& g_;
};

// The layer-normalised embedding table (ln0 folded in offline, as the official package does).
Operand embed_with_ln0(GraphBuilder& b, const ModelDims& dims);
// ln_out then the head: writes the logits buffer.
void head(GraphBuilder& b, const Operand& x, const ModelDims& dims);

// The v4/v5 channel mix (official ffn_one): returns the new residual stream.
Operand channel_mix_v4(GraphBuilder& b, const ModelDims& dims, const Operand& x, const std::string& p,
                       const std::string& L);

void build_v4(GraphBuilder& b, const ModelDims& dims);
void build_v5(GraphBuilder& b, const ModelDims& dims, const BuildOptions& options);
void build_v6(GraphBuilder& b, const ModelDims& dims, const BuildOptions& options);
void build_v7(GraphBuilder& b, const ModelDims& dims, const BuildOptions& options);

}  // namespace rwkv_edge::planner
