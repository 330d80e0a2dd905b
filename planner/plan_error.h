// The planner reports bad input by throwing PlanError with one clear line;
// the CLI prints it and exits non-zero. (Only the runtime is exception-free.)
#pragma once

#include <stdexcept>
#include <string>

namespace rwkv_edge::planner {

class PlanError : public std::runtime_error {
 public:
  explicit PlanError(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace rwkv_edge::planner
