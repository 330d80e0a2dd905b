// Verifies a model file once: header, CRCs, flatbuffers Verifier, then every
// semantic rule the interpreter relies on (sizes, offsets, alignment, regions,
// op arity and shapes). After this passes, the hot loop needs no checks.
#pragma once

#include <cstddef>
#include <cstdint>

#include "model_file.h"
#include "rwkv_edge_generated.h"
#include "status.h"

namespace rwkv_edge {

struct VerifiedModel {
  FilePrefix prefix;
  const fb::Model* model = nullptr;
  const uint8_t* weights = nullptr;  // start of the weight area
};

Status verify_model(const uint8_t* file, size_t file_bytes, bool check_weights_crc,
                    VerifiedModel* out);

uint64_t dtype_bytes_times(fb::DType dtype, uint64_t numel, bool* ok);
const char* dtype_name(fb::DType dtype);

}  // namespace rwkv_edge
