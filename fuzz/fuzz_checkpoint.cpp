// A checkpoint importer, then the version detection that reads the tensors'
// names and shapes. Built once per format (fuzz/CMakeLists.txt sets
// FUZZ_IMPORTER): import_pth (zip directory, restricted unpickler, storages),
// import_safetensors (JSON header, offsets, dtypes), import_rwkvcpp_bin
// (ggml tensors, Q-block dequantization, transforms undone).
#include <cstddef>
#include <cstdint>

#include "importers.h"
#include "plan_error.h"
#include "rwkv_model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rwkv_edge::planner;
  try {
    detect_model(FUZZ_IMPORTER(data, size, "fuzz input"));
  } catch (const PlanError&) {
  }
  return 0;
}
