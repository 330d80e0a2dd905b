// Offline quantizers, one per weight format (kernels_cpu/weight_layout.h).
// Each returns the segment bytes the runtime reads; measure_error reads them
// back through the runtime's own dequantizer, so the error printed by `plan`
// is the error the device sees.
#pragma once

#include <cstdint>
#include <vector>

#include "weight_layout.h"

namespace rwkv_edge::planner {

struct QuantizedMatrix {
  quant::Format format = quant::Format::F32;
  uint32_t group = 0;
  uint64_t rows = 0, cols = 0;
  std::vector<uint8_t> bytes;
};

// w is [rows][cols] row-major. group: I4 only (32, 64 or 128).
QuantizedMatrix quantize_matrix(const float* w, uint64_t rows, uint64_t cols, quant::Format format,
                                uint32_t group = 0);

// int4 or int8 with GPTQ's error feedback (Frantar et al. 2022): columns are
// quantized in input order and each one's rounding error is pushed onto the
// columns not yet quantized, weighted by the inverse of H = E[x x^T] over
// calibration inputs, so the error that matters, in W x, shrinks. Same
// layout as quantize_matrix. damp: added to H's diagonal as a fraction of
// its mean. act_order: walk the inputs loudest first (E[x_c^2] descending),
// with int4 group grids fitted up front; on tiny-5v2 it took int4 from +0.87%
// to +0.07% bits/byte. Falls back to plain rounding if H is singular.
QuantizedMatrix quantize_gptq(const float* w, uint64_t rows, uint64_t cols, quant::Format format, uint32_t group,
                              const std::vector<double>& hessian, double damp = 0.01, bool act_order = true);

struct QuantError {
  double relative_rms = 0.0;     // ||W - W'|| / ||W|| (0 for an all-zero W stored exactly)
  // The same over the bulk of the weights, |w| <= 6 x median |w|: a few outliers
  // dominate ||W|| and would hide the precision they cost everything else.
  double relative_rms_bulk = 0.0;
  double relative_output = 0.0;  // sqrt(E|(W - W')x|^2 / E|Wx|^2) over calibration inputs
  bool has_output = false;       // relative_output was measured (a hessian was given)
  bool finite = true;            // false: some dequantized value is NaN or infinite
};

QuantError measure_error(const float* w, const QuantizedMatrix& q, const std::vector<double>* hessian = nullptr);

}  // namespace rwkv_edge::planner
