#include "model_file.h"

#include <cstring>

namespace rwkv_edge {
namespace {

struct Crc32Table {
  uint32_t entries[256];
  constexpr Crc32Table() : entries() {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      entries[i] = c;
    }
  }
};
constexpr Crc32Table kCrcTable;

}  // namespace

uint32_t crc32(const uint8_t* data, size_t n, uint32_t crc) {
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) crc = kCrcTable.entries[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

void encode_prefix(const FilePrefix& prefix, uint8_t out[kPrefixBytes]) {
  std::memset(out, 0, kPrefixBytes);
  std::memcpy(out, kFileMagic, sizeof kFileMagic);
  put_u32(out + 8, prefix.format_version);
  put_u32(out + 12, static_cast<uint32_t>(kPrefixBytes));
  put_u64(out + 16, prefix.flatbuffer_offset);
  put_u64(out + 24, prefix.flatbuffer_bytes);
  put_u64(out + 32, prefix.weights_offset);
  put_u64(out + 40, prefix.weights_bytes);
  put_u32(out + 48, prefix.flatbuffer_crc32);
  put_u32(out + 52, prefix.weights_crc32);
  put_u64(out + 56, prefix.file_bytes);
}

Status decode_prefix(const uint8_t* file, size_t file_bytes, FilePrefix* prefix) {
  if (file_bytes == 0) return make_status(RWKV_EDGE_BAD_MODEL, "the model is empty (0 bytes)");
  if (file == nullptr) return make_status(RWKV_EDGE_INVALID_ARGUMENT, "model pointer is null");
  if (file_bytes < kPrefixBytes)
    return make_status(RWKV_EDGE_BAD_MODEL, "not an rwkv-edge model file: %zu bytes, shorter than the %llu-byte header",
                       file_bytes, static_cast<unsigned long long>(kPrefixBytes));
  if (std::memcmp(file, kFileMagic, sizeof kFileMagic) != 0)
    return make_status(RWKV_EDGE_BAD_MODEL, "not an rwkv-edge model file (bad magic)");
  FilePrefix p;
  p.format_version = get_u32(file + 8);
  const uint32_t prefix_bytes = get_u32(file + 12);
  p.flatbuffer_offset = get_u64(file + 16);
  p.flatbuffer_bytes = get_u64(file + 24);
  p.weights_offset = get_u64(file + 32);
  p.weights_bytes = get_u64(file + 40);
  p.flatbuffer_crc32 = get_u32(file + 48);
  p.weights_crc32 = get_u32(file + 52);
  p.file_bytes = get_u64(file + 56);
  if (p.format_version != kFormatVersion)
    return make_status(RWKV_EDGE_BAD_MODEL, "model file format version %u, this runtime reads %u",
                       p.format_version, kFormatVersion);
  if (prefix_bytes != kPrefixBytes)
    return make_status(RWKV_EDGE_BAD_MODEL, "corrupt header (prefix size %u)", prefix_bytes);
  if (p.file_bytes != file_bytes)
    return make_status(RWKV_EDGE_BAD_MODEL,
                       "model is %zu bytes but its header says %llu (truncated or padded file)",
                       file_bytes, static_cast<unsigned long long>(p.file_bytes));
  if (p.flatbuffer_offset < kPrefixBytes || p.flatbuffer_offset % 8 != 0 ||
      !range_inside(p.flatbuffer_offset, p.flatbuffer_bytes, file_bytes) ||
      p.flatbuffer_bytes < 16)
    return make_status(RWKV_EDGE_BAD_MODEL, "corrupt header: flatbuffer range out of the file");
  if (p.weights_offset % kWeightAlignment != 0 ||
      p.weights_offset < p.flatbuffer_offset + p.flatbuffer_bytes ||
      !range_inside(p.weights_offset, p.weights_bytes, file_bytes))
    return make_status(RWKV_EDGE_BAD_MODEL, "corrupt header: weight area out of the file");
  *prefix = p;
  return ok_status();
}

}  // namespace rwkv_edge
