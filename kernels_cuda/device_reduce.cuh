// Warp and block sums for the reduction kernels.
#pragma once

namespace rwkv_edge::cuda {

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(0xFFFFFFFFu, v, offset);
  return v;
}

// Every thread of the block gets the sum. `shared` holds 32 floats; the
// block size is a multiple of 32. Ends with a barrier, so `shared` may be
// reused by the next call.
__device__ __forceinline__ float block_sum(float v, float* shared) {
  const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
  v = warp_sum(v);
  if (lane == 0) shared[warp] = v;
  __syncthreads();
  float total = lane < warps ? shared[lane] : 0.0f;
  total = warp_sum(total);
  __syncthreads();
  return total;
}

}  // namespace rwkv_edge::cuda
