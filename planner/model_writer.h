// Serialises a planned graph: 64-byte prefix, flatbuffer, 64-byte-aligned weights.
#pragma once

#include <cstdint>
#include <string>

#include "arena_planner.h"
#include "graph.h"
#include "rwkv_model.h"
#include "vocabulary.h"

namespace rwkv_edge::planner {

struct WrittenModel {
  uint64_t file_bytes = 0, flatbuffer_bytes = 0, weight_bytes = 0;
};

WrittenModel write_model_file(const std::string& path, const Graph& g, const ModelDims& dims,
                              const ArenaPlanResult& arena, float ln_x_eps,
                              const std::string& source_name, const std::string& source_format,
                              const Vocabulary& vocabulary = Vocabulary{});

}  // namespace rwkv_edge::planner
