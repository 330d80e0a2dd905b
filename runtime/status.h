// Internal status helpers: the C struct rwkv_edge_status with a printf-style
// message, built on the stack (no allocation).
#pragma once

#include <cstdarg>
#include <cstdio>

#include "rwkv_edge.h"

namespace rwkv_edge {

using Status = rwkv_edge_status;

inline Status ok_status() {
  Status s;
  s.code = RWKV_EDGE_OK;
  s.message[0] = '\0';
  return s;
}

__attribute__((format(printf, 2, 0))) inline Status make_status_v(rwkv_edge_code code, const char* fmt,
                                                                  va_list args) {
  Status s;
  s.code = code;
  std::vsnprintf(s.message, sizeof s.message, fmt, args);
  return s;
}

__attribute__((format(printf, 2, 3))) inline Status make_status(rwkv_edge_code code,
                                                                const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  const Status s = make_status_v(code, fmt, args);
  va_end(args);
  return s;
}

#define RWKV_EDGE_RETURN_IF_ERROR(expr)        \
  do {                                         \
    ::rwkv_edge::Status status_ = (expr);      \
    if (status_.code != RWKV_EDGE_OK) return status_; \
  } while (0)

}  // namespace rwkv_edge
