#include "reference_ops.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "aten_math.h"
#include "shared_math.h"
#include "torch_moments.h"

namespace rwkv_edge::ref {
namespace {

float identity(float v) { return v; }

// ATen's float32 vector width on AVX2 and in the portable build.
constexpr int kFloatLanes = 8;

}  // namespace

// torch 1.13's CPU LayerNorm: moments as ATen computes them, then
// (x * rstd + (-rstd * mean)) * w + b with both steps fused (ATen's AVX2 build
// contracts them into FMAs).
// std::fma is exact on every build; the FMA clone (x86 CPUs that have it)
// runs it as an instruction instead of a libm call per value.
#if defined(__x86_64__)
#define RWKV_EDGE_FMA_CLONES __attribute__((target_clones("fma", "default")))
#else
#define RWKV_EDGE_FMA_CLONES
#endif

RWKV_EDGE_FMA_CLONES void layer_norm(const float* x, const float* w, const float* b, float* out, size_t n, float eps) {
  const RowMoments m = torch_row_moments<kFloatLanes>(x, n, identity);
  const float rstd = 1.0f / std::sqrt(m.variance + eps);
  const float shift = -rstd * m.mean;
  for (size_t i = 0; i < n; ++i) out[i] = shared::layer_norm_value(x[i], rstd, shift, w[i], b[i]);
}

// torch 1.13's CPU GroupNorm: per channel scale = rstd * w and
// shift = -scale * mean + b (rounded separately), then one FMA.
RWKV_EDGE_FMA_CLONES void group_norm(const float* x, const float* w, const float* b, float* out, size_t n,
                                     size_t groups, float eps) {
  const size_t g = n / groups;
  for (size_t h = 0; h < groups; ++h) {
    const size_t o = h * g;
    const RowMoments m = torch_row_moments<kFloatLanes>(x + o, g, identity);
    const float rstd = 1.0f / std::sqrt(std::max(m.variance, 0.0f) + eps);
    for (size_t i = o; i < o + g; ++i) out[i] = shared::group_norm_value(x[i], m.mean, rstd, w[i], b[i]);
  }
}

// Float accumulation in column order: the order of the reference BLAS sgemm
// that torch's x @ W calls (see docs/numerics.md). Rows go in blocks of 8 so
// that eight independent sums hide the add latency; each row still sums in
// exactly that order.
void matvec(const float* W, const float* x, float* out, size_t rows, size_t cols) {
  constexpr size_t kRowBlock = 8;
  size_t r = 0;
  for (; r + kRowBlock <= rows; r += kRowBlock) {
    float acc[kRowBlock] = {};
    const float* block = W + r * cols;
    for (size_t c = 0; c < cols; ++c)
      for (size_t j = 0; j < kRowBlock; ++j) acc[j] += x[c] * block[j * cols + c];
    for (size_t j = 0; j < kRowBlock; ++j) out[r + j] = acc[j];
  }
  for (; r < rows; ++r) {
    const float* row = W + r * cols;
    float acc = 0.0f;
    for (size_t c = 0; c < cols; ++c) acc += x[c] * row[c];
    out[r] = acc;
  }
}

void add(const float* a, const float* b, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
}
void sub(const float* a, const float* b, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = a[i] - b[i];
}
void mul(const float* a, const float* b, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = a[i] * b[i];
}
void mul_add(const float* a, const float* b, const float* c, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = shared::mul_add(a[i], b[i], c[i]);
}
void lerp(const float* a, const float* b, const float* m, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = shared::lerp(a[i], b[i], m[i]);
}
void scale(const float* x, float s, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = x[i] * s;
}
void copy(const float* x, float* out, size_t n) {
  if (x != out) std::copy(x, x + n, out);
}

void sigmoid(const float* x, float* out, size_t n) { aten_sigmoid(x, out, n); }
void tanh(const float* x, float* out, size_t n) { aten_tanh(x, out, n); }
void silu(const float* x, float* out, size_t n) { aten_silu(x, out, n); }
void relu_square(const float* x, float* out, size_t n) {
  // The sign-bit form is integer work the compiler vectorizes (a float
  // compare may trap, so GCC keeps it a branch, which mispredicts on every
  // other value).
  for (size_t i = 0; i < n; ++i) out[i] = shared::relu_square(x[i]);
}
// torch.exp(-torch.exp(x)): two whole-tensor exps.
void exp_neg_exp(const float* x, float* out, size_t n) {
  aten_exp(x, out, n);
  for (size_t i = 0; i < n; ++i) out[i] = -out[i];
  aten_exp(out, out, n);
}
// torch.exp(-0.606531 * torch.sigmoid(x))
void v7_decay(const float* x, float* out, size_t n) {
  aten_sigmoid(x, out, n);
  for (size_t i = 0; i < n; ++i) out[i] = shared::kV7DecayScale * out[i];
  aten_exp(out, out, n);
}

void head_l2_norm(const float* x, float* out, size_t n, size_t heads) {
  const size_t hs = n / heads;
  for (size_t h = 0; h < heads; ++h) {
    double ss = 0.0;
    for (size_t i = h * hs; i < (h + 1) * hs; ++i) ss += static_cast<double>(x[i]) * x[i];
    const float norm = std::max(static_cast<float>(std::sqrt(ss)), 1e-12f);
    for (size_t i = h * hs; i < (h + 1) * hs; ++i) out[i] = x[i] / norm;
  }
}

void v7_key_mix(const float* k, const float* a, const float* k_a, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = shared::v7_key_mix(k[i], a[i], k_a[i]);
}

void v7_bonus(const float* y, const float* r, const float* k, const float* r_k, const float* v,
              float* out, size_t n, size_t heads) {
  const size_t hs = n / heads;
  for (size_t h = 0; h < heads; ++h) {
    double s = 0.0;
    for (size_t i = h * hs; i < (h + 1) * hs; ++i) s += static_cast<double>(r[i]) * k[i] * r_k[i];
    const float sf = static_cast<float>(s);
    for (size_t i = h * hs; i < (h + 1) * hs; ++i) out[i] = y[i] + sf * v[i];
  }
}

void wkv4(const float* k, const float* v, const float* decay, const float* first, float* aa,
          float* bb, float* pp, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i)
    out[i] = shared::wkv4_channel(k[i], v[i], decay[i], first[i], aa[i], bb[i], pp[i], aten_exp1);
}

void wkv5(const float* r, const float* k, const float* v, const float* w, const float* u,
          float* state, float* out, size_t n, size_t heads) {
  const size_t hs = n / heads;
  for (size_t h = 0; h < heads; ++h) {
    const size_t o = h * hs;
    float* S = state + h * hs * hs;
    for (size_t j = 0; j < hs; ++j) out[o + j] = 0.0f;
    for (size_t i = 0; i < hs; ++i) {
      const float ri = r[o + i], ki = k[o + i], ui = u[o + i], wi = w[o + i];
      float* Si = S + i * hs;
      for (size_t j = 0; j < hs; ++j) {
        const float a = ki * v[o + j];
        out[o + j] += ri * (ui * a + Si[j]);
        Si[j] = a + wi * Si[j];
      }
    }
  }
}

void wkv7(const float* r, const float* w, const float* k, const float* v, const float* kk,
          const float* a, float* state, float* out, size_t n, size_t heads) {
  const size_t hs = n / heads;
  for (size_t h = 0; h < heads; ++h) {
    const size_t o = h * hs;
    float* S = state + h * hs * hs;
    for (size_t i = 0; i < hs; ++i)
      out[o + i] = shared::wkv7_row(S + i * hs, r + o, w + o, k + o, kk + o, a + o, v[o + i], static_cast<uint32_t>(hs));
  }
}

}  // namespace rwkv_edge::ref
