// Bounds-checked little-endian reads from an untrusted byte span.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "plan_error.h"

namespace rwkv_edge::planner {

class ByteReader {
 public:
  ByteReader(const uint8_t* data, size_t size, std::string what)
      : data_(data), size_(size), what_(std::move(what)) {}

  size_t size() const { return size_; }
  size_t pos() const { return pos_; }
  size_t remaining() const { return size_ - pos_; }
  bool at_end() const { return pos_ == size_; }
  void seek(uint64_t pos) {
    if (pos > size_) fail("offset past the end");
    pos_ = static_cast<size_t>(pos);
  }
  const uint8_t* take(uint64_t n) {
    if (n > remaining()) fail("truncated");
    const uint8_t* p = data_ + pos_;
    pos_ += static_cast<size_t>(n);
    return p;
  }
  template <typename T>
  T read() {
    T v;
    std::memcpy(&v, take(sizeof(T)), sizeof(T));
    return v;  // little-endian host assumed (x86, ARM); checked in CMake
  }
  std::string_view read_string(uint64_t n) {
    const uint8_t* p = take(n);
    return {reinterpret_cast<const char*>(p), static_cast<size_t>(n)};
  }
  [[noreturn]] void fail(const std::string& why) const {
    throw PlanError(what_ + ": " + why + " at byte " + std::to_string(pos_));
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  std::string what_;
};

}  // namespace rwkv_edge::planner
