// IEEE half and bfloat16 conversions, exact and branch-light, shared by the
// planner (which writes these formats) and the kernels (which read them).
#pragma once

#include <bit>
#include <cstdint>

#include "shared_math.h"

namespace rwkv_edge {

inline float half_to_float(uint16_t h) { return shared::half_bits_to_float(h); }

// Round to nearest, ties to even; overflow goes to infinity, NaN stays NaN.
inline uint16_t float_to_half_round(float f) {
  const uint32_t bits = std::bit_cast<uint32_t>(f);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
  const uint32_t abs = bits & 0x7FFFFFFFu;
  if (abs >= 0x7F800000u) return static_cast<uint16_t>(sign | 0x7C00 | (abs > 0x7F800000u ? 0x200 : 0));
  if (abs >= 0x477FF000u) return static_cast<uint16_t>(sign | 0x7C00);  // rounds past 65504
  if (abs < 0x38800000u) {  // below the smallest normal half: a subnormal or zero
    if (abs < 0x33000000u) return sign;  // under half of the smallest subnormal
    const uint32_t exp = abs >> 23;
    const uint32_t mant = (abs & 0x7FFFFF) | 0x800000;
    const uint32_t shift = 126 - exp;  // 14..24 for these exponents
    uint32_t q = mant >> shift;
    const uint32_t rest = mant & ((1u << shift) - 1), halfway = 1u << (shift - 1);
    if (rest > halfway || (rest == halfway && (q & 1))) ++q;
    return static_cast<uint16_t>(sign | q);
  }
  uint32_t r = abs - 0x38000000u;  // rebias exponent 127 -> 15
  r += 0xFFF + ((r >> 13) & 1);
  return static_cast<uint16_t>(sign | (r >> 13));
}

inline float bfloat16_to_float(uint16_t b) { return shared::bfloat16_bits_to_float(b); }

// Round to nearest, ties to even, as torch does.
inline uint16_t float_to_bfloat16_round(float f) {
  uint32_t bits = std::bit_cast<uint32_t>(f);
  if ((bits & 0x7F800000u) == 0x7F800000u && (bits & 0x7FFFFF)) return 0x7FC0;  // NaN
  bits += 0x7FFF + ((bits >> 16) & 1);
  return static_cast<uint16_t>(bits >> 16);
}

// A stored value (possibly unaligned, little-endian) as float (shared_math.h).
using shared::load_bfloat16;
using shared::load_half;

inline float round_to_bfloat16(float f) { return bfloat16_to_float(float_to_bfloat16_round(f)); }
inline float round_to_half(float f) { return half_to_float(float_to_half_round(f)); }

}  // namespace rwkv_edge
