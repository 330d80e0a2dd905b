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
    if (pool.quit_.load(std::memory_order_acquire)) return nullptr;
    // Join unless the caller has closed the job (it then runs this index itself).
    const uint64_t bit = uint64_t{1} << self.index;
    uint64_t joined = pool.joined_.load(std::memory_order_acquire);
    while (!(joined & 1) && !pool.joined_.compare_exchange_weak(joined, joined | bit, std::memory_order_acq_rel))
      ;
    if (joined & 1) {
      seen = now;
      continue;
    }
    // The job joined may be a later one than `now` woke this worker for (the
    // caller finished that one alone and opened the next); a joined job
    // cannot end before this worker does, so open_gen_ names it.
    seen = pool.open_gen_.load(std::memory_order_acquire);
    pool.job_(pool.ctx_, self.index, pool.count_);
    pool.finished_.fetch_add(1, std::memory_order_acq_rel);
    pool.finished_.notify_one();
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
  finished_.store(0, std::memory_order_relaxed);
  const uint32_t generation = generation_.load(std::memory_order_relaxed) + 1;
  open_gen_.store(generation, std::memory_order_relaxed);
  joined_.store(0, std::memory_order_release);  // open, before any worker is woken for it
  generation_.store(generation, std::memory_order_release);
  generation_.notify_all();
  job(ctx, 0, count_);
  const uint64_t joined = joined_.fetch_or(1, std::memory_order_acq_rel);  // closed
  for (uint32_t i = 1; i < count_; ++i)
    if (!(joined & (uint64_t{1} << i))) job(ctx, i, count_);
  const auto workers = static_cast<uint32_t>(__builtin_popcountll(joined));
  uint32_t done = finished_.load(std::memory_order_acquire);
  for (uint32_t i = 0; done != workers && i < kSpinPolls; ++i) {
    cpu_relax();
    done = finished_.load(std::memory_order_acquire);
  }
  while (done != workers) {
    finished_.wait(done, std::memory_order_acquire);
    done = finished_.load(std::memory_order_acquire);
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
