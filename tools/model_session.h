// Loads a .rwkv file into a runtime session for the CLI: the file is mapped,
// the arena is sized by the runtime and allocated once, aligned.
#pragma once

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "cli_args.h"
#include "mapped_file.h"
#include "rwkv_edge.h"

namespace rwkv_edge::cli {

// Why `path` cannot be opened as a model file, for the user: the runtime's
// message, or how to plan it when it is a checkpoint.
std::string model_file_error(const std::string& path, const planner::MappedFile& file, const rwkv_edge_status& st);

class ModelSession {
 public:
  // Throws std::runtime_error with the runtime's message on failure.
  ModelSession(const std::string& path, const RuntimeChoice& runtime, bool verify_weights);
  ~ModelSession();
  ModelSession(const ModelSession&) = delete;
  ModelSession& operator=(const ModelSession&) = delete;

  rwkv_edge_session* get() { return session_; }
  const rwkv_edge_info& info() const { return info_; }
  const planner::MappedFile& file() const { return file_; }
  const float* step(uint32_t token);  // throws on a runtime error
  // Chunked prefill (rwkv_edge_prefill): the logits after the last token.
  const float* prefill(const std::vector<uint32_t>& tokens);

 private:
  planner::MappedFile file_;
  void* arena_ = nullptr;
  rwkv_edge_session* session_ = nullptr;
  rwkv_edge_info info_{};
};

}  // namespace rwkv_edge::cli
