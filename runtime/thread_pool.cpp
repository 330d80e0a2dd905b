#include "thread_pool.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace rwkv_edge {
namespace {

// Poll this many times (tens of microseconds) before sleeping on a futex:
// between the mat-vecs of one step the gap is microseconds, and a wake-up
// costs about as much as a small job. Longer spins starve the working
// threads when there are more threads than cores (measured: 3 threads on 2
// cores ran 30x slower with 65536 polls).
constexpr uint32_t kSpinPolls = 2048;
// Workers only run kernels, which use little stack.
constexpr size_t kWorkerStackBytes = 256 * 1024;

inline void cpu_relax() {
#if defined(__x86_64__)
  _mm_pause();
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

}  // namespace

void split_rows(uint64_t rows, uint64_t align, uint32_t index, uint32_t count, uint64_t* begin, uint64_t* end) {
  const uint64_t units = (rows + align - 1) / align;
  const uint64_t first = units * index / count, last = units * (index + 1) / count;
  *begin = first * align < rows ? first * align : rows;
  *end = last * align < rows ? last * align : rows;
}

void* ThreadPool::worker_main(void* arg) {
  const Worker& self = *static_cast<Worker*>(arg);
  ThreadPool& pool = *self.pool;
  uint32_t seen = 0;
  for (;;) {
    uint32_t now = pool.generation_.load(std::memory_order_acquire);
    for (uint32_t i = 0; now == seen && i < kSpinPolls; ++i) {
      cpu_relax();
      now = pool.generation_.load(std::memory_order_acquire);
    }
    while (now == seen) {
      pool.generation_.wait(seen, std::memory_order_acquire);
      now = pool.generation_.load(std::memory_order_acquire);
    }
    seen = now;
    if (pool.quit_.load(std::memory_order_acquire)) return nullptr;
    pool.job_(pool.ctx_, self.index, pool.count_);
    if (pool.pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) pool.pending_.notify_one();
  }
}

bool ThreadPool::start(uint32_t count) {
  if (count == 0 || count > kMaxThreads) return false;
  count_ = count;
  quit_.store(false);
  pthread_attr_t attr;
  if (pthread_attr_init(&attr) != 0) return false;
  pthread_attr_setstacksize(&attr, kWorkerStackBytes);
  for (uint32_t i = 1; i < count; ++i) {
    workers_[i] = Worker{this, i};
    if (pthread_create(&threads_[i], &attr, &ThreadPool::worker_main, &workers_[i]) != 0) {
      pthread_attr_destroy(&attr);
      stop();
      return false;
    }
    ++started_;
  }
  pthread_attr_destroy(&attr);
  return true;
}

void ThreadPool::run(Job job, const void* ctx) {
  if (started_ == 0) {
    job(ctx, 0, 1);
    return;
  }
  job_ = job;
  ctx_ = ctx;
  pending_.store(started_, std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_release);
  generation_.notify_all();
  job(ctx, 0, count_);
  uint32_t left = pending_.load(std::memory_order_acquire);
  for (uint32_t i = 0; left != 0 && i < kSpinPolls; ++i) {
    cpu_relax();
    left = pending_.load(std::memory_order_acquire);
  }
  while (left != 0) {
    pending_.wait(left, std::memory_order_acquire);
    left = pending_.load(std::memory_order_acquire);
  }
}

void ThreadPool::stop() {
  if (started_ > 0) {
    quit_.store(true, std::memory_order_release);
    generation_.fetch_add(1, std::memory_order_release);
    generation_.notify_all();
    for (uint32_t i = 1; i <= started_; ++i) pthread_join(threads_[i], nullptr);
  }
  started_ = 0;
  count_ = 1;
}

}  // namespace rwkv_edge
