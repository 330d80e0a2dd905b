// How the planner reports a long step while it runs (calibration, GPTQ,
// writing): the step's name and how far along it is. The CLI turns it into a
// line on stderr with the time left; tests and library users may pass nothing.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

namespace rwkv_edge::planner {

// `done` of `total` units of `step` ("calibration", "quantizing", "writing").
// Called with done == 0 when the step starts and done == total when it ends.
using Progress = std::function<void(std::string_view step, uint64_t done, uint64_t total)>;

inline void report(const Progress& p, std::string_view step, uint64_t done, uint64_t total) {
  if (p) p(step, done, total);
}

}  // namespace rwkv_edge::planner
