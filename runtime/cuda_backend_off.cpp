// A build without RWKV_EDGE_CUDA: a CUDA session is refused at init, so the
// other entry points are unreachable and only say so.
#include "cuda_backend.h"
#include "status.h"

namespace rwkv_edge {

const char* cuda_build_note() {
  return "this build has no CUDA backend (configure with -DRWKV_EDGE_CUDA=ON where nvcc is installed)";
}

rwkv_edge_status cuda_init(rwkv_edge_session*, uint32_t, uint32_t, void*, uint64_t) {
  return make_status(RWKV_EDGE_UNSUPPORTED, "%s", cuda_build_note());
}
rwkv_edge_status cuda_step(rwkv_edge_session*) { return make_status(RWKV_EDGE_UNSUPPORTED, "%s", cuda_build_note()); }
rwkv_edge_status cuda_state_to_host(const rwkv_edge_session*) {
  return make_status(RWKV_EDGE_UNSUPPORTED, "%s", cuda_build_note());
}
rwkv_edge_status cuda_state_to_device(rwkv_edge_session*) {
  return make_status(RWKV_EDGE_UNSUPPORTED, "%s", cuda_build_note());
}
void cuda_release(rwkv_edge_session*) {}

}  // namespace rwkv_edge
