#include <stdexcept>

#include "memory_bandwidth.h"

namespace rwkv_edge::cli {
namespace {

[[noreturn]] void no_cuda() {
  throw std::runtime_error("this build has no CUDA backend (configure with -DRWKV_EDGE_CUDA=ON where nvcc is installed)");
}

}  // namespace

double measure_cuda_copy_bandwidth_gb_s(uint32_t) { no_cuda(); }
double measure_cuda_graph_replay_us(uint32_t) { no_cuda(); }

}  // namespace rwkv_edge::cli
