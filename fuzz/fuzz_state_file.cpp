// State files as the CLI loads them (--state): an rwkv-edge state file
// (rwkv_edge_state_import) or an official state-tuning .pth, into a session
// of the committed RWKV-6 mini model. A refused file leaves the state as it was.
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <vector>

#include "fuzz_support.h"
#include "state_file_io.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  rwkv_edge::cli::ModelSession& model = rwkv_edge::fuzz::planned_session("mini-v6.pth");
  const size_t state_bytes = rwkv_edge_state_bytes(model.get());
  std::vector<uint8_t> before(state_bytes), after(state_bytes);
  // A state that is not the reset one, so "unchanged" means something.
  rwkv_edge_state_reset(model.get());
  model.step(static_cast<uint32_t>(size % model.info().vocab_size));
  if (rwkv_edge_state_save(model.get(), before.data(), state_bytes).code != RWKV_EDGE_OK) std::abort();
  try {
    rwkv_edge::cli::load_state_bytes(model, data, size, "fuzz.state");
  } catch (const std::runtime_error&) {
    if (rwkv_edge_state_save(model.get(), after.data(), state_bytes).code != RWKV_EDGE_OK || before != after)
      std::abort();
  }
  return 0;
}
