// WKV recurrences on the SIMD path chosen at init; the scalar definitions
// are ref::wkv5 / ref::wkv7 (reference_ops.h), which the tests compare these
// against.
//
// Numerics: wkv5 keeps the reference's operations and order per state
// element (lanes run over the value index j, whose sums are independent), so
// it is bit for bit the reference. wkv7's two dot products per state row
// (S.(-kk) and S.r) are summed 8 lanes at a time and then across the lanes:
// a few float ulps of sum |S||x| from the reference, which sums in order.
#pragma once

#include <cstddef>

#include "cpu_features.h"

namespace rwkv_edge::wkv {

void wkv5(cpu::KernelPath path, const float* r, const float* k, const float* v, const float* w, const float* u,
          float* state, float* out, size_t n, size_t heads);
void wkv7(cpu::KernelPath path, const float* r, const float* w, const float* k, const float* v, const float* kk,
          const float* a, float* state, float* out, size_t n, size_t heads);

}  // namespace rwkv_edge::wkv

namespace rwkv_edge::wkv::avx2 {
// False when this build or head size has no AVX2 kernel (head size not a multiple of 8).
bool wkv5(const float* r, const float* k, const float* v, const float* w, const float* u, float* state, float* out,
          size_t n, size_t heads);
bool wkv7(const float* r, const float* w, const float* k, const float* v, const float* kk, const float* a,
          float* state, float* out, size_t n, size_t heads);
}  // namespace rwkv_edge::wkv::avx2
