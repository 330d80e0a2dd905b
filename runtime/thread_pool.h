// A fixed set of worker threads, created at init and parked between jobs.
// It lives inside the session (the caller's arena) and allocates nothing of
// its own after start(): a job is a function pointer and a context, and the
// hand-off is two atomics (workers spin briefly, then sleep on a futex).
#pragma once

#include <pthread.h>

#include <atomic>
#include <cstdint>

#include "rwkv_edge.h"

namespace rwkv_edge {

class ThreadPool {
 public:
  static constexpr uint32_t kMaxThreads = RWKV_EDGE_MAX_THREADS;
  // Runs on every thread of the pool: `index` in [0, count); index 0 is the caller.
  using Job = void (*)(const void* ctx, uint32_t index, uint32_t count);

  // Creates count - 1 workers (count in [1, kMaxThreads]). False when the
  // system refuses a thread; the pool is then stopped and holds none.
  bool start(uint32_t count);
  // Runs job on all threads and returns when every one has finished.
  void run(Job job, const void* ctx);
  void stop();
  uint32_t size() const { return count_; }

 private:
  struct Worker {
    ThreadPool* pool;
    uint32_t index;
  };
  static void* worker_main(void* arg);

  pthread_t threads_[kMaxThreads] = {};
  Worker workers_[kMaxThreads] = {};
  uint32_t count_ = 1;
  uint32_t started_ = 0;  // workers running (count_ - 1 once start() succeeded)
  Job job_ = nullptr;
  const void* ctx_ = nullptr;
  std::atomic<uint32_t> generation_{0};  // bumped once per job; workers wait for a change
  std::atomic<uint32_t> pending_{0};     // workers still inside the current job
  std::atomic<bool> quit_{false};
};

// Rows [begin, end) of `rows` that thread `index` of `count` takes: equal
// shares, each starting on a multiple of `align`.
void split_rows(uint64_t rows, uint64_t align, uint32_t index, uint32_t count, uint64_t* begin, uint64_t* end);

}  // namespace rwkv_edge
