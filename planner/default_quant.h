// plan's formats when --quant and --strategy are not given: the checkpoint's
// own precision, so a plan is never larger than its source unasked.
#pragma once

#include <string>

#include "checkpoint.h"
#include "quant_strategy.h"

namespace rwkv_edge::planner {

// The format a tensor of this source keeps:
//   float32 -> fp32, float16 -> fp16, bfloat16 -> bf16,
//   ggml Q8_0, Q5_0, Q5_1 -> int8 (the smallest own format with as many bits),
//   ggml Q4_0, Q4_1 -> int4:32 (the same 32-value groups).
WeightChoice source_precision(const Tensor& t);

// `asked` with its layers (when it names none), embedding and head (when not
// given) at the checkpoint's precision. The layers take the most precise
// format among the blocks' matrices (float16 beside bfloat16: fp32, which
// holds both). An all-fp32 result stays the empty strategy (nothing to
// convert). *note says what was kept, for the plan's report.
QuantStrategy keep_source_precision(const Checkpoint& ck, QuantStrategy asked, std::string* note);

}  // namespace rwkv_edge::planner
