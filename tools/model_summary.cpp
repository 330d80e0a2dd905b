#include "model_summary.h"

#include <cstdio>

#include "rwkv_model.h"

namespace rwkv_edge::cli {
namespace {

// The official package numbers RWKV-5 by what its checkpoints hold; rwkv.cpp
// names its test files differently (its "5v1" files are 5.0), so say what each is.
const char* version_note(fb::RwkvVersion v) {
  switch (v) {
    case fb::RwkvVersion::V5: return " (5.0: ln_x, no gate)";
    case fb::RwkvVersion::V5_1: return " (5.1: gate)";
    case fb::RwkvVersion::V5_2: return " (5.2: gate, decay per head)";
    default: return "";
  }
}

}  // namespace

std::string architecture_text(const Architecture& a) {
  char buf[256];
  std::string out = std::string("RWKV ") + planner::version_name(a.version) + version_note(a.version);
  std::snprintf(buf, sizeof buf, ": %u layers, n_embd %u", a.n_layer, a.n_embd);
  out += buf;
  if (a.version != fb::RwkvVersion::V4) {
    std::snprintf(buf, sizeof buf, ", heads %u x %u", a.n_head, a.head_size);
    out += buf;
  }
  std::snprintf(buf, sizeof buf, ", ffn %u, vocab %u", a.n_ffn, a.vocab);
  out += buf;
  if (a.version != fb::RwkvVersion::V4) {
    std::snprintf(buf, sizeof buf, ", ln_x eps %g", static_cast<double>(a.ln_x_eps));
    out += buf;
  }
  return out;
}

}  // namespace rwkv_edge::cli
