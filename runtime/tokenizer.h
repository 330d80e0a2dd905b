// The model file's vocabulary as the C API's rwkv_edge_tokenizer view.
#pragma once

#include "rwkv_edge.h"
#include "rwkv_edge_generated.h"
#include "status.h"

namespace rwkv_edge {

// Points *out at the model's vocabulary after checking every rule encoding
// relies on. RWKV_EDGE_UNSUPPORTED when the file carries none.
Status bind_tokenizer(const fb::Model& model, rwkv_edge_tokenizer* out);

}  // namespace rwkv_edge
