// The machine's streaming read bandwidth, the roof a decode step runs under.
#pragma once

#include <cstdint>

namespace rwkv_edge::cli {

// GB/s (1e9 bytes) for `threads` threads each summing its own slice of a
// buffer several times the last-level cache; the best of a few passes. It
// runs in a forked child so the buffer never counts towards this process's
// peak RSS; call it before starting any thread. Throws on failure.
double measure_read_bandwidth_gb_s(uint32_t threads);

// The largest CPU cache's size in bytes (sysfs, else glibc's sysconf); 0 when unknown.
uint64_t last_level_cache_bytes();

}  // namespace rwkv_edge::cli

namespace rwkv_edge::cli {

// GB/s a device-to-device copy moves on CUDA device `device` (every byte
// read and written counts, as bandwidth tests count), the best of a few
// 256 MiB copies: the roof a GPU decode step's weight reads run under. Throws when the build or the machine has
// no CUDA device.
double measure_cuda_copy_bandwidth_gb_s(uint32_t device);

// Microseconds one CUDA graph replay costs beyond its work: a graph of one
// 4-byte memset, launched and waited for 1,000 times, the mean. A decode
// step pays this once (docs/cuda.md). Throws like the bandwidth probe.
double measure_cuda_graph_replay_us(uint32_t device);

}  // namespace rwkv_edge::cli
