#include "wkv.h"

#include "reference_ops.h"

namespace rwkv_edge::wkv {

void wkv5(cpu::KernelPath path, const float* r, const float* k, const float* v, const float* w, const float* u,
          float* state, float* out, size_t n, size_t heads) {
  if (path == cpu::KernelPath::Avx2 && avx2::wkv5(r, k, v, w, u, state, out, n, heads)) return;
  ref::wkv5(r, k, v, w, u, state, out, n, heads);
}

void wkv7(cpu::KernelPath path, const float* r, const float* w, const float* k, const float* v, const float* kk,
          const float* a, float* state, float* out, size_t n, size_t heads) {
  if (path == cpu::KernelPath::Avx2 && avx2::wkv7(r, w, k, v, kk, a, state, out, n, heads)) return;
  ref::wkv7(r, w, k, v, kk, a, state, out, n, heads);
}

}  // namespace rwkv_edge::wkv
