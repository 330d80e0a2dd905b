// Sanitizer builds: the sanitizer owns malloc, so nothing is counted.
#include "heap_counter.h"

namespace rwkv_edge::cli {
bool heap_counting_available() { return false; }
uint64_t heap_allocations() { return 0; }
}  // namespace rwkv_edge::cli
