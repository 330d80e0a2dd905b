// The .pth reader: zip directory, restricted unpickler, storages; then the
// version detection that reads the tensors' names and shapes.
#include <cstddef>
#include <cstdint>

#include "importers.h"
#include "plan_error.h"
#include "rwkv_model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace rwkv_edge::planner;
  try {
    detect_model(import_pth(data, size, "fuzz.pth"));
  } catch (const PlanError&) {
  }
  return 0;
}
