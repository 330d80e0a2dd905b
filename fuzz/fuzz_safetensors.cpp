// The .safetensors reader (JSON header, data offsets, dtypes), then version detection.
#include <cstddef>
#include <cstdint>

#include "importers.h"
#include "plan_error.h"
#include "rwkv_model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rwkv_edge::planner;
  try {
    detect_model(import_safetensors(data, size, "fuzz.safetensors"));
  } catch (const PlanError&) {
  }
  return 0;
}
