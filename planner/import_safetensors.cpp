#include <nlohmann/json.hpp>

#include "byte_reader.h"
#include "importers.h"

namespace rwkv_edge::planner {

Checkpoint import_safetensors(const uint8_t* data, size_t size, const std::string& what) {
  ByteReader r(data, size, what + " (safetensors)");
  const uint64_t header_len = r.read<uint64_t>();
  if (header_len > r.remaining() || header_len > (uint64_t{100} << 20))
    r.fail("header length " + std::to_string(header_len) + " does not fit the file");
  const std::string_view header = r.read_string(header_len);
  const uint8_t* body = data + r.pos();
  const uint64_t body_size = r.remaining();
  nlohmann::json j = nlohmann::json::parse(header, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) r.fail("header is not a JSON object");
  Checkpoint ck;
  ck.format = "safetensors";
  for (auto& [name, info] : j.items()) {
    if (name == "__metadata__") continue;
    if (!info.is_object() || !info["dtype"].is_string() || !info["shape"].is_array() ||
        !info["data_offsets"].is_array() || info["data_offsets"].size() != 2)
      r.fail("tensor '" + name + "' has a malformed entry");
    const std::string dtype = info["dtype"];
    SourceDType type;
    uint64_t esize = 2;
    if (dtype == "F32") { type = SourceDType::F32; esize = 4; }
    else if (dtype == "F16") type = SourceDType::F16;
    else if (dtype == "BF16") type = SourceDType::BF16;
    else r.fail("tensor '" + name + "' has dtype " + dtype + " (F32, F16 and BF16 are supported)");
    Tensor t;
    t.source_dtype = type;
    uint64_t numel = 1;
    for (auto& d : info["shape"]) {
      if (!d.is_number_unsigned()) r.fail("tensor '" + name + "' has a bad shape");
      const uint64_t v = d.get<uint64_t>();
      if (__builtin_mul_overflow(numel, v, &numel)) r.fail("tensor '" + name + "' is too large");
      t.shape.push_back(v);
    }
    auto& offs = info["data_offsets"];
    if (!offs[0].is_number_unsigned() || !offs[1].is_number_unsigned()) r.fail("bad data_offsets");
    const uint64_t begin = offs[0].get<uint64_t>(), end = offs[1].get<uint64_t>();
    uint64_t bytes;
    if (begin > end || end > body_size || __builtin_mul_overflow(numel, esize, &bytes) ||
        end - begin != bytes)
      r.fail("tensor '" + name + "' data range does not match its shape or the file");
    t.data.resize(numel);
    convert_to_f32(body + begin, type, numel, t.data.data());
    ck.tensors[name] = std::move(t);
  }
  return ck;
}

}  // namespace rwkv_edge::planner
