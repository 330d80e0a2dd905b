// Serialises a planned graph: 64-byte prefix, flatbuffer, 64-byte-aligned weights.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "arena_planner.h"
#include "graph.h"
#include "output_file.h"
#include "progress.h"
#include "rwkv_model.h"
#include "vocabulary.h"

namespace rwkv_edge::planner {

struct WrittenModel {
  uint64_t file_bytes = 0, flatbuffer_bytes = 0, weight_bytes = 0;
};

// Runs on the complete temporary file before it replaces `path`; throwing
// from it removes the temporary file and leaves `path` as it was.
using BeforeCommit = std::function<void(const std::string& temporary_path, const WrittenModel& written)>;

// Writes the model into `file` (not committed).
WrittenModel write_model(TemporaryFile& file, const Graph& g, const ModelDims& dims, const ArenaPlanResult& arena,
                         float ln_x_eps, const std::string& source_name, const std::string& source_format,
                         const Vocabulary& vocabulary = Vocabulary{}, const Progress& progress = {});

// The same through a temporary file beside `path` that replaces it when
// complete (and when `before_commit` does not throw).
WrittenModel write_model_file(const std::string& path, const Graph& g, const ModelDims& dims,
                              const ArenaPlanResult& arena, float ln_x_eps,
                              const std::string& source_name, const std::string& source_format,
                              const Vocabulary& vocabulary = Vocabulary{},
                              const BeforeCommit& before_commit = BeforeCommit{}, const Progress& progress = {});

}  // namespace rwkv_edge::planner
