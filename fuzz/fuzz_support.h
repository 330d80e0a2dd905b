// What the fuzz targets share: where the committed fixtures are, and a
// model session planned once per process from one of them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "model_session.h"

namespace rwkv_edge::fuzz {

// tests/data/NAME in the source tree.
std::string test_data(const std::string& name);

// Plans tests/data/CHECKPOINT (float32, chunks of 4) into a file in $TMPDIR
// once and opens it; the session lives until the process ends. One
// checkpoint per process (another aborts).
cli::ModelSession& planned_session(const std::string& checkpoint);

}  // namespace rwkv_edge::fuzz
