#include "default_quant.h"

#include <set>

namespace rwkv_edge::planner {
namespace {

using quant::Format;

// Larger holds more: a layer's matrices share one format, the most precise of theirs.
int precision_rank(const WeightChoice& c) {
  switch (c.format) {
    case Format::F32: return 4;
    case Format::F16:
    case Format::BF16: return 3;
    case Format::I8:
    case Format::U8MinMax: return 2;
    case Format::I4: return 1;
  }
  return 4;
}

}  // namespace

WeightChoice source_precision(const Tensor& t) {
  if (t.source_block_bits >= 5) return {Format::I8, 0};
  if (t.source_block_bits > 0) return {Format::I4, kDefaultInt4Group};
  switch (t.source_dtype) {
    case SourceDType::F16: return {Format::F16, 0};
    case SourceDType::BF16: return {Format::BF16, 0};
    case SourceDType::F32: break;
  }
  return {Format::F32, 0};
}

QuantStrategy keep_source_precision(const Checkpoint& ck, QuantStrategy asked, std::string* note) {
  if (!asked.segments.empty()) return asked;
  std::set<Format> seen;
  WeightChoice layers{Format::I4, kDefaultInt4Group};
  for (const auto& [name, t] : ck.tensors) {
    if (!name.starts_with("blocks.") || !name.ends_with(".weight") || t.squeezed_shape().size() != 2) continue;
    const WeightChoice c = source_precision(t);
    seen.insert(c.format);
    if (precision_rank(c) > precision_rank(layers)) layers = c;
  }
  if (seen.empty()) layers = {Format::F32, 0};
  if (seen.count(Format::F16) && seen.count(Format::BF16)) layers = {Format::F32, 0};
  const auto table = [&](const char* name) {
    return ck.has(name) ? source_precision(ck.get(name)) : layers;
  };
  const WeightChoice emb = asked.emb.value_or(table("emb.weight")), head = asked.head.value_or(table("head.weight"));
  *note = choice_name(layers) + " (the checkpoint's precision";
  if (emb.format != layers.format || head.format != layers.format)
    *note += "; embedding " + choice_name(emb) + ", head " + choice_name(head);
  *note += "; --quant changes it)";
  if (layers.format == Format::F32 && emb.format == Format::F32 && head.format == Format::F32 && !asked.lora)
    return asked;
  asked.segments = {{layers, 0}};
  asked.emb = emb;
  asked.head = head;
  return asked;
}

}  // namespace rwkv_edge::planner
