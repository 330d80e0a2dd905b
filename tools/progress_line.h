// The planner's progress (planner::Progress) on stderr: on a terminal one line
// redrawn in place with the share done and the time left; in a log a line at
// most every 10 seconds, and how long each step took when it took a second or more.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace rwkv_edge::cli {

class ProgressLine {
 public:
  explicit ProgressLine(std::FILE* out = stderr);
  void operator()(std::string_view step, uint64_t done, uint64_t total);

 private:
  using Clock = std::chrono::steady_clock;
  std::FILE* out_;
  bool terminal_;
  std::string step_;
  Clock::time_point started_, shown_;
  bool drawn_ = false;
};

// "1:05" / "12 s".
std::string duration_text(double seconds);

// Seconds from `t` to now on the steady clock (what bench and generate time with).
inline double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace rwkv_edge::cli
