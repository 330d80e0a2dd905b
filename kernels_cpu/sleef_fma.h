// Sleef's scalar u10 functions in their FMA build, which give the same bits
// as the AVX2 vector functions ATen calls. Only call them when the CPU has
// FMA (sleef_fma_available()); sleef_fma.cpp is compiled with -mfma on x86.
#pragma once

namespace rwkv_edge::ref {

bool sleef_fma_available();
float sleef_fma_expf(float x);
float sleef_fma_tanhf(float x);

}  // namespace rwkv_edge::ref
