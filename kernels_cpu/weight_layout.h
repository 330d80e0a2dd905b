// Byte layouts of the weight formats a MatVec or Embed reads. One matrix is
// [rows][cols] (rows = outputs, cols = inputs) in one 64-byte-aligned
// segment; every format keeps rows independently addressable, so an Embed
// step dequantizes just the row it needs. docs/quantization.md has the
// schemes and their measured accuracy.
#pragma once

#include <cstdint>

namespace rwkv_edge::quant {

// Values equal fb::DType (schema/rwkv_edge.fbs); the kernels do not see the schema.
enum class Format : uint8_t {
  F32 = 0,
  F16 = 1,        // IEEE half [rows][cols]
  BF16 = 2,       // bfloat16 [rows][cols]
  I8 = 3,         // symmetric per row: int8 q[rows][cols], then bf16 scale[rows]
  I4 = 4,         // per row, ceil(cols/G) groups of G values, 8 groups to a superblock:
                  // {f16 scale[8], f16 min[8], 8 x G/2 bytes of nibbles} (see i4_group_offsets)
  U8MinMax = 5,   // official rwkv int8: uint8 q[rows][cols], then f32 row_min, row_scale[rows], col_min, col_scale[cols]
};
// Quantized values come first, so their rows start on the segment's 64-byte
// alignment; the small per-row/per-column parameters follow unaligned (the
// kernels load them with memcpy), which saves the padding a header would need.

inline constexpr uint32_t kI4BlockHeaderBytes = 4;  // a group's scale and minimum
inline constexpr uint64_t kI4SuperGroups = 8;

// Where group g (of `groups` in the row) keeps its parameters and nibbles,
// as byte offsets from the row's start. Groups are stored 8 to a superblock,
// parameters first, so a SIMD kernel loads 8 scales, 8 minimums and 4 x G
// contiguous nibble bytes at a time; the row's last superblock holds the
// groups left over. Nibbles: value 2i in the low half of byte i, 2i+1 in the high.
// Value i of a group whose nibbles start at `nibbles`.
constexpr uint8_t i4_nibble(const uint8_t* nibbles, uint64_t i) {
  return (i & 1) ? nibbles[i / 2] >> 4 : nibbles[i / 2] & 0x0F;
}

struct I4GroupOffsets {
  uint64_t scale, min, nibbles;
};
constexpr I4GroupOffsets i4_group_offsets(uint64_t g, uint64_t groups, uint32_t group_size) {
  const uint64_t first = g / kI4SuperGroups * kI4SuperGroups;
  const uint64_t n = groups - first < kI4SuperGroups ? groups - first : kI4SuperGroups;
  const uint64_t base = first * (kI4BlockHeaderBytes + group_size / 2), local = g - first;
  return {base + 2 * local, base + 2 * n + 2 * local, base + 4 * n + local * (group_size / 2)};
}

// U8MinMax's float32 parameters, as byte offsets from MatrixLayout::params_offset:
// row_min[rows], row_scale[rows], col_min[cols], col_scale[cols].
struct U8MinMaxParams {
  uint64_t row_min, row_scale, col_min, col_scale;
};
constexpr U8MinMaxParams u8_minmax_params(uint64_t rows, uint64_t cols) {
  return {0, 4 * rows, 8 * rows, 8 * rows + 4 * cols};
}

struct MatrixLayout {
  uint64_t row_bytes = 0;      // bytes of one row of stored values (rows start at 0)
  uint64_t params_offset = 0;  // I8, U8MinMax: where the scales and minimums start
  uint64_t bytes = 0;          // the whole segment
  bool ok = false;             // false: unknown format, bad group or overflow
};

// Group sizes an I4 matrix may use.
constexpr bool valid_i4_group(uint32_t g) { return g == 32 || g == 64 || g == 128; }

// Overflow-checked, since the verifier feeds it untrusted shapes.
inline MatrixLayout matrix_layout(Format f, uint64_t rows, uint64_t cols, uint32_t group) {
  MatrixLayout l;
  uint64_t cells = 0, head = 0;
  if (cols > (uint64_t{1} << 56) || __builtin_mul_overflow(rows, cols, &cells)) return l;
  auto finish = [&](uint64_t param_bytes, uint64_t row_bytes) {
    l.row_bytes = row_bytes;
    if (param_bytes > (uint64_t{1} << 62) || __builtin_mul_overflow(rows, row_bytes, &l.params_offset) ||
        __builtin_add_overflow(l.params_offset, param_bytes, &l.bytes))
      return l;
    l.ok = true;
    return l;
  };
  switch (f) {
    case Format::F32: return finish(0, cols * 4);
    case Format::F16:
    case Format::BF16: return finish(0, cols * 2);
    case Format::I8:
      if (__builtin_mul_overflow(rows, uint64_t{2}, &head)) return l;
      return finish(head, cols);
    case Format::U8MinMax: {
      uint64_t sum = 0;
      if (__builtin_add_overflow(rows, cols, &sum) || __builtin_mul_overflow(sum, uint64_t{8}, &head)) return l;
      return finish(head, cols);
    }
    case Format::I4: {
      if (!valid_i4_group(group)) return l;
      const uint64_t blocks = cols / group + (cols % group != 0);
      return finish(0, blocks * (kI4BlockHeaderBytes + group / 2));
    }
  }
  return l;
}

// Bytes read to dequantize one row (an Embed step): the row plus the
// parameters that row uses. `l` must be ok.
inline uint64_t row_read_bytes(Format f, const MatrixLayout& l, uint64_t cols) {
  switch (f) {
    case Format::I8: return l.row_bytes + 2;
    case Format::U8MinMax: return l.row_bytes + 8 + 8 * cols;
    default: return l.row_bytes;
  }
}

}  // namespace rwkv_edge::quant
