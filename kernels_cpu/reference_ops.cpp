#include "reference_ops.h"

#include <algorithm>
#include <cmath>

namespace rwkv_edge::ref {
namespace {

inline float sigmoid1(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// Mean and biased variance, accumulated in double so the reference is the
// most accurate path rather than one more rounding order.
void moments(const float* x, size_t n, float* mean, float* var) {
  double s = 0.0;
  for (size_t i = 0; i < n; ++i) s += x[i];
  const double m = s / static_cast<double>(n);
  double ss = 0.0;
  for (size_t i = 0; i < n; ++i) {
    const double d = x[i] - m;
    ss += d * d;
  }
  *mean = static_cast<float>(m);
  *var = static_cast<float>(ss / static_cast<double>(n));
}

}  // namespace

void layer_norm(const float* x, const float* w, const float* b, float* out, size_t n, float eps) {
  float mean, var;
  moments(x, n, &mean, &var);
  const float inv = 1.0f / std::sqrt(var + eps);
  for (size_t i = 0; i < n; ++i) out[i] = (x[i] - mean) * inv * w[i] + b[i];
}

void group_norm(const float* x, const float* w, const float* b, float* out, size_t n,
                size_t groups, float eps) {
  const size_t g = n / groups;
  for (size_t h = 0; h < groups; ++h) {
    const size_t o = h * g;
    float mean, var;
    moments(x + o, g, &mean, &var);
    const float inv = 1.0f / std::sqrt(var + eps);
    for (size_t i = o; i < o + g; ++i) out[i] = (x[i] - mean) * inv * w[i] + b[i];
  }
}

void matvec(const float* W, const float* x, float* out, size_t rows, size_t cols) {
  for (size_t r = 0; r < rows; ++r) {
    const float* row = W + r * cols;
    double acc = 0.0;
    for (size_t c = 0; c < cols; ++c) acc += static_cast<double>(row[c]) * x[c];
    out[r] = static_cast<float>(acc);
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
  for (size_t i = 0; i < n; ++i) out[i] = a[i] + b[i] * c[i];
}
void lerp(const float* a, const float* b, const float* m, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = a[i] * m[i] + b[i] * (1.0f - m[i]);
}
void scale(const float* x, float s, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = x[i] * s;
}
void copy(const float* x, float* out, size_t n) {
  if (x != out) std::copy(x, x + n, out);
}

void sigmoid(const float* x, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = sigmoid1(x[i]);
}
void tanh(const float* x, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = std::tanh(x[i]);
}
void silu(const float* x, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = x[i] * sigmoid1(x[i]);
}
void relu_square(const float* x, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const float r = x[i] > 0.0f ? x[i] : 0.0f;
    out[i] = r * r;
  }
}
void exp_neg_exp(const float* x, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = std::exp(-std::exp(x[i]));
}
void v7_decay(const float* x, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = std::exp(-0.606531f * sigmoid1(x[i]));
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
  for (size_t i = 0; i < n; ++i) out[i] = k[i] * (1.0f + (a[i] - 1.0f) * k_a[i]);
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
  for (size_t i = 0; i < n; ++i) {
    float ww = first[i] + k[i];
    float p = std::max(pp[i], ww);
    float e1 = std::exp(pp[i] - p);
    float e2 = std::exp(ww - p);
    out[i] = (e1 * aa[i] + e2 * v[i]) / (e1 * bb[i] + e2);
    ww = decay[i] + pp[i];
    p = std::max(ww, k[i]);
    e1 = std::exp(ww - p);
    e2 = std::exp(k[i] - p);
    aa[i] = e1 * aa[i] + e2 * v[i];
    bb[i] = e1 * bb[i] + e2;
    pp[i] = p;
  }
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
    for (size_t i = 0; i < hs; ++i) {
      float* Si = S + i * hs;
      float sa = 0.0f;
      for (size_t l = 0; l < hs; ++l) sa += Si[l] * -kk[o + l];
      const float vi = v[o + i];
      float y = 0.0f;
      for (size_t j = 0; j < hs; ++j) {
        Si[j] = Si[j] * w[o + j] + sa * (kk[o + j] * a[o + j]) + vi * k[o + j];
        y += Si[j] * r[o + j];
      }
      out[o + i] = y;
    }
  }
}

}  // namespace rwkv_edge::ref
