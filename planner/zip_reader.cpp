#include "zip_reader.h"

#include <algorithm>

#include "byte_reader.h"

namespace rwkv_edge::planner {
namespace {

constexpr uint32_t kEocdSig = 0x06054b50;
constexpr uint32_t kZip64LocatorSig = 0x07064b50;
constexpr uint32_t kZip64EocdSig = 0x06064b50;
constexpr uint32_t kCentralSig = 0x02014b50;
constexpr uint32_t kLocalSig = 0x04034b50;
constexpr uint64_t kMaxEntries = 10'000'000;

size_t find_eocd(const uint8_t* data, size_t size, ByteReader& r) {
  if (size < 22) r.fail("too small to be a zip archive");
  const size_t lowest = size > 22 + 65535 ? size - 22 - 65535 : 0;
  for (size_t pos = size - 22 + 1; pos-- > lowest;) {
    uint32_t sig;
    std::memcpy(&sig, data + pos, 4);
    if (sig == kEocdSig) return pos;
  }
  r.fail("no end-of-central-directory record (not a zip archive, or truncated)");
}

}  // namespace

std::vector<ZipEntry> read_zip_directory(const uint8_t* data, size_t size, const std::string& what) {
  ByteReader r(data, size, what + " (zip)");
  const size_t eocd = find_eocd(data, size, r);
  r.seek(eocd + 4);
  r.read<uint16_t>();  // this disk
  r.read<uint16_t>();  // disk with the directory
  r.read<uint16_t>();  // entries on this disk
  uint64_t entries = r.read<uint16_t>();
  uint64_t dir_size = r.read<uint32_t>();
  uint64_t dir_offset = r.read<uint32_t>();
  if (entries == 0xFFFF || dir_size == 0xFFFFFFFF || dir_offset == 0xFFFFFFFF) {
    if (eocd < 20) r.fail("zip64 locator missing");
    r.seek(eocd - 20);
    if (r.read<uint32_t>() != kZip64LocatorSig) r.fail("zip64 locator missing");
    r.read<uint32_t>();
    const uint64_t z64 = r.read<uint64_t>();
    r.seek(z64);
    if (r.read<uint32_t>() != kZip64EocdSig) r.fail("bad zip64 end record");
    r.read<uint64_t>();  // record size
    r.read<uint16_t>();
    r.read<uint16_t>();
    r.read<uint32_t>();
    r.read<uint32_t>();
    r.read<uint64_t>();  // entries on this disk
    entries = r.read<uint64_t>();
    dir_size = r.read<uint64_t>();
    dir_offset = r.read<uint64_t>();
  }
  if (entries > kMaxEntries) r.fail("implausible entry count");
  if (dir_offset > size || dir_size > size - dir_offset) r.fail("central directory outside the file");

  std::vector<ZipEntry> out;
  out.reserve(static_cast<size_t>(entries));
  r.seek(dir_offset);
  for (uint64_t i = 0; i < entries; ++i) {
    if (r.read<uint32_t>() != kCentralSig) r.fail("bad central directory entry");
    r.take(6);  // versions, flags
    const uint16_t method = r.read<uint16_t>();
    r.take(8);  // time, date, crc
    uint64_t comp = r.read<uint32_t>();
    uint64_t uncomp = r.read<uint32_t>();
    const uint16_t name_len = r.read<uint16_t>();
    const uint16_t extra_len = r.read<uint16_t>();
    const uint16_t comment_len = r.read<uint16_t>();
    r.take(8);  // disk, attributes
    uint64_t local = r.read<uint32_t>();
    ZipEntry e;
    e.name = std::string(r.read_string(name_len));
    ByteReader extra(r.take(extra_len), extra_len, what + " (zip extra field)");
    while (extra.remaining() >= 4) {
      const uint16_t id = extra.read<uint16_t>();
      const uint16_t len = extra.read<uint16_t>();
      ByteReader field(extra.take(len), len, what + " (zip64 field)");
      if (id != 0x0001) continue;
      if (uncomp == 0xFFFFFFFF) uncomp = field.read<uint64_t>();
      if (comp == 0xFFFFFFFF) comp = field.read<uint64_t>();
      if (local == 0xFFFFFFFF) local = field.read<uint64_t>();
    }
    r.take(comment_len);
    if (method != 0)
      r.fail("entry '" + e.name + "' is compressed (method " + std::to_string(method) +
             "); torch.save writes stored entries only");
    if (comp != uncomp) r.fail("entry '" + e.name + "' sizes disagree");
    // The local header repeats the name and may carry its own (alignment) extra field.
    ByteReader lr(data, size, what + " (zip local header)");
    lr.seek(local);
    if (lr.read<uint32_t>() != kLocalSig) lr.fail("bad local header for '" + e.name + "'");
    lr.take(22);
    const uint16_t lname = lr.read<uint16_t>();
    const uint16_t lextra = lr.read<uint16_t>();
    lr.take(uint64_t{lname} + lextra);
    e.data_offset = lr.pos();
    e.size = uncomp;
    if (e.size > size - e.data_offset) lr.fail("entry '" + e.name + "' runs past the end of the file");
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace rwkv_edge::planner
