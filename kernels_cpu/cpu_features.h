// Which SIMD kernels this CPU can run, asked once at init. One binary carries
// every path for its architecture; the session picks the best one the CPU
// has, or the one the caller forces (refused when the CPU lacks it, so a
// forced path can never end in an illegal instruction).
#pragma once

#include <cstdint>

namespace rwkv_edge::cpu {

// Values equal RWKV_EDGE_KERNELS_* in rwkv_edge.h.
enum class KernelPath : uint8_t {
  Auto = 0,    // the best path the CPU supports
  Scalar = 1,  // the reference kernels: portable, bit-exact with the official fp32 path
  Avx2 = 2,    // x86-64: AVX2 + FMA + F16C
  Neon = 3,    // aarch64: Advanced SIMD (every aarch64 CPU has it)
};

struct Features {
  bool avx2 = false, fma = false, f16c = false;      // x86-64
  bool neon = false, neon_dotprod = false;           // aarch64
};

// Detected once, then cached; with RWKV_EDGE_CPU=baseline in the environment,
// none (the scalar kernels only), as on a CPU without SIMD.
const Features& features();
bool supports(KernelPath path, const Features& f);
// Auto resolves to the best supported path; anything else is returned as is.
KernelPath resolve(KernelPath requested, const Features& f);
const char* name(KernelPath path);

}  // namespace rwkv_edge::cpu
