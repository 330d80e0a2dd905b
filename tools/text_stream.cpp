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

TextStream::TextStream(std::FILE* out, std::vector<std::string> stops) : out_(out) {
  for (std::string& s : stops)
    if (!s.empty()) stops_.push_back(std::move(s));
}

bool TextStream::append(const std::string& bytes) {
  pending_ += bytes;
  size_t first = std::string::npos;
  for (const std::string& stop : stops_) first = std::min(first, pending_.find(stop));
  if (first != std::string::npos) {
    write(first);
    pending_.clear();
    return true;
  }
  // Hold back the longest tail that is a prefix of some stop string.
  size_t held = 0;
  for (const std::string& stop : stops_)
    for (size_t k = std::min(pending_.size(), stop.size() - 1); k > held; --k)
      if (pending_.compare(pending_.size() - k, k, stop, 0, k) == 0) {
        held = k;
        break;
      }
  write(rwkv_edge_utf8_complete_prefix(pending_.data(), pending_.size() - held));
  return false;
}

void TextStream::finish() { write(pending_.size()); }

}  // namespace rwkv_edge::cli
