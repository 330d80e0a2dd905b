#include "op_signatures.h"

#include "rwkv_edge_generated.h"

namespace rwkv_edge {
namespace {

using fb::OpType;
using R = ShapeRule;

struct Entry {
  OpType type;
  OpSignature sig;
};

// Order must follow fb::OpType; checked by the static_assert below.
constexpr Entry kTable[] = {
    {OpType::Embed, {"embed", 1, 1, 0, 0, R::Embed, false}},
    {OpType::LayerNorm, {"layer_norm", 3, 1, 0, 1, R::Norm, true}},
    {OpType::GroupNorm, {"group_norm", 3, 1, 1, 1, R::GroupNorm, true}},
    {OpType::MatVec, {"matvec", 2, 1, 0, 0, R::MatVec, false}},
    {OpType::Add, {"add", 2, 1, 0, 0, R::Elementwise, true}},
    {OpType::Sub, {"sub", 2, 1, 0, 0, R::Elementwise, true}},
    {OpType::Mul, {"mul", 2, 1, 0, 0, R::Elementwise, true}},
    {OpType::MulAdd, {"mul_add", 3, 1, 0, 0, R::Elementwise, true}},
    {OpType::Lerp, {"lerp", 3, 1, 0, 0, R::Elementwise, true}},
    {OpType::Sigmoid, {"sigmoid", 1, 1, 0, 0, R::Elementwise, true}},
    {OpType::Tanh, {"tanh", 1, 1, 0, 0, R::Elementwise, true}},
    {OpType::Silu, {"silu", 1, 1, 0, 0, R::Elementwise, true}},
    {OpType::ReluSquare, {"relu_square", 1, 1, 0, 0, R::Elementwise, true}},
    {OpType::ExpNegExp, {"exp_neg_exp", 1, 1, 0, 0, R::Elementwise, true}},
    {OpType::V7Decay, {"v7_decay", 1, 1, 0, 0, R::Elementwise, true}},
    {OpType::Copy, {"copy", 1, 1, 0, 0, R::Elementwise, true}},
    {OpType::Wkv4, {"wkv4", 4, 4, 0, 0, R::Wkv4, false}},
    {OpType::Wkv5, {"wkv5", 5, 2, 1, 0, R::Wkv5, false}},
    {OpType::Wkv7, {"wkv7", 6, 2, 1, 0, R::Wkv7, false}},
    {OpType::HeadL2Norm, {"head_l2_norm", 1, 1, 1, 0, R::PerHead, true}},
    {OpType::V7KeyMix, {"v7_key_mix", 3, 1, 0, 0, R::Elementwise, true}},
    {OpType::V7Bonus, {"v7_bonus", 5, 1, 1, 0, R::PerHead, false}},
    {OpType::Scale, {"scale", 1, 1, 0, 1, R::Elementwise, true}},
};

constexpr bool table_in_order() {
  for (uint16_t i = 0; i < sizeof kTable / sizeof kTable[0]; ++i)
    if (static_cast<uint16_t>(kTable[i].type) != i) return false;
  return true;
}
static_assert(table_in_order(), "kTable must list op types in enum order");
static_assert(sizeof kTable / sizeof kTable[0] == kOpTypeCount);
static_assert(static_cast<uint16_t>(OpType::MAX) + 1 == kOpTypeCount);

}  // namespace

const OpSignature* op_signature(uint16_t op_type) {
  if (op_type >= kOpTypeCount) return nullptr;
  return &kTable[op_type].sig;
}

}  // namespace rwkv_edge
