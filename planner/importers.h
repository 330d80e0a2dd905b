// Checkpoint importers. Each returns tensors in the official PyTorch layout
// (see checkpoint.h); load_checkpoint() picks one by the file's first bytes.
#pragma once

#include <string>

#include "checkpoint.h"

namespace rwkv_edge::planner {

Checkpoint import_pth(const uint8_t* data, size_t size, const std::string& what);
Checkpoint import_safetensors(const uint8_t* data, size_t size, const std::string& what);
// rwkv.cpp's own format; its per-version transforms are undone.
Checkpoint import_rwkvcpp_bin(const uint8_t* data, size_t size, const std::string& what);

Checkpoint load_checkpoint(const std::string& path);

// Which importer load_checkpoint would use for these bytes (by their first bytes).
enum class CheckpointKind { None, Pth, RwkvCppBin, Safetensors };
CheckpointKind checkpoint_kind(const uint8_t* data, size_t size);

}  // namespace rwkv_edge::planner
