// The planner reports bad input by throwing PlanError with one clear line;
// the CLI prints it and exits non-zero. (Only the runtime is exception-free.)
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace rwkv_edge::planner {

class PlanError : public std::runtime_error {
 public:
  explicit PlanError(const std::string& what) : std::runtime_error(what) {}
};

// The plan is sound but model + arena would not fit the --ram-budget.
class BudgetError : public PlanError {
 public:
  BudgetError(const std::string& what, uint64_t needed) : PlanError(what), needed(needed) {}
  uint64_t needed;  // model file + arena bytes
};

}  // namespace rwkv_edge::planner
