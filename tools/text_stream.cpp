#include "text_stream.h"

#include <algorithm>

#include "rwkv_edge.h"

namespace rwkv_edge::cli {

void TextStream::write(size_t n) {
  if (n == 0) return;
  std::fwrite(pending_.data(), 1, n, out_);
  std::fflush(out_);
  all_.append(pending_, 0, n);
  pending_.erase(0, n);
}

bool TextStream::append(const std::string& bytes) {
  pending_ += bytes;
  if (!stop_.empty()) {
    const size_t at = pending_.find(stop_);
    if (at != std::string::npos) {
      write(at);
      pending_.clear();
      return true;
    }
  }
  // Hold back the longest tail that is a prefix of the stop string.
  size_t held = 0;
  for (size_t k = std::min(pending_.size(), stop_.empty() ? 0 : stop_.size() - 1); k > 0; --k)
    if (pending_.compare(pending_.size() - k, k, stop_, 0, k) == 0) {
      held = k;
      break;
    }
  write(rwkv_edge_utf8_complete_prefix(pending_.data(), pending_.size() - held));
  return false;
}

void TextStream::finish() { write(pending_.size()); }

}  // namespace rwkv_edge::cli
