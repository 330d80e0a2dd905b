// A restricted unpickler for exactly what torch.save(state_dict) writes.
//
// It interprets pickle opcodes as data only: no code runs, no module is
// imported. The only globals accepted are collections.OrderedDict,
// torch._utils._rebuild_tensor_v2 and the torch Float/Half/BFloat16 storage
// types; anything else (and any opcode outside the protocol-2..4 data set) is
// refused with an error naming it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "checkpoint.h"

namespace rwkv_edge::planner {

struct PickledTensor {
  std::string name;
  std::string storage_key;  // the zip record data/<key>
  SourceDType dtype = SourceDType::F32;
  uint64_t storage_numel = 0;
  uint64_t storage_offset = 0;  // in elements
  std::vector<uint64_t> shape;
  std::vector<uint64_t> stride;
};

// Parses data.pkl; the top-level object must be a dict of tensors.
std::vector<PickledTensor> unpickle_state_dict(const uint8_t* data, size_t size,
                                               const std::string& what);

}  // namespace rwkv_edge::planner
