// Reads the directory of an uncompressed ("stored") zip archive, the
// container torch.save has written since torch 1.6. Zip64 is supported (large
// checkpoints need it); compressed entries are refused with a clear error.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace rwkv_edge::planner {

struct ZipEntry {
  std::string name;
  uint64_t data_offset = 0;  // into the archive bytes
  uint64_t size = 0;
};

// Throws PlanError on anything malformed. Every returned range lies inside the archive.
std::vector<ZipEntry> read_zip_directory(const uint8_t* data, size_t size, const std::string& what);

}  // namespace rwkv_edge::planner
