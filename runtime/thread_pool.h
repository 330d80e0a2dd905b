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

// A job's work as `units` items [0, units), shared out while the job runs:
// each thread first takes its equal share of the first three quarters, then
// items of the last quarter one at a time, whoever is free first. Cores are
// rarely equal on the machines this runs on (a VM's vCPUs share physical
// cores with other tenants; phones and Jetsons mix big and small cores), and
// with equal shares a job ends when the slowest thread's share does. The
// fixed part keeps the claims, an atomic add each, to a quarter of the items.
// Lives in the job's context; reset() before every ThreadPool::run.
class WorkShares {
 public:
  WorkShares() = default;
  WorkShares(const WorkShares&) = delete;
  WorkShares& operator=(const WorkShares&) = delete;

  void reset(uint64_t units) {
    units_ = units;
    fixed_ = units - units / 4;
    claimed_.store(0, std::memory_order_relaxed);
  }

  // Calls take(unit) for every item thread `index` of `count` gets; over all
  // threads of one job, every item exactly once. A lone thread takes them all
  // in order, without claims.
  template <typename Take>
  void take(uint32_t index, uint32_t count, Take&& take) const {
    const uint64_t fixed = count == 1 ? units_ : fixed_;
    for (uint64_t u = fixed * index / count, end = fixed * (index + 1) / count; u < end; ++u) take(u);
    for (;;) {
      const uint64_t u = fixed + claimed_.fetch_add(1, std::memory_order_relaxed);
      if (u >= units_) return;
      take(u);
    }
  }

 private:
  uint64_t units_ = 0, fixed_ = 0;
  alignas(64) mutable std::atomic<uint64_t> claimed_{0};
};

}  // namespace rwkv_edge
