#include <unordered_map>

#include "importers.h"
#include "plan_error.h"
#include "torch_unpickler.h"
#include "zip_reader.h"

namespace rwkv_edge::planner {
namespace {

uint64_t element_bytes(SourceDType t) { return t == SourceDType::F32 ? 4 : 2; }

// Copies a (possibly strided) tensor view out of its storage, bounds-checked.
Tensor materialize(const PickledTensor& p, const uint8_t* storage, uint64_t storage_bytes,
                   const std::string& what) {
  const uint64_t esize = element_bytes(p.dtype);
  if (p.storage_numel > storage_bytes / esize)
    throw PlanError(what + ": storage of '" + p.name + "' is shorter than its declared size");
  Tensor t;
  t.shape = p.shape;
  t.source_dtype = p.dtype;
  uint64_t numel = 1, last = p.storage_offset;
  for (size_t d = 0; d < p.shape.size(); ++d) {
    if (__builtin_mul_overflow(numel, p.shape[d], &numel))
      throw PlanError(what + ": tensor '" + p.name + "' is too large");
    uint64_t span;
    if (p.shape[d] > 0 && (__builtin_mul_overflow(p.shape[d] - 1, p.stride[d], &span) ||
                           __builtin_add_overflow(last, span, &last)))
      throw PlanError(what + ": tensor '" + p.name + "' has overflowing strides");
  }
  if (numel > 0 && last >= p.storage_numel)
    throw PlanError(what + ": tensor '" + p.name + "' reaches past its storage");
  if (numel > (uint64_t{1} << 34)) throw PlanError(what + ": tensor '" + p.name + "' is too large");
  t.data.resize(numel);
  std::vector<uint64_t> index(p.shape.size(), 0);
  for (uint64_t i = 0; i < numel; ++i) {
    uint64_t off = p.storage_offset;
    for (size_t d = 0; d < index.size(); ++d) off += index[d] * p.stride[d];
    convert_to_f32(storage + off * esize, p.dtype, 1, &t.data[i]);
    for (size_t d = index.size(); d-- > 0;) {
      if (++index[d] < p.shape[d]) break;
      index[d] = 0;
    }
  }
  return t;
}

}  // namespace

Checkpoint import_pth(const uint8_t* data, size_t size, const std::string& what) {
  const std::vector<ZipEntry> entries = read_zip_directory(data, size, what);
  const ZipEntry* pickle = nullptr;
  std::unordered_map<std::string, const ZipEntry*> by_name;
  for (const ZipEntry& e : entries) {
    by_name[e.name] = &e;
    const std::string suffix = "data.pkl";
    if (e.name.size() >= suffix.size() &&
        e.name.compare(e.name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      if (pickle != nullptr) throw PlanError(what + ": archive holds more than one data.pkl");
      pickle = &e;
    }
  }
  if (pickle == nullptr) throw PlanError(what + ": zip archive without data.pkl (not a torch checkpoint)");
  const std::string prefix = pickle->name.substr(0, pickle->name.size() - 8);  // "<dir>/"
  Checkpoint ck;
  ck.format = "pth";
  std::vector<PickledTensor> pickled;
  try {
    pickled = unpickle_state_dict(data + pickle->data_offset, pickle->size, what);
  } catch (const PlanError& e) {
    throw PlanError(std::string(e.what()) + " (its data.pkl is not a model's state dict: is this an RWKV checkpoint?)");
  }
  for (const PickledTensor& p : pickled) {
    auto it = by_name.find(prefix + "data/" + p.storage_key);
    if (it == by_name.end())
      throw PlanError(what + ": tensor '" + p.name + "' refers to missing storage data/" + p.storage_key);
    if (ck.tensors.count(p.name)) throw PlanError(what + ": duplicate tensor '" + p.name + "'");
    ck.tensors[p.name] = materialize(p, data + it->second->data_offset, it->second->size, what);
  }
  return ck;
}

}  // namespace rwkv_edge::planner
