// Batch-1 CUDA kernels for every op of the step graph (schema/rwkv_edge.fbs),
// callable from plain C++: each launches on `stream` and returns the launch's
// error (cudaSuccess or why the launch was refused). Nothing here allocates;
// buffers and weights live in the runtime's one device allocation.
//
// Numerics: per-value math comes from kernels_cpu/shared_math.h, the same
// formulas as the scalar references. What differs is only the order of sums
// (warp reductions instead of input order) and the float exp/tanh (CUDA's
// expf/tanhf, within 2 ulp), so results sit a few ulps of the row's
// magnitude from the references; tests/test_cuda.cpp holds them to that.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "weight_layout.h"

namespace rwkv_edge::cuda {

// A weight matrix in device memory, in its stored format (weight_layout.h).
struct Matrix {
  quant::Format format = quant::Format::F32;
  const uint8_t* data = nullptr;
  uint64_t rows = 0, cols = 0;
  uint32_t group = 0;  // I4
};

enum class Unary : uint8_t { Copy, Scale, Sigmoid, Tanh, Silu, ReluSquare, ExpNegExp, V7Decay };
enum class Binary : uint8_t { Add, Sub, Mul };
enum class Ternary : uint8_t { MulAdd, Lerp, V7KeyMix };

// Elementwise ops are safe in place (out may equal any input). `param`: Scale's factor.
cudaError_t unary(Unary op, const float* x, float param, float* out, uint64_t n, cudaStream_t stream);
cudaError_t binary(Binary op, const float* a, const float* b, float* out, uint64_t n, cudaStream_t stream);
cudaError_t ternary(Ternary op, const float* a, const float* b, const float* c, float* out, uint64_t n,
                    cudaStream_t stream);

// Reductions: one block per row, group or head; in place is safe.
cudaError_t layer_norm(const float* x, const float* w, const float* b, float* out, uint64_t n, float eps,
                       cudaStream_t stream);
cudaError_t group_norm(const float* x, const float* w, const float* b, float* out, uint64_t n, uint32_t groups,
                       float eps, cudaStream_t stream);
cudaError_t head_l2_norm(const float* x, float* out, uint64_t n, uint32_t heads, cudaStream_t stream);
cudaError_t v7_bonus(const float* y, const float* r, const float* k, const float* r_k, const float* v, float* out,
                     uint64_t n, uint32_t heads, cudaStream_t stream);

// y[rows] = m . x[cols]; y must not alias x. One warp per row, 16-byte loads
// where the row layout allows them.
cudaError_t matvec(const Matrix& m, const float* x, float* y, cudaStream_t stream);
// out[cols] = row *token of m, dequantized. The token is read on the device,
// so a captured graph replays with whatever id the host wrote there.
cudaError_t embed(const Matrix& m, const uint32_t* token, float* out, cudaStream_t stream);

// The recurrences; state in place, out aliases nothing.
cudaError_t wkv4(const float* k, const float* v, const float* decay, const float* first, float* aa, float* bb,
                 float* pp, float* out, uint64_t n, cudaStream_t stream);
cudaError_t wkv5(const float* r, const float* k, const float* v, const float* w, const float* u, float* state,
                 float* out, uint64_t n, uint32_t heads, cudaStream_t stream);
cudaError_t wkv7(const float* r, const float* w, const float* k, const float* v, const float* kk, const float* a,
                 float* state, float* out, uint64_t n, uint32_t heads, cudaStream_t stream);

// Largest head size the WKV kernels take (one thread per row or column of a head's state).
inline constexpr uint32_t kMaxHeadSize = 1024;

}  // namespace rwkv_edge::cuda
