// A fixed set of worker threads, created at init and parked between jobs.
// It lives inside the session (the caller's arena) and allocates nothing of
// its own after start(): a job is a function pointer and a context, and the
// hand-off is a few atomics (workers spin briefly, then sleep on a futex).
//
// The caller never waits for a worker that is not running. On a device whose
// cores are shared (a browser beside a kiosk, speech recognition beside the
// model) a worker may be descheduled for milliseconds; a job it has not
// joined by the time the caller has done its own part is closed to it, and
// the caller runs that worker's part itself. The caller waits only for
// workers that joined, which hold at most one unit of shared work each.
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
  // Runs job(ctx, i, size()) once for every i, on whichever threads are
  // free: the caller first runs index 0, then every index whose worker had
  // not joined yet; it returns when all have finished. A job must not wait
  // for another index (they may run one after another on the caller).
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
  // Bit i: worker i joined the current job; bit 0 (the caller's index): closed to joiners.
  std::atomic<uint64_t> joined_{1};
  std::atomic<uint32_t> open_gen_{0};  // the generation of the job joined_ was last opened for
  std::atomic<uint32_t> finished_{0};  // joined workers done with the current job
  std::atomic<bool> quit_{false};
};

// Rows [begin, end) of `rows` that thread `index` of `count` takes: equal
// shares, each starting on a multiple of `align`.
void split_rows(uint64_t rows, uint64_t align, uint32_t index, uint32_t count, uint64_t* begin, uint64_t* end);

// A job's work as `units` items [0, units), shared out while the job runs.
// Each thread has a contiguous share and claims its items one at a time from
// the front; a thread done with its own share takes items from the others'
// shares the same way. Cores are rarely equal on the machines this runs on (a
// VM's vCPUs share physical cores with other tenants; phones and Jetsons mix
// big and small cores; a kiosk's browser takes a core now and then): a
// thread that is slow or descheduled holds up at most the item it is in, while
// the shares keep each thread streaming through neighbouring rows. Items are
// tens of microseconds of work (the callers' grains) and a claim on one's own
// share is an uncontended atomic add. Lives in the job's context; reset()
// before every ThreadPool::run.
class WorkShares {
 public:
  // Leaves the shares unset: reset() writes those the job's threads use. A
  // defaulted constructor would let a job's `{}` zero all 64 shares, 4 KiB
  // of stores for every mat-vec, most of them for threads that do not exist.
  WorkShares() {}
  WorkShares(const WorkShares&) = delete;
  WorkShares& operator=(const WorkShares&) = delete;

  // `count`: the threads that will take() (the pool's size).
  void reset(uint64_t units, uint32_t count) {
    units_ = units;
    count_ = count < 1 ? 1 : count > ThreadPool::kMaxThreads ? ThreadPool::kMaxThreads : count;
    for (uint32_t i = 0; i < count_; ++i) {
      shares_[i].next = units * i / count_;  // published to the workers by ThreadPool::run
      shares_[i].end = units * (i + 1) / count_;
    }
  }
  uint64_t units() const { return units_; }

  // Calls take(unit) for every item thread `index` of `count` claims; over
  // all threads of one job, every item exactly once. A lone thread (count 1)
  // takes them all in order, without claims.
  template <typename Take>
  void take(uint32_t index, uint32_t count, Take&& take) const {
    if (count == 1) {
      for (uint64_t u = 0; u < units_; ++u) take(u);
      return;
    }
    for (uint32_t k = 0; k < count_; ++k) {
      Share& share = shares_[(index + k) % count_];
      const std::atomic_ref<uint64_t> next(share.next);
      for (uint64_t u = next.fetch_add(1, std::memory_order_relaxed); u < share.end;
           u = next.fetch_add(1, std::memory_order_relaxed))
        take(u);
    }
  }

 private:
  struct alignas(64) Share {
    uint64_t next;  // claimed through std::atomic_ref while a job runs
    uint64_t end;
  };
  uint64_t units_ = 0;
  uint32_t count_ = 1;
  mutable Share shares_[ThreadPool::kMaxThreads];
};

}  // namespace rwkv_edge
