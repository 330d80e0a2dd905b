// The WKV recurrences, one token. v4: a thread per channel. v5/v6: a block
// per head, a thread per value index j walking column j of the state (the
// threads of a warp read adjacent floats). v7: a block per head, a thread per
// state row. The head's small vectors are staged in shared memory; the
// per-thread arithmetic is shared_math.h's, as the scalar references run it.
#include "cuda_ops.h"
#include "shared_math.h"

namespace rwkv_edge::cuda {
namespace {

struct Expf {
  RWKV_EDGE_HD float operator()(float x) const { return expf(x); }
};

__global__ void wkv4_kernel(const float* k, const float* v, const float* decay, const float* first, float* aa,
                            float* bb, float* pp, float* out, uint64_t n) {
  const uint64_t i = uint64_t{blockIdx.x} * blockDim.x + threadIdx.x;
  if (i < n) out[i] = shared::wkv4_channel(k[i], v[i], decay[i], first[i], aa[i], bb[i], pp[i], Expf{});
}

__global__ void wkv5_kernel(const float* r, const float* k, const float* v, const float* w, const float* u,
                            float* state, float* out, uint32_t hs) {
  extern __shared__ float staged[];
  float *sr = staged, *sk = sr + hs, *sw = sk + hs, *su = sw + hs;
  const uint64_t o = uint64_t{blockIdx.x} * hs;
  const uint32_t j = threadIdx.x;
  sr[j] = r[o + j], sk[j] = k[o + j], sw[j] = w[o + j], su[j] = u[o + j];
  __syncthreads();
  float* S = state + uint64_t{blockIdx.x} * hs * hs;
  out[o + j] = shared::wkv5_column(sr, sk, sw, su, v[o + j], S + j, hs, hs);
}

__global__ void wkv7_kernel(const float* r, const float* w, const float* k, const float* v, const float* kk,
                            const float* a, float* state, float* out, uint32_t hs) {
  extern __shared__ float staged[];
  float *sr = staged, *sw = sr + hs, *sk = sw + hs, *skk = sk + hs, *sa = skk + hs;
  const uint64_t o = uint64_t{blockIdx.x} * hs;
  const uint32_t i = threadIdx.x;
  sr[i] = r[o + i], sw[i] = w[o + i], sk[i] = k[o + i], skk[i] = kk[o + i], sa[i] = a[o + i];
  __syncthreads();
  float* S = state + uint64_t{blockIdx.x} * hs * hs;
  out[o + i] = shared::wkv7_row(S + uint64_t{i} * hs, sr, sw, sk, skk, sa, v[o + i], hs);
}

bool head_shape_ok(uint64_t n, uint32_t heads) {
  return heads > 0 && n % heads == 0 && n / heads > 0 && n / heads <= kMaxHeadSize;
}

}  // namespace

cudaError_t wkv4(const float* k, const float* v, const float* decay, const float* first, float* aa, float* bb,
                 float* pp, float* out, uint64_t n, cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  constexpr unsigned kThreads = 256;
  wkv4_kernel<<<static_cast<unsigned>((n + kThreads - 1) / kThreads), kThreads, 0, stream>>>(k, v, decay, first, aa,
                                                                                            bb, pp, out, n);
  return cudaGetLastError();
}

cudaError_t wkv5(const float* r, const float* k, const float* v, const float* w, const float* u, float* state,
                 float* out, uint64_t n, uint32_t heads, cudaStream_t stream) {
  if (!head_shape_ok(n, heads)) return cudaErrorInvalidValue;
  const auto hs = static_cast<uint32_t>(n / heads);
  wkv5_kernel<<<heads, hs, 4 * hs * sizeof(float), stream>>>(r, k, v, w, u, state, out, hs);
  return cudaGetLastError();
}

cudaError_t wkv7(const float* r, const float* w, const float* k, const float* v, const float* kk, const float* a,
                 float* state, float* out, uint64_t n, uint32_t heads, cudaStream_t stream) {
  if (!head_shape_ok(n, heads)) return cudaErrorInvalidValue;
  const auto hs = static_cast<uint32_t>(n / heads);
  wkv7_kernel<<<heads, hs, 5 * hs * sizeof(float), stream>>>(r, w, k, v, kk, a, state, out, hs);
  return cudaGetLastError();
}

}  // namespace rwkv_edge::cuda
