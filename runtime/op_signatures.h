// Arity and aliasing rules of every op. The verifier checks model files
// against this table and the planner reads it to decide where an output may
// reuse an input's memory.
#pragma once

#include <cstdint>

namespace rwkv_edge {

enum class ShapeRule : uint8_t {
  Elementwise,  // every operand has the output's numel
  Embed,        // in0: weight [vocab][n]; out n
  Norm,         // x, w, b, out all n
  GroupNorm,    // as Norm, iparams[0] groups divides n
  MatVec,       // in0: weight [rows][cols]; in1 cols; out rows
  Wkv4,         // k v decay first -> out aa bb pp (all n; aa bb pp persistent)
  Wkv5,         // r k v w u -> out S (S: heads*hs*hs, persistent)
  Wkv7,         // r w k v kk a -> out S
  PerHead,      // elementwise with iparams[0] heads dividing n
};

struct OpSignature {
  const char* name;
  uint8_t n_inputs;
  uint8_t n_outputs;
  uint8_t n_iparams;
  uint8_t n_fparams;
  ShapeRule rule;
  bool in_place_ok;  // outputs may share memory with inputs
};

inline constexpr int kMaxOpInputs = 6;
inline constexpr int kMaxOpOutputs = 4;
inline constexpr uint16_t kOpTypeCount = 23;

// nullptr for an unknown op type.
const OpSignature* op_signature(uint16_t op_type);

}  // namespace rwkv_edge
