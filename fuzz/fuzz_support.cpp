#include "fuzz_support.h"

#include <unistd.h>

#include <cstdlib>
#include <memory>

#include "planner.h"

namespace rwkv_edge::fuzz {

std::string test_data(const std::string& name) { return std::string(RWKV_EDGE_TEST_DATA) + "/" + name; }

cli::ModelSession& planned_session(const std::string& checkpoint) {
  // One session per process: the only caller asks for one checkpoint.
  static const std::string planned_from = checkpoint;
  static const std::unique_ptr<cli::ModelSession> session = [&] {
    const char* tmp = std::getenv("TMPDIR");
    planner::PlanOptions options;
    options.input = test_data(checkpoint);
    options.output = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/rwkv-edge-fuzz-" +
                     std::to_string(getpid()) + "-" + checkpoint + ".rwkv";
    options.max_chunk = 4;
    planner::plan_model(options);
    auto opened = std::make_unique<cli::ModelSession>(options.output, cli::RuntimeChoice{}, true);
    ::unlink(options.output.c_str());  // the mapping keeps the bytes
    return opened;
  }();
  if (checkpoint != planned_from) std::abort();
  return *session;
}

}  // namespace rwkv_edge::fuzz
