// State files on disk for the CLI (generate/chat --state, --save-state): the
// runtime makes and checks the bytes (rwkv_edge_state_export/import); this
// reads them, or an official state-tuning .pth, and writes atomically.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "model_session.h"

namespace rwkv_edge::cli {

// Sets the session's state from `path`: an rwkv-edge state file, or an
// official state-tuning checkpoint (.pth with blocks.N.att.time_state,
// RWKV-5/6, transposed as seed 004 does). Returns what was loaded, for the
// user. Throws std::runtime_error with the reason; the state is then
// unchanged.
std::string load_state_file(ModelSession& model, const std::string& path);
// The same from the file's bytes; `path` names them in messages.
std::string load_state_bytes(ModelSession& model, const uint8_t* bytes, size_t size, const std::string& path);

// Writes the session's state to `path` atomically (planner::TemporaryFile).
// On any failure the old file is left as it was. Throws.
void save_state_file(ModelSession& model, const std::string& path);

// Throws when --save-state would replace the model file or a state-tuning
// checkpoint given as --state (an rwkv-edge state file may be saved over:
// that continues a conversation).
void refuse_saving_over_input(const std::string& save_path, const std::string& model_path,
                              const std::string& state_path);

}  // namespace rwkv_edge::cli
