// Scalar reference kernels: one plain function per op of the step graph.
// They define the numerics every faster path (SIMD, oneDNN, CUDA) is tested
// against, and follow the official rwkv package's order of float operations.
// Elementwise kernels are safe in place (out may equal any input).
#pragma once

#include <cstddef>
#include <cstdint>

namespace rwkv_edge::ref {

inline constexpr float kLayerNormEps = 1e-5f;  // torch.nn.functional.layer_norm default

void layer_norm(const float* x, const float* w, const float* b, float* out, size_t n, float eps);
// Normalises each of `groups` contiguous groups of n / groups values.
void group_norm(const float* x, const float* w, const float* b, float* out, size_t n,
                size_t groups, float eps);
// out[r] = sum_c W[r][c] * x[c]; W is row-major [rows][cols]. out must not alias x.
void matvec(const float* W, const float* x, float* out, size_t rows, size_t cols);

void add(const float* a, const float* b, float* out, size_t n);
void sub(const float* a, const float* b, float* out, size_t n);
void mul(const float* a, const float* b, float* out, size_t n);
void mul_add(const float* a, const float* b, const float* c, float* out, size_t n);  // a + b*c
void lerp(const float* a, const float* b, const float* m, float* out, size_t n);  // a*m + b*(1-m)
void scale(const float* x, float s, float* out, size_t n);
void copy(const float* x, float* out, size_t n);

void sigmoid(const float* x, float* out, size_t n);
void tanh(const float* x, float* out, size_t n);
void silu(const float* x, float* out, size_t n);
void relu_square(const float* x, float* out, size_t n);
void exp_neg_exp(const float* x, float* out, size_t n);
void v7_decay(const float* x, float* out, size_t n);  // exp(-0.606531 * sigmoid(x))

// Per head: x / max(||x||_2, 1e-12) (torch.nn.functional.normalize).
void head_l2_norm(const float* x, float* out, size_t n, size_t heads);
void v7_key_mix(const float* k, const float* a, const float* k_a, float* out, size_t n);
// out = y + (sum over the head of r*k*r_k) * v
void v7_bonus(const float* y, const float* r, const float* k, const float* r_k, const float* v,
              float* out, size_t n, size_t heads);

// RWKV-4 recurrence with the (aa, bb, pp) state; decay is -exp(time_decay).
void wkv4(const float* k, const float* v, const float* decay, const float* first, float* aa,
          float* bb, float* pp, float* out, size_t n);
// RWKV-5/6: per head h, S[h][i][j] (i: key, j: value):
//   out_j = sum_i r_i (u_i k_i v_j + S_ij);  S_ij = k_i v_j + w_i S_ij
void wkv5(const float* r, const float* k, const float* v, const float* w, const float* u,
          float* state, float* out, size_t n, size_t heads);
// RWKV-7: per head, S[h][i][j] (i: value, j: key):
//   S_ij = S_ij w_j + (sum_l S_il (-kk_l)) kk_j a_j + v_i k_j;  out_i = sum_j S_ij r_j
void wkv7(const float* r, const float* w, const float* k, const float* v, const float* kk,
          const float* a, float* state, float* out, size_t n, size_t heads);

}  // namespace rwkv_edge::ref
