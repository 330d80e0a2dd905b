// Elementwise ops: one thread per value, the formulas of shared_math.h.
#include "cuda_ops.h"
#include "shared_math.h"

namespace rwkv_edge::cuda {
namespace {

constexpr unsigned kThreads = 256;

unsigned blocks_for(uint64_t n) { return static_cast<unsigned>((n + kThreads - 1) / kThreads); }

__global__ void unary_kernel(Unary op, const float* x, float param, float* out, uint64_t n) {
  const uint64_t i = uint64_t{blockIdx.x} * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const float v = x[i];
  float r = v;
  switch (op) {
    case Unary::Copy: break;
    case Unary::Scale: r = v * param; break;
    case Unary::Sigmoid: r = shared::sigmoid(v); break;
    case Unary::Tanh: r = tanhf(v); break;
    case Unary::Silu: r = shared::silu(v); break;
    case Unary::ReluSquare: r = shared::relu_square(v); break;
    case Unary::ExpNegExp: r = shared::exp_neg_exp(v); break;
    case Unary::V7Decay: r = shared::v7_decay(v); break;
  }
  out[i] = r;
}

__global__ void binary_kernel(Binary op, const float* a, const float* b, float* out, uint64_t n) {
  const uint64_t i = uint64_t{blockIdx.x} * blockDim.x + threadIdx.x;
  if (i >= n) return;
  switch (op) {
    case Binary::Add: out[i] = a[i] + b[i]; break;
    case Binary::Sub: out[i] = a[i] - b[i]; break;
    case Binary::Mul: out[i] = a[i] * b[i]; break;
  }
}

__global__ void ternary_kernel(Ternary op, const float* a, const float* b, const float* c, float* out, uint64_t n) {
  const uint64_t i = uint64_t{blockIdx.x} * blockDim.x + threadIdx.x;
  if (i >= n) return;
  switch (op) {
    case Ternary::MulAdd: out[i] = shared::mul_add(a[i], b[i], c[i]); break;
    case Ternary::Lerp: out[i] = shared::lerp(a[i], b[i], c[i]); break;
    case Ternary::V7KeyMix: out[i] = shared::v7_key_mix(a[i], b[i], c[i]); break;
  }
}

}  // namespace

cudaError_t unary(Unary op, const float* x, float param, float* out, uint64_t n, cudaStream_t stream) {
  if (n == 0 || (op == Unary::Copy && x == out)) return cudaSuccess;
  unary_kernel<<<blocks_for(n), kThreads, 0, stream>>>(op, x, param, out, n);
  return cudaGetLastError();
}

cudaError_t binary(Binary op, const float* a, const float* b, float* out, uint64_t n, cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  binary_kernel<<<blocks_for(n), kThreads, 0, stream>>>(op, a, b, out, n);
  return cudaGetLastError();
}

cudaError_t ternary(Ternary op, const float* a, const float* b, const float* c, float* out, uint64_t n,
                    cudaStream_t stream) {
  if (n == 0) return cudaSuccess;
  ternary_kernel<<<blocks_for(n), kThreads, 0, stream>>>(op, a, b, c, out, n);
  return cudaGetLastError();
}

}  // namespace rwkv_edge::cuda
