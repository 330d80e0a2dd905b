#include "fuzz_support.h"

#include <unistd.h>

#include <cstdlib>
#include <map>
#include <memory>

#include "planner.h"

namespace rwkv_edge::fuzz {

std::string test_data(const std::string& name) { return std::string(RWKV_EDGE_TEST_DATA) + "/" + name; }

cli::ModelSession& planned_session(const std::string& checkpoint) {
  static std::map<std::string, std::unique_ptr<cli::ModelSession>> sessions;
  auto& slot = sessions[checkpoint];
  if (!slot) {
    const char* tmp = std::getenv("TMPDIR");
    planner::PlanOptions options;
    options.input = test_data(checkpoint);
    options.output = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/rwkv-edge-fuzz-" +
                     std::to_string(getpid()) + "-" + checkpoint + ".rwkv";
    options.max_chunk = 4;
    planner::plan_model(options);
    cli::RuntimeChoice runtime;
    slot = std::make_unique<cli::ModelSession>(options.output, runtime, true);
    ::unlink(options.output.c_str());  // the mapping keeps the bytes
  }
  return *slot;
}

}  // namespace rwkv_edge::fuzz
