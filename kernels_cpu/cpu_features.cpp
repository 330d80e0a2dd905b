#include "cpu_features.h"

#include <cstdlib>
#include <cstring>

#if defined(__aarch64__) && defined(__linux__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

namespace rwkv_edge::cpu {
namespace {

Features detect() {
  Features f;
#if defined(__x86_64__)
  __builtin_cpu_init();
  f.avx2 = __builtin_cpu_supports("avx2");
  f.fma = __builtin_cpu_supports("fma");
  // GCC 12's __builtin_cpu_supports has no "f16c"; CPUID leaf 1, ECX bit 29.
  unsigned eax = 1, ebx = 0, ecx = 0, edx = 0;
  __asm__("cpuid" : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx));
  f.f16c = (ecx >> 29) & 1u;
#elif defined(__aarch64__)
  f.neon = true;
#if defined(__linux__)
  f.neon_dotprod = (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
#endif
#endif
  return f;
}

}  // namespace

const Features& features() {
  // RWKV_EDGE_CPU=baseline: behave as a CPU without any of the features
  // (the scalar kernels everywhere), to check on a capable machine that
  // nothing depends on its ISA unless it asks features() first.
  static const Features detected = [] {
    const char* cap = std::getenv("RWKV_EDGE_CPU");
    return cap != nullptr && std::strcmp(cap, "baseline") == 0 ? Features{} : detect();
  }();
  return detected;
}

bool supports(KernelPath path, const Features& f) {
  switch (path) {
    case KernelPath::Auto:
    case KernelPath::Scalar: return true;
    case KernelPath::Avx2:
#if defined(__x86_64__)
      return f.avx2 && f.fma && f.f16c;
#else
      return false;
#endif
    case KernelPath::Neon:
#if defined(__aarch64__)
      return f.neon;
#else
      return false;
#endif
  }
  return false;
}

KernelPath resolve(KernelPath requested, const Features& f) {
  if (requested != KernelPath::Auto) return requested;
  if (supports(KernelPath::Avx2, f)) return KernelPath::Avx2;
  if (supports(KernelPath::Neon, f)) return KernelPath::Neon;
  return KernelPath::Scalar;
}

const char* name(KernelPath path) {
  switch (path) {
    case KernelPath::Auto: return "auto";
    case KernelPath::Scalar: return "scalar";
    case KernelPath::Avx2: return "avx2";
    case KernelPath::Neon: return "neon";
  }
  return "unknown";
}

}  // namespace rwkv_edge::cpu
