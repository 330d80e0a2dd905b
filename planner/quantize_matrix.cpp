#include "quantize_matrix.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "float16.h"
#include "plan_error.h"
#include "quantized_ops.h"

namespace rwkv_edge::planner {
namespace {

using quant::Format;

void store_f32(uint8_t* p, float v) { std::memcpy(p, &v, 4); }
void store_u16(uint8_t* p, uint16_t v) { std::memcpy(p, &v, 2); }

void quantize_16bit(const float* w, uint64_t n, Format f, uint8_t* out) {
  for (uint64_t i = 0; i < n; ++i)
    store_u16(out + 2 * i, f == Format::F16 ? float_to_half_round(w[i]) : float_to_bfloat16_round(w[i]));
}

// Symmetric, one scale per row: q = round(w / s), s = max|w| / 127 rounded
// up to a bfloat16 (up, so the largest value still fits in +-127). The
// integer grid is what VNNI / NEON dot products multiply directly.
void quantize_i8(const float* w, uint64_t rows, uint64_t cols, uint8_t* params, uint8_t* q) {
  for (uint64_t r = 0; r < rows; ++r) {
    const float* row = w + r * cols;
    float amax = 0.0f;
    for (uint64_t c = 0; c < cols; ++c) amax = std::max(amax, std::fabs(row[c]));
    const float wanted = amax / 127.0f;
    uint16_t bits = float_to_bfloat16_round(wanted);
    if (bfloat16_to_float(bits) < wanted) ++bits;  // positive floats order like their bits
    store_u16(params + 2 * r, bits);
    const float s = ref::i8_row_scale(params, r);  // the scale the kernels will use
    for (uint64_t c = 0; c < cols; ++c) {
      const float v = s > 0.0f ? std::nearbyint(row[c] / s) : 0.0f;
      q[r * cols + c] = static_cast<uint8_t>(static_cast<int8_t>(std::clamp(v, -127.0f, 127.0f)));
    }
  }
}

// The official package's uint8 scheme (rwkv/model.py, WTYPE uint8), step by
// step in float32 so the stored bytes equal torch's. Official matrices are
// stored [in][out]; ours [out][in], so its dim=0 reductions are our rows.
void quantize_u8_minmax(const float* w, uint64_t rows, uint64_t cols, uint8_t* params, uint8_t* q) {
  std::vector<float> m(w, w + rows * cols), row_min(rows), row_max(rows), col_min(cols), col_max(cols);
  auto reduce_rows = [&](std::vector<float>& out, bool want_min) {
    for (uint64_t r = 0; r < rows; ++r) {
      float v = m[r * cols];
      for (uint64_t c = 1; c < cols; ++c) v = want_min ? std::min(v, m[r * cols + c]) : std::max(v, m[r * cols + c]);
      out[r] = v;
    }
  };
  auto reduce_cols = [&](std::vector<float>& out, bool want_min) {
    for (uint64_t c = 0; c < cols; ++c) {
      float v = m[c];
      for (uint64_t r = 1; r < rows; ++r) v = want_min ? std::min(v, m[r * cols + c]) : std::max(v, m[r * cols + c]);
      out[c] = v;
    }
  };
  auto subtract = [&](const std::vector<float>& v, bool per_row) {
    for (uint64_t r = 0; r < rows; ++r)
      for (uint64_t c = 0; c < cols; ++c) m[r * cols + c] -= per_row ? v[r] : v[c];
  };
  // A constant row or column has range 0: torch would divide 0 by 0 and store
  // NaN; here its values stay 0, so it dequantizes to its minimum exactly.
  auto divide = [&](const std::vector<float>& v, bool per_row) {
    for (uint64_t r = 0; r < rows; ++r)
      for (uint64_t c = 0; c < cols; ++c) {
        const float d = per_row ? v[r] : v[c];
        m[r * cols + c] = d != 0.0f ? m[r * cols + c] / d : 0.0f;
      }
  };
  if (cols > rows) {  // official: w.shape[0] > w.shape[1], per-input minimum first
    reduce_cols(col_min, true);
    subtract(col_min, false);
    reduce_rows(row_min, true);
    subtract(row_min, true);
  } else {
    reduce_rows(row_min, true);
    subtract(row_min, true);
    reduce_cols(col_min, true);
    subtract(col_min, false);
  }
  reduce_rows(row_max, false);
  divide(row_max, true);
  reduce_cols(col_max, false);
  divide(col_max, false);
  for (uint64_t i = 0; i < rows * cols; ++i) {
    const float v = std::floor(m[i] * 256.0f);
    q[i] = std::isnan(v) ? 0 : static_cast<uint8_t>(std::clamp(v, 0.0f, 255.0f));
  }
  const quant::U8MinMaxParams u = quant::u8_minmax_params(rows, cols);
  for (uint64_t r = 0; r < rows; ++r) {
    store_f32(params + u.row_min + 4 * r, row_min[r]);
    store_f32(params + u.row_scale + 4 * r, row_max[r] / 16.0f);
  }
  for (uint64_t c = 0; c < cols; ++c) {
    store_f32(params + u.col_min + 4 * c, col_min[c]);
    store_f32(params + u.col_scale + 4 * c, col_max[c] / 16.0f);
  }
}

struct I4Params {
  uint16_t scale = 0, min = 0;  // fp16
};

uint8_t i4_level(float w, float s, float m) {
  const float v = s > 0.0f ? std::nearbyint((w - m) / s) : 0.0f;
  return static_cast<uint8_t>(std::clamp(v, 0.0f, 15.0f));
}

// One int4 group's fp16 scale and minimum. Starts from the group's range,
// then refits scale and minimum by least squares on the chosen levels a few
// times and keeps the best, which pulls the grid toward the bulk of the
// values instead of spending levels on a single outlier.
I4Params fit_i4_group(const float* w, uint64_t n) {
  float lo = w[0], hi = w[0];
  for (uint64_t i = 1; i < n; ++i) {
    lo = std::min(lo, w[i]);
    hi = std::max(hi, w[i]);
  }
  I4Params best{0, float_to_half_round(lo)};
  double best_err = INFINITY;
  float scale = (hi - lo) / 15.0f, min = lo;
  for (int iter = 0; iter < 6; ++iter) {
    const I4Params p{float_to_half_round(scale), float_to_half_round(min)};
    const float s = half_to_float(p.scale), m = half_to_float(p.min);
    if (!std::isfinite(s) || !std::isfinite(m)) break;
    double err = 0.0, sq = 0.0, sq2 = 0.0, sw = 0.0, sqw = 0.0;
    for (uint64_t i = 0; i < n; ++i) {
      const uint8_t level = i4_level(w[i], s, m);
      const double d = static_cast<double>(ref::dequant_i4(level, s, m)) - w[i];
      err += d * d;
      sq += level;
      sq2 += static_cast<double>(level) * level;
      sw += w[i];
      sqw += static_cast<double>(level) * w[i];
    }
    if (err < best_err) {
      best_err = err;
      best = p;
    }
    const double det = static_cast<double>(n) * sq2 - sq * sq;
    if (det <= 0.0) break;
    scale = static_cast<float>((static_cast<double>(n) * sqw - sq * sw) / det);
    min = static_cast<float>((sw - scale * sq) / static_cast<double>(n));
    if (!(scale > 0.0f)) break;
  }
  return best;
}

// The group holding column `col` of `row`.
struct I4Group {
  uint8_t* scale;
  uint8_t* min;
  uint8_t* nibbles;
};
I4Group i4_group(uint8_t* q, const quant::MatrixLayout& l, uint64_t row, uint64_t col, uint32_t group,
                 uint64_t cols) {
  uint8_t* r = q + row * l.row_bytes;
  const quant::I4GroupOffsets o = quant::i4_group_offsets(col / group, (cols + group - 1) / group, group);
  return {r + o.scale, r + o.min, r + o.nibbles};
}

void put_i4_params(const I4Group& g, I4Params p) {
  store_u16(g.scale, p.scale);
  store_u16(g.min, p.min);
}

void put_i4_level(const I4Group& g, uint64_t j, uint8_t level) {
  g.nibbles[j / 2] |= static_cast<uint8_t>(level << ((j & 1) * 4));
}

void quantize_i4_rtn(const float* w, uint64_t rows, uint64_t cols, uint32_t group, const quant::MatrixLayout& l,
                     uint8_t* q) {
  for (uint64_t r = 0; r < rows; ++r)
    for (uint64_t c = 0; c < cols; c += group) {
      const uint64_t n = std::min<uint64_t>(group, cols - c);
      const I4Params p = fit_i4_group(w + r * cols + c, n);
      const I4Group g = i4_group(q, l, r, c, group, cols);
      put_i4_params(g, p);
      const float s = half_to_float(p.scale), m = half_to_float(p.min);
      for (uint64_t j = 0; j < n; ++j) put_i4_level(g, j, i4_level(w[r * cols + c + j], s, m));
    }
}

// Cholesky factor L (lower, L L^T = a) in place; false if a is not positive definite.
bool cholesky(std::vector<double>& a, uint64_t n) {
  for (uint64_t j = 0; j < n; ++j) {
    double d = a[j * n + j];
    for (uint64_t k = 0; k < j; ++k) d -= a[j * n + k] * a[j * n + k];
    if (!(d > 0.0)) return false;
    d = std::sqrt(d);
    a[j * n + j] = d;
    for (uint64_t i = j + 1; i < n; ++i) {
      double v = a[i * n + j];
      for (uint64_t k = 0; k < j; ++k) v -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = v / d;
    }
    for (uint64_t k = j + 1; k < n; ++k) a[j * n + k] = 0.0;
  }
  return true;
}

// The upper factor U of H^-1 = U^T U that GPTQ walks column by column.
bool inverse_hessian_factor(std::vector<double> h, uint64_t n, std::vector<double>& u) {
  if (!cholesky(h, n)) return false;
  // H^-1 = L^-T L^-1: invert L (lower triangular), then form the product.
  std::vector<double> li(n * n, 0.0);
  for (uint64_t j = 0; j < n; ++j) {
    li[j * n + j] = 1.0 / h[j * n + j];
    for (uint64_t i = j + 1; i < n; ++i) {
      double v = 0.0;
      for (uint64_t k = j; k < i; ++k) v -= h[i * n + k] * li[k * n + j];
      li[i * n + j] = v / h[i * n + i];
    }
  }
  std::vector<double> hinv(n * n, 0.0);
  for (uint64_t i = 0; i < n; ++i)
    for (uint64_t j = 0; j <= i; ++j) {
      double v = 0.0;
      for (uint64_t k = i; k < n; ++k) v += li[k * n + i] * li[k * n + j];
      hinv[i * n + j] = hinv[j * n + i] = v;
    }
  if (!cholesky(hinv, n)) return false;
  u.assign(n * n, 0.0);
  for (uint64_t i = 0; i < n; ++i)
    for (uint64_t j = i; j < n; ++j) u[i * n + j] = hinv[j * n + i];
  return true;
}

}  // namespace

QuantizedMatrix quantize_gptq(const float* w, uint64_t rows, uint64_t cols, Format format, uint32_t group,
                              const std::vector<double>& hessian, double damp, bool act_order) {
  if (format != Format::I4 && format != Format::I8) throw PlanError("internal: GPTQ is for int4 and int8");
  if (hessian.size() != cols * cols) throw PlanError("internal: hessian size differs from the matrix");
  std::vector<double> h = hessian;
  double mean_diag = 0.0;
  for (uint64_t c = 0; c < cols; ++c) mean_diag += h[c * cols + c];
  mean_diag /= static_cast<double>(cols);
  std::vector<double> work(w, w + rows * cols);
  for (uint64_t c = 0; c < cols; ++c) {
    if (h[c * cols + c] == 0.0) {  // an input that never fires: its weights do not matter
      h[c * cols + c] = 1.0;
      for (uint64_t r = 0; r < rows; ++r) work[r * cols + c] = 0.0;
    }
    h[c * cols + c] += damp * (mean_diag > 0.0 ? mean_diag : 1.0);
  }
  // Act order: the loudest inputs first, while the most columns remain to
  // absorb their error. Group grids are then fitted up front (static groups).
  std::vector<uint64_t> order(cols);
  for (uint64_t c = 0; c < cols; ++c) order[c] = c;
  if (act_order)
    std::stable_sort(order.begin(), order.end(),
                     [&](uint64_t a, uint64_t b) { return h[a * cols + a] > h[b * cols + b]; });
  std::vector<double> hp(cols * cols);
  for (uint64_t i = 0; i < cols; ++i)
    for (uint64_t k = 0; k < cols; ++k) hp[i * cols + k] = h[order[i] * cols + order[k]];
  std::vector<double> u;
  if (!inverse_hessian_factor(std::move(hp), cols, u)) return quantize_matrix(w, rows, cols, format, group);

  // int8 keeps the plain per-row scales (computed from the original rows);
  // int4 fits each group's grid when the walk reaches it, into zeroed blocks.
  QuantizedMatrix out;
  if (format == Format::I8) {
    out = quantize_matrix(w, rows, cols, format, group);
  } else {
    out = {format, group, rows, cols, std::vector<uint8_t>(quant::matrix_layout(format, rows, cols, group).bytes)};
  }
  const quant::MatrixLayout l = quant::matrix_layout(format, rows, cols, out.group);
  std::vector<float> span(group), s(rows), m(rows, 0.0f);
  if (format == Format::I8)
    for (uint64_t r = 0; r < rows; ++r) s[r] = ref::i8_row_scale(out.bytes.data() + l.params_offset, r);
  auto fit_group = [&](uint64_t r, uint64_t c0) {  // c0: the group's first column
    const uint64_t n = std::min<uint64_t>(group, cols - c0);
    for (uint64_t k = 0; k < n; ++k) span[k] = static_cast<float>(work[r * cols + c0 + k]);
    put_i4_params(i4_group(out.bytes.data(), l, r, c0, group, cols), fit_i4_group(span.data(), n));
  };
  auto group_params = [&](uint64_t r, uint64_t c, float* scale, float* min) {
    const I4Group g = i4_group(out.bytes.data(), l, r, c, group, cols);
    uint16_t v;
    std::memcpy(&v, g.scale, 2);
    *scale = half_to_float(v);
    std::memcpy(&v, g.min, 2);
    *min = half_to_float(v);
  };
  if (format == Format::I4 && act_order)
    for (uint64_t r = 0; r < rows; ++r)
      for (uint64_t c0 = 0; c0 < cols; c0 += group) fit_group(r, c0);
  for (uint64_t i = 0; i < cols; ++i) {
    const uint64_t c = order[i];
    if (format == Format::I4 && !act_order && c % group == 0)
      for (uint64_t r = 0; r < rows; ++r) fit_group(r, c);
    const double d = u[i * cols + i];
    for (uint64_t r = 0; r < rows; ++r) {
      double* row = work.data() + r * cols;
      float value;
      if (format == Format::I4) {
        group_params(r, c, &s[r], &m[r]);
        const uint8_t level = i4_level(static_cast<float>(row[c]), s[r], m[r]);
        put_i4_level(i4_group(out.bytes.data(), l, r, c, group, cols), c % group, level);
        value = ref::dequant_i4(level, s[r], m[r]);
      } else {
        const float v = s[r] > 0.0f ? std::nearbyint(static_cast<float>(row[c]) / s[r]) : 0.0f;
        const auto level = static_cast<int8_t>(std::clamp(v, -127.0f, 127.0f));
        out.bytes[r * l.row_bytes + c] = static_cast<uint8_t>(level);
        value = ref::dequant_i8(level, s[r]);
      }
      const double err = (row[c] - static_cast<double>(value)) / d;
      for (uint64_t k = i + 1; k < cols; ++k) row[order[k]] -= err * u[i * cols + k];
    }
  }
  return out;
}

QuantizedMatrix quantize_matrix(const float* w, uint64_t rows, uint64_t cols, Format format, uint32_t group) {
  QuantizedMatrix out;
  out.format = format;
  out.group = format == Format::I4 ? group : 0;
  out.rows = rows;
  out.cols = cols;
  const quant::MatrixLayout l = quant::matrix_layout(format, rows, cols, out.group);
  if (!l.ok || rows == 0 || cols == 0) throw PlanError("internal: cannot lay out a quantized matrix");
  out.bytes.assign(l.bytes, 0);
  uint8_t* q = out.bytes.data();
  uint8_t* params = out.bytes.data() + l.params_offset;
  switch (format) {
    case Format::F32: std::memcpy(q, w, rows * cols * 4); break;
    case Format::F16:
    case Format::BF16: quantize_16bit(w, rows * cols, format, q); break;
    case Format::I8: quantize_i8(w, rows, cols, params, q); break;
    case Format::U8MinMax: quantize_u8_minmax(w, rows, cols, params, q); break;
    case Format::I4: quantize_i4_rtn(w, rows, cols, group, l, q); break;
  }
  return out;
}

QuantError measure_error(const float* w, const QuantizedMatrix& q, const std::vector<double>* hessian) {
  // Every error below is a sum over the same differences: dequantize once.
  const ref::WeightMatrix m{q.format, q.bytes.data(), q.rows, q.cols, q.group};
  const uint64_t n = q.cols, count = q.rows * q.cols;
  std::vector<float> dequantized(count);
  for (uint64_t r = 0; r < q.rows; ++r) ref::dequantize_row(m, r, dequantized.data() + r * n);
  std::vector<double> diff(count);
  QuantError e;
  double diff2 = 0.0, norm2 = 0.0;
  for (uint64_t i = 0; i < count; ++i) {
    if (!std::isfinite(dequantized[i])) e.finite = false;
    diff[i] = static_cast<double>(dequantized[i]) - w[i];
    diff2 += diff[i] * diff[i];
    norm2 += static_cast<double>(w[i]) * w[i];
  }
  e.relative_rms = norm2 > 0.0 ? std::sqrt(diff2 / norm2) : std::sqrt(diff2);

  std::vector<float> magnitudes(w, w + count);
  for (float& v : magnitudes) v = std::fabs(v);
  std::nth_element(magnitudes.begin(), magnitudes.begin() + static_cast<long>(count / 2), magnitudes.end());
  const double bulk_limit = 6.0 * magnitudes[count / 2];
  double bulk_diff2 = 0.0, bulk_norm2 = 0.0;
  for (uint64_t i = 0; i < count; ++i) {
    if (std::fabs(w[i]) > bulk_limit) continue;
    bulk_diff2 += diff[i] * diff[i];
    bulk_norm2 += static_cast<double>(w[i]) * w[i];
  }
  e.relative_rms_bulk = bulk_norm2 > 0.0 ? std::sqrt(bulk_diff2 / bulk_norm2) : std::sqrt(bulk_diff2);

  if (hessian != nullptr) {  // E[|dW x|^2] / E[|W x|^2] = tr(dW H dW^T) / tr(W H W^T)
    double num = 0.0, den = 0.0;
    for (uint64_t r = 0; r < q.rows; ++r) {
      const double* d = diff.data() + r * n;
      const float* row = w + r * n;
      for (uint64_t i = 0; i < n; ++i)
        for (uint64_t k = 0; k < n; ++k) {
          const double h = (*hessian)[i * n + k];
          num += d[i] * h * d[k];
          den += row[i] * h * row[k];
        }
    }
    e.relative_output = den > 0.0 ? std::sqrt(num / den) : 0.0;
    e.has_output = true;
  }
  return e;
}

}  // namespace rwkv_edge::planner
