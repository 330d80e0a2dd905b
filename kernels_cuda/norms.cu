// Reductions over a row, a group or a head: one block each, moments by block
// sums, then the per-value formulas of shared_math.h. Every value is read
// before the barrier that ends the last sum, so in place is safe.
#include "cuda_ops.h"
#include "device_reduce.cuh"
#include "shared_math.h"

namespace rwkv_edge::cuda {
namespace {

// A multiple of 32 covering `n` values, at most 256 threads.
unsigned threads_for(uint64_t n) { return n >= 256 ? 256u : static_cast<unsigned>((n + 31) / 32 * 32); }

// Mean and biased variance of x[0..n), two passes as torch's moments are exact to a few ulps.
__device__ void moments(const float* x, uint64_t n, float* red, float* mean, float* variance) {
  float s = 0.0f;
  for (uint64_t i = threadIdx.x; i < n; i += blockDim.x) s += x[i];
  *mean = block_sum(s, red) / static_cast<float>(n);
  float v = 0.0f;
  for (uint64_t i = threadIdx.x; i < n; i += blockDim.x) {
    const float d = x[i] - *mean;
    v += d * d;
  }
  *variance = block_sum(v, red) / static_cast<float>(n);
}

__global__ void layer_norm_kernel(const float* x, const float* w, const float* b, float* out, uint64_t n, float eps) {
  __shared__ float red[32];
  float mean, variance;
  moments(x, n, red, &mean, &variance);
  const float rstd = 1.0f / sqrtf(variance + eps);
  const float shift = -rstd * mean;
  for (uint64_t i = threadIdx.x; i < n; i += blockDim.x)
    out[i] = shared::layer_norm_value(x[i], rstd, shift, w[i], b[i]);
}

__global__ void group_norm_kernel(const float* x, const float* w, const float* b, float* out, uint64_t g, float eps) {
  __shared__ float red[32];
  const uint64_t o = uint64_t{blockIdx.x} * g;
  float mean, variance;
  moments(x + o, g, red, &mean, &variance);
  const float rstd = 1.0f / sqrtf(fmaxf(variance, 0.0f) + eps);
  for (uint64_t i = o + threadIdx.x; i < o + g; i += blockDim.x)
    out[i] = shared::group_norm_value(x[i], mean, rstd, w[i], b[i]);
}

__global__ void head_l2_norm_kernel(const float* x, float* out, uint64_t hs) {
  __shared__ float red[32];
  const uint64_t o = uint64_t{blockIdx.x} * hs;
  float ss = 0.0f;
  for (uint64_t i = o + threadIdx.x; i < o + hs; i += blockDim.x) ss += x[i] * x[i];
  const float norm = fmaxf(sqrtf(block_sum(ss, red)), 1e-12f);
  for (uint64_t i = o + threadIdx.x; i < o + hs; i += blockDim.x) out[i] = x[i] / norm;
}

__global__ void v7_bonus_kernel(const float* y, const float* r, const float* k, const float* r_k, const float* v,
                                float* out, uint64_t hs) {
  __shared__ float red[32];
  const uint64_t o = uint64_t{blockIdx.x} * hs;
  float s = 0.0f;
  for (uint64_t i = o + threadIdx.x; i < o + hs; i += blockDim.x) s += r[i] * k[i] * r_k[i];
  s = block_sum(s, red);
  for (uint64_t i = o + threadIdx.x; i < o + hs; i += blockDim.x) out[i] = y[i] + s * v[i];
}

}  // namespace

cudaError_t layer_norm(const float* x, const float* w, const float* b, float* out, uint64_t n, float eps,
                       cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  layer_norm_kernel<<<1, threads_for(n), 0, stream>>>(x, w, b, out, n, eps);
  return cudaGetLastError();
}

cudaError_t group_norm(const float* x, const float* w, const float* b, float* out, uint64_t n, uint32_t groups,
                       float eps, cudaStream_t stream) {
  if (n == 0 || groups == 0) return cudaSuccess;
  group_norm_kernel<<<groups, threads_for(n / groups), 0, stream>>>(x, w, b, out, n / groups, eps);
  return cudaGetLastError();
}

cudaError_t head_l2_norm(const float* x, float* out, uint64_t n, uint32_t heads, cudaStream_t stream) {
  if (n == 0 || heads == 0) return cudaSuccess;
  head_l2_norm_kernel<<<heads, threads_for(n / heads), 0, stream>>>(x, out, n / heads);
  return cudaGetLastError();
}

cudaError_t v7_bonus(const float* y, const float* r, const float* k, const float* r_k, const float* v, float* out,
                     uint64_t n, uint32_t heads, cudaStream_t stream) {
  if (n == 0 || heads == 0) return cudaSuccess;
  v7_bonus_kernel<<<heads, threads_for(n / heads), 0, stream>>>(y, r, k, r_k, v, out, n / heads);
  return cudaGetLastError();
}

}  // namespace rwkv_edge::cuda
