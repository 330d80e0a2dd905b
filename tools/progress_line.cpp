#include "progress_line.h"

#include <unistd.h>

#include <cmath>

namespace rwkv_edge::cli {

std::string duration_text(double seconds) {
  char buf[32];
  if (seconds < 60) {
    std::snprintf(buf, sizeof buf, "%.0f s", std::ceil(seconds));
  } else {
    const auto s = static_cast<long>(seconds + 0.5);
    if (s >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else std::snprintf(buf, sizeof buf, "%ld:%02ld", s / 60, s % 60);
  }
  return buf;
}

ProgressLine::ProgressLine(std::FILE* out) : out_(out), terminal_(isatty(fileno(out)) != 0) {}

void ProgressLine::operator()(std::string_view step, uint64_t done, uint64_t total) {
  const Clock::time_point now = Clock::now();
  if (step != step_ || done == 0) {
    if (drawn_ && terminal_) std::fputc('\n', out_);
    step_ = step;
    started_ = now;
    shown_ = now - std::chrono::hours(1);  // the first estimate may come as soon as there is one
    drawn_ = false;
  }
  const double elapsed = std::chrono::duration<double>(now - started_).count();
  if (done >= total) {
    if (elapsed >= 1.0 || drawn_)
      std::fprintf(out_, "%s%-12s done in %.1f s%s\n", terminal_ ? "\r" : "", step_.c_str(), elapsed,
                   terminal_ ? "                    " : "");
    drawn_ = false;
    step_.clear();
    return;
  }
  // The first estimate waits a second: the start of a step is not its pace.
  const double since_shown = std::chrono::duration<double>(now - shown_).count();
  if (elapsed < 1.0 || since_shown < (terminal_ ? 0.2 : 10.0) || done == 0) return;
  const double share = static_cast<double>(done) / static_cast<double>(total);
  const double left = elapsed / share - elapsed;
  std::fprintf(out_, "%s%-12s %3.0f%%, about %s left%s", terminal_ ? "\r" : "", step_.c_str(), 100.0 * share,
               duration_text(left).c_str(), terminal_ ? "   " : "\n");
  std::fflush(out_);
  shown_ = now;
  drawn_ = true;
}

}  // namespace rwkv_edge::cli
