// Batch-1 mat-vec and embedding rows for every stored weight format. A
// decode step reads each weight once, so these are bound by memory: one warp
// per row, each lane loading 16 bytes at a time where the row layout keeps
// them aligned (4 bytes otherwise), summing in float, then a warp reduction.
#include "cuda_ops.h"
#include "device_reduce.cuh"
#include "shared_math.h"

namespace rwkv_edge::cuda {
namespace {

using quant::Format;

constexpr int kWarpsPerBlock = 8;

using shared::load_bfloat16;
using shared::load_f32;
using shared::load_half;

// Where a row's parameters live, decided on the host once per launch.
struct Geometry {
  uint64_t row_bytes, params_offset, groups;
};

// Value `col` of row `row`, dequantized exactly as ref::dequantize_span does.
__device__ float dequant_value(const Matrix& m, const Geometry& g, uint64_t row, uint64_t col) {
  const uint8_t* q = m.data + row * g.row_bytes;
  const uint8_t* params = m.data + g.params_offset;
  switch (m.format) {
    case Format::F32: return load_f32(q + 4 * col);
    case Format::F16: return load_half(q + 2 * col);
    case Format::BF16: return load_bfloat16(q + 2 * col);
    case Format::I8: return shared::dequant_i8(static_cast<int8_t>(q[col]), load_bfloat16(params + 2 * row));
    case Format::U8MinMax: {
      const quant::U8MinMaxParams u = quant::u8_minmax_params(m.rows, m.cols);
      return shared::dequant_u8(q[col], load_f32(params + u.row_min + 4 * row), load_f32(params + u.row_scale + 4 * row),
                                load_f32(params + u.col_min + 4 * col), load_f32(params + u.col_scale + 4 * col));
    }
    case Format::I4: {
      const uint64_t group = col / m.group, at = col - group * m.group;
      const quant::I4GroupOffsets o = quant::i4_group_offsets(group, g.groups, m.group);
      return shared::dequant_i4(quant::i4_nibble(q + o.nibbles, at), load_half(q + o.scale), load_half(q + o.min));
    }
  }
  return 0.0f;
}

// Sum over the values of one 32-bit word of a F32/F16/BF16/I8 row times x,
// in value order (I8 unscaled: the row's scale comes after the reduction).
template <Format F>
__device__ float word_dot(uint32_t w, const float* x) {
  float s = 0.0f;
  if constexpr (F == Format::F32) {
    s += shared::bits_to_float(w) * x[0];
  } else if constexpr (F == Format::F16) {
    for (int k = 0; k < 2; ++k) s += shared::word_half(w, k) * x[k];
  } else if constexpr (F == Format::BF16) {
    for (int k = 0; k < 2; ++k) s += shared::word_bfloat16(w, k) * x[k];
  } else if constexpr (F == Format::I8) {
    for (int k = 0; k < 4; ++k) s += static_cast<float>(shared::word_i8(w, k)) * x[k];
  }
  return s;
}
template <Format F>
constexpr int kValuesPerWord = F == Format::F32 ? 1 : F == Format::I8 ? 4 : 2;

// Dense formats: the row's value bytes are contiguous. kWords words per load
// (4: one 16-byte load; the caller checked the alignment).
template <Format F, int kWords>
__global__ void matvec_dense(Matrix m, Geometry g, const float* __restrict__ x, float* __restrict__ y) {
  const uint64_t row = uint64_t{blockIdx.x} * kWarpsPerBlock + threadIdx.x / 32;
  const unsigned lane = threadIdx.x % 32;
  if (row >= m.rows) return;
  constexpr uint64_t kUnitValues = kWords * kValuesPerWord<F>;
  const uint64_t units = m.cols / kUnitValues;
  const uint8_t* q = m.data + row * g.row_bytes;
  float acc = 0.0f;
  for (uint64_t u = lane; u < units; u += 32) {
    uint32_t w[kWords];
    if constexpr (kWords == 4) {
      const uint4 v = reinterpret_cast<const uint4*>(q)[u];
      w[0] = v.x, w[1] = v.y, w[2] = v.z, w[3] = v.w;
    } else {
      w[0] = reinterpret_cast<const uint32_t*>(q)[u];
    }
    const float* xu = x + u * kUnitValues;
#pragma unroll
    for (int k = 0; k < kWords; ++k) acc += word_dot<F>(w[k], xu + k * kValuesPerWord<F>);
  }
  for (uint64_t c = units * kUnitValues + lane; c < m.cols; c += 32) {
    const float v = F == Format::I8 ? static_cast<float>(static_cast<int8_t>(q[c])) : dequant_value(m, g, row, c);
    acc += v * x[c];
  }
  acc = warp_sum(acc);
  if (lane == 0) y[row] = F == Format::I8 ? acc * load_bfloat16(m.data + g.params_offset + 2 * row) : acc;
}

// I4: a unit is kWords words (8 values each) of one group's nibbles; the
// group's scale and minimum are read per unit (they stay in L1 across the
// warp). The last, partial group goes value by value.
template <int kWords>
__global__ void matvec_i4(Matrix m, Geometry g, const float* __restrict__ x, float* __restrict__ y) {
  const uint64_t row = uint64_t{blockIdx.x} * kWarpsPerBlock + threadIdx.x / 32;
  const unsigned lane = threadIdx.x % 32;
  if (row >= m.rows) return;
  constexpr uint64_t kUnitValues = kWords * 8;
  const uint64_t units_per_group = m.group / kUnitValues, full_groups = m.cols / m.group;
  const uint64_t units = full_groups * units_per_group;
  const uint8_t* q = m.data + row * g.row_bytes;
  float acc = 0.0f;
  for (uint64_t u = lane; u < units; u += 32) {
    const uint64_t group = u / units_per_group, part = u - group * units_per_group;
    const quant::I4GroupOffsets o = quant::i4_group_offsets(group, g.groups, m.group);
    const uint8_t* nibbles = q + o.nibbles + part * kWords * 4;
    uint32_t w[kWords];
    if constexpr (kWords == 4) {
      const uint4 v = *reinterpret_cast<const uint4*>(nibbles);
      w[0] = v.x, w[1] = v.y, w[2] = v.z, w[3] = v.w;
    } else {
      w[0] = *reinterpret_cast<const uint32_t*>(nibbles);
    }
    const float scale = load_half(q + o.scale), min = load_half(q + o.min);
    const float* xu = x + group * m.group + part * kUnitValues;
#pragma unroll
    for (int k = 0; k < kWords; ++k)
#pragma unroll
      for (int v = 0; v < 8; ++v) acc += shared::dequant_i4(shared::word_nibble(w[k], v), scale, min) * xu[8 * k + v];
  }
  for (uint64_t c = full_groups * m.group + lane; c < m.cols; c += 32) acc += dequant_value(m, g, row, c) * x[c];
  acc = warp_sum(acc);
  if (lane == 0) y[row] = acc;
}

// U8MinMax (the official int8, kept for compatibility): value by value.
__global__ void matvec_values(Matrix m, Geometry g, const float* __restrict__ x, float* __restrict__ y) {
  const uint64_t row = uint64_t{blockIdx.x} * kWarpsPerBlock + threadIdx.x / 32;
  const unsigned lane = threadIdx.x % 32;
  if (row >= m.rows) return;
  float acc = 0.0f;
  for (uint64_t c = lane; c < m.cols; c += 32) acc += dequant_value(m, g, row, c) * x[c];
  acc = warp_sum(acc);
  if (lane == 0) y[row] = acc;
}

__global__ void embed_row(Matrix m, Geometry g, const uint32_t* token, float* out) {
  const uint64_t c = uint64_t{blockIdx.x} * blockDim.x + threadIdx.x;
  if (c < m.cols) out[c] = dequant_value(m, g, *token, c);
}

Geometry geometry(const Matrix& m) {
  const quant::MatrixLayout l = quant::matrix_layout(m.format, m.rows, m.cols, m.group);
  return {l.row_bytes, l.params_offset, m.format == Format::I4 ? (m.cols + m.group - 1) / m.group : 0};
}

template <Format F>
void launch_dense(const Matrix& m, const Geometry& g, const float* x, float* y, dim3 grid, cudaStream_t stream) {
  // 16-byte loads need every row to start on 16 bytes (the segment does).
  if (g.row_bytes % 16 == 0)
    matvec_dense<F, 4><<<grid, kWarpsPerBlock * 32, 0, stream>>>(m, g, x, y);
  else if (g.row_bytes % 4 == 0)
    matvec_dense<F, 1><<<grid, kWarpsPerBlock * 32, 0, stream>>>(m, g, x, y);
  else
    matvec_values<<<grid, kWarpsPerBlock * 32, 0, stream>>>(m, g, x, y);
}

}  // namespace

cudaError_t matvec(const Matrix& m, const float* x, float* y, cudaStream_t stream) {
  if (m.rows == 0) return cudaSuccess;
  const Geometry g = geometry(m);
  const dim3 grid(static_cast<unsigned>((m.rows + kWarpsPerBlock - 1) / kWarpsPerBlock));
  switch (m.format) {
    case Format::F32: launch_dense<Format::F32>(m, g, x, y, grid, stream); break;
    case Format::F16: launch_dense<Format::F16>(m, g, x, y, grid, stream); break;
    case Format::BF16: launch_dense<Format::BF16>(m, g, x, y, grid, stream); break;
    case Format::I8: launch_dense<Format::I8>(m, g, x, y, grid, stream); break;
    case Format::I4:
      // Group nibbles start on 16 bytes when the row has a multiple of 4
      // groups (i4_group_offsets: superblocks of 8, headers of 4 bytes a group).
      if (g.groups % 4 == 0 && m.group % 32 == 0)
        matvec_i4<4><<<grid, kWarpsPerBlock * 32, 0, stream>>>(m, g, x, y);
      else
        matvec_i4<1><<<grid, kWarpsPerBlock * 32, 0, stream>>>(m, g, x, y);
      break;
    case Format::U8MinMax: matvec_values<<<grid, kWarpsPerBlock * 32, 0, stream>>>(m, g, x, y); break;
  }
  return cudaGetLastError();
}

cudaError_t embed(const Matrix& m, const uint32_t* token, float* out, cudaStream_t stream) {
  if (m.cols == 0) return cudaSuccess;
  constexpr unsigned kThreads = 256;
  embed_row<<<static_cast<unsigned>((m.cols + kThreads - 1) / kThreads), kThreads, 0, stream>>>(m, geometry(m), token,
                                                                                               out);
  return cudaGetLastError();
}

}  // namespace rwkv_edge::cuda
