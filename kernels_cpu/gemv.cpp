#include "gemv.h"

namespace rwkv_edge::gemv {

void matvec_rows(cpu::KernelPath path, const ref::WeightMatrix& m, const float* x, float* y, uint64_t row_begin,
                 uint64_t row_end) {
  bool done = false;
  switch (path) {
    case cpu::KernelPath::Avx2: done = avx2::matvec_rows(m, x, y, row_begin, row_end); break;
    case cpu::KernelPath::Neon: done = neon::matvec_rows(m, x, y, row_begin, row_end); break;
    case cpu::KernelPath::Auto:
    case cpu::KernelPath::Scalar: break;
  }
  if (!done) ref::matvec_weights_rows(m, x, y, row_begin, row_end);
}

}  // namespace rwkv_edge::gemv
