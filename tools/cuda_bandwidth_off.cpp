#include <stdexcept>

#include "memory_bandwidth.h"

namespace rwkv_edge::cli {

double measure_cuda_copy_bandwidth_gb_s(uint32_t) {
  throw std::runtime_error("this build has no CUDA backend (configure with -DRWKV_EDGE_CUDA=ON where nvcc is installed)");
}

}  // namespace rwkv_edge::cli
