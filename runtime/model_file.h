// The fixed 64-byte prefix of a .rwkv file. It locates and bounds the
// flatbuffer and the weight area before anything else is read, so a
// truncated file is caught without touching the flatbuffer at all.
//
//   0  char[8] magic "RWKVEDGE"      32 u64 weights_offset (64-aligned)
//   8  u32 format_version            40 u64 weights_bytes
//  12  u32 prefix_bytes (64)         48 u32 flatbuffer_crc32
//  16  u64 flatbuffer_offset (64)    52 u32 weights_crc32
//  24  u64 flatbuffer_bytes          56 u64 file_bytes
#pragma once

#include <cstddef>
#include <cstdint>

#include "status.h"

namespace rwkv_edge {

inline constexpr char kFileMagic[8] = {'R', 'W', 'K', 'V', 'E', 'D', 'G', 'E'};
inline constexpr uint32_t kFormatVersion = 1;
inline constexpr uint32_t kSchemaVersion = 1;
inline constexpr uint64_t kPrefixBytes = 64;
inline constexpr uint64_t kWeightAlignment = 64;
// The most tokens a prefill chunk may hold (ArenaPlan.max_chunk): bounds the arena arithmetic.
inline constexpr uint32_t kMaxChunk = 4096;

struct FilePrefix {
  uint32_t format_version = kFormatVersion;
  uint64_t flatbuffer_offset = kPrefixBytes;
  uint64_t flatbuffer_bytes = 0;
  uint64_t weights_offset = 0;
  uint64_t weights_bytes = 0;
  uint32_t flatbuffer_crc32 = 0;
  uint32_t weights_crc32 = 0;
  uint64_t file_bytes = 0;
};

void encode_prefix(const FilePrefix& prefix, uint8_t out[kPrefixBytes]);

// Checks magic, version and that every range lies inside `file_bytes`
// (overflow-checked). Does not look at the flatbuffer.
Status decode_prefix(const uint8_t* file, size_t file_bytes, FilePrefix* prefix);

uint32_t crc32(const uint8_t* data, size_t n, uint32_t crc = 0);

// Little-endian fields of the file prefix and of state files, on any host.
inline void put_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline void put_u64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline uint32_t get_u32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(p[i]) << (8 * i);
  return v;
}
inline uint64_t get_u64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

inline constexpr uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

// Overflow-checked helpers for untrusted sizes.
inline bool checked_mul(uint64_t a, uint64_t b, uint64_t* out) {
  return !__builtin_mul_overflow(a, b, out);
}
inline bool checked_add(uint64_t a, uint64_t b, uint64_t* out) {
  return !__builtin_add_overflow(a, b, out);
}
// [offset, offset+size) lies inside [0, limit)?
inline bool range_inside(uint64_t offset, uint64_t size, uint64_t limit) {
  uint64_t end;
  return checked_add(offset, size, &end) && end <= limit;
}

}  // namespace rwkv_edge
