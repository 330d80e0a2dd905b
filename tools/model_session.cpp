#include "model_session.h"

#include <stdexcept>

#include "importers.h"
#include "model_file.h"

namespace rwkv_edge::cli {

std::string model_file_error(const std::string& path, const planner::MappedFile& file, const rwkv_edge_status& st) {
  const char* kind = nullptr;
  switch (planner::checkpoint_kind(file.data(), file.size())) {
    case planner::CheckpointKind::Pth: kind = ".pth"; break;
    case planner::CheckpointKind::RwkvCppBin: kind = "rwkv.cpp .bin"; break;
    case planner::CheckpointKind::Safetensors: kind = ".safetensors"; break;
    case planner::CheckpointKind::None: return path + ": " + st.message;
  }
  return path + " is a checkpoint (" + kind + "), not a model file: plan it first, e.g. rwkv-edge plan " + path +
         " -o model.rwkv";
}

ModelSession::ModelSession(const std::string& path, const RuntimeChoice& runtime, bool verify_weights) : file_(path) {
  size_t need = 0;
  rwkv_edge_status st = rwkv_edge_arena_size_required(file_.data(), file_.size(), &need);
  if (st.code != RWKV_EDGE_OK) throw std::runtime_error(model_file_error(path, file_, st));
  arena_ = std::aligned_alloc(RWKV_EDGE_ARENA_ALIGNMENT, align_up(need, RWKV_EDGE_ARENA_ALIGNMENT));
  if (arena_ == nullptr) throw std::runtime_error("cannot allocate a " + std::to_string(need) + "-byte arena");
  rwkv_edge_options opts;
  rwkv_edge_default_options(&opts);
  opts.n_threads = runtime.threads;
  opts.kernels = runtime.kernels;
  opts.use_onednn = runtime.use_onednn ? 1 : 0;
  opts.prefill_inputs = runtime.prefill_inputs;
  opts.backend = runtime.backend;
  opts.verify_weights = verify_weights ? 1 : 0;
  st = rwkv_edge_init(file_.data(), file_.size(), arena_, need, &opts, &session_);
  if (st.code != RWKV_EDGE_OK) {
    std::free(arena_);
    throw std::runtime_error(path + ": " + st.message);
  }
  rwkv_edge_get_info(session_, &info_);
}

ModelSession::~ModelSession() {
  rwkv_edge_release(session_);
  std::free(arena_);
}

const float* ModelSession::step(uint32_t token) {
  const float* logits = nullptr;
  const rwkv_edge_status st = rwkv_edge_step(session_, token, &logits);
  if (st.code != RWKV_EDGE_OK) throw std::runtime_error(st.message);
  return logits;
}

const float* ModelSession::prefill(const std::vector<uint32_t>& tokens) {
  const float* logits = nullptr;
  const rwkv_edge_status st = rwkv_edge_prefill(session_, tokens.data(), tokens.size(), &logits);
  if (st.code != RWKV_EDGE_OK) throw std::runtime_error(st.message);
  return logits;
}

}  // namespace rwkv_edge::cli
