#include <cstring>

#include "importers.h"
#include "mapped_file.h"
#include "plan_error.h"

namespace rwkv_edge::planner {

CheckpointKind checkpoint_kind(const uint8_t* d, size_t n) {
  if (n >= 4 && std::memcmp(d, "PK\x03\x04", 4) == 0) return CheckpointKind::Pth;
  if (n >= 4 && std::memcmp(d, "fmgg", 4) == 0) return CheckpointKind::RwkvCppBin;
  if (n >= 9 && d[8] == '{') return CheckpointKind::Safetensors;
  return CheckpointKind::None;
}

Checkpoint load_checkpoint(const std::string& path) {
  MappedFile file(path);
  const uint8_t* d = file.data();
  const size_t n = file.size();
  if (n == 0) throw PlanError(path + " is empty (0 bytes)");
  switch (checkpoint_kind(d, n)) {
    case CheckpointKind::Pth: return import_pth(d, n, path);
    case CheckpointKind::RwkvCppBin: return import_rwkvcpp_bin(d, n, path);
    case CheckpointKind::Safetensors: return import_safetensors(d, n, path);
    case CheckpointKind::None: break;
  }
  if (n >= 2 && d[0] == 0x80)
    throw PlanError(path + ": legacy (pre-1.6) torch serialization; re-save it with a newer torch");
  throw PlanError(path + ": not a .pth (zip), .safetensors or rwkv.cpp .bin checkpoint");
}

}  // namespace rwkv_edge::planner
