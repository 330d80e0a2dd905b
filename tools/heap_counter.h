// Counts the process's heap allocations so `bench` can report how many a
// step makes (the runtime promises none after init). Sanitizer builds keep
// their own allocator, and there counting reports itself unavailable.
#pragma once

#include <cstdint>

namespace rwkv_edge::cli {

bool heap_counting_available();
uint64_t heap_allocations();  // since process start

}  // namespace rwkv_edge::cli
