#include "state_file_io.h"

#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "importers.h"
#include "mapped_file.h"
#include "output_file.h"
#include "model_file.h"
#include "rwkv_edge_generated.h"

namespace rwkv_edge::cli {
namespace {

const fb::Model& model_description(const ModelSession& model) {
  FilePrefix prefix;
  const Status st = decode_prefix(model.file().data(), model.file().size(), &prefix);
  if (st.code != RWKV_EDGE_OK) throw std::runtime_error(st.message);  // init verified it already
  return *fb::GetModel(model.file().data() + prefix.flatbuffer_offset);
}

// seed 004: state[i*3+1] = time_state.transpose(1, 2); shifts start at zero.
std::string load_time_state(ModelSession& model, const uint8_t* bytes, size_t size, const std::string& path) {
  const rwkv_edge_info& info = model.info();
  if (info.rwkv_version != rwkv_edge_version_5 && info.rwkv_version != rwkv_edge_version_5_1 &&
      info.rwkv_version != rwkv_edge_version_5_2 && info.rwkv_version != rwkv_edge_version_6)
    throw std::runtime_error("state-tuning checkpoints are read for RWKV-5 and RWKV-6 models; "
                             "this model is RWKV " + std::to_string(info.rwkv_version / 10) + "." +
                             std::to_string(info.rwkv_version % 10));
  const planner::Checkpoint ck = planner::import_pth(bytes, size, path);
  const fb::Model& m = model_description(model);
  const uint64_t H = info.n_head, N = info.head_size, state_offset = m.arena()->state_offset();
  std::vector<float> state(rwkv_edge_state_bytes(model.get()) / sizeof(float), 0.0f);
  uint32_t layers = 0;
  for (const fb::Buffer* b : *m.arena()->buffers()) {
    if (b->region() != fb::RegionKind::Persistent || b->name() == nullptr) continue;
    const std::string name = b->name()->str();
    const std::string suffix = ".att.wkv_state";
    if (name.size() < suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
    const std::string layer = name.substr(1, name.size() - suffix.size() - 1);  // "L12.att.wkv_state" -> "12"
    const std::string key = "blocks." + layer + ".att.time_state";
    if (!ck.has(key)) throw std::runtime_error(path + " has no '" + key + "' (not a state for this model?)");
    const planner::Tensor& t = ck.get(key);
    if (t.numel() != H * N * N || b->numel() != H * N * N)
      throw std::runtime_error("'" + key + "' in " + path + " has " + std::to_string(t.numel()) +
                               " values; this model's layer state has " + std::to_string(H * N * N));
    float* dst = state.data() + (b->offset() - state_offset) / sizeof(float);
    for (uint64_t h = 0; h < H; ++h)
      for (uint64_t i = 0; i < N; ++i)
        for (uint64_t j = 0; j < N; ++j) dst[(h * N + i) * N + j] = t.data[(h * N + j) * N + i];
    ++layers;
  }
  uint32_t in_file = 0;
  for (const auto& [name, t] : ck.tensors) in_file += name.find(".att.time_state") != std::string::npos;
  if (layers != info.n_layer || in_file != info.n_layer)
    throw std::runtime_error(path + " holds " + std::to_string(in_file) + " layer states; this model has " +
                             std::to_string(info.n_layer) + " layers");
  const rwkv_edge_status st = rwkv_edge_state_restore(model.get(), state.data(), state.size() * sizeof(float));
  if (st.code != RWKV_EDGE_OK) throw std::runtime_error(st.message);
  return "state-tuning checkpoint " + path + " (" + std::to_string(layers) + " layers)";
}

}  // namespace

std::string load_state_file(ModelSession& model, const std::string& path) {
  const planner::MappedFile file(path);  // throws with the reason when it cannot be read
  return load_state_bytes(model, file.data(), file.size(), path);
}

std::string load_state_bytes(ModelSession& model, const uint8_t* bytes, size_t size, const std::string& path) {
  if (size >= 8 && std::memcmp(bytes, RWKV_EDGE_STATE_MAGIC, 8) == 0) {
    const rwkv_edge_status st = rwkv_edge_state_import(model.get(), bytes, size);
    if (st.code != RWKV_EDGE_OK) throw std::runtime_error(path + ": " + st.message);
    return "state file " + path;
  }
  if (size >= 4 && std::memcmp(bytes, "PK\x03\x04", 4) == 0) return load_time_state(model, bytes, size, path);
  throw std::runtime_error(path + " is neither an rwkv-edge state file nor a state-tuning .pth");
}

void save_state_file(ModelSession& model, const std::string& path) {
  std::vector<uint8_t> bytes(rwkv_edge_state_file_bytes(model.get()));
  const rwkv_edge_status st = rwkv_edge_state_export(model.get(), bytes.data(), bytes.size());
  if (st.code != RWKV_EDGE_OK) throw std::runtime_error(st.message);
  planner::TemporaryFile file(path, "tmp");
  file.append(bytes.data(), bytes.size());
  file.commit();
}

void refuse_saving_over_input(const std::string& save_path, const std::string& model_path,
                              const std::string& state_path) {
  std::vector<std::string> inputs = {model_path};
  // Continuing a conversation in one state file is the point of --state F
  // --save-state F; a state-tuning checkpoint loaded as --state is not ours to replace.
  if (!state_path.empty()) {
    char magic[8] = {};
    FILE* f = std::fopen(state_path.c_str(), "rb");
    const bool state_file = f != nullptr && std::fread(magic, 1, 8, f) == 8 &&
                            std::memcmp(magic, RWKV_EDGE_STATE_MAGIC, 8) == 0;
    if (f != nullptr) std::fclose(f);
    if (!state_file) inputs.push_back(state_path);
  }
  planner::refuse_writing_over_input(save_path, inputs, "--save-state");
}

}  // namespace rwkv_edge::cli
