#include "memory_bandwidth.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <vector>

namespace rwkv_edge::cli {
namespace {

constexpr uint64_t kMinBufferBytes = uint64_t{256} << 20, kMaxBufferBytes = uint64_t{1} << 30;
constexpr int kPasses = 7;

uint64_t buffer_bytes() {
  const long llc = sysconf(_SC_LEVEL3_CACHE_SIZE);
  const uint64_t eight_llc = llc > 0 ? 8 * static_cast<uint64_t>(llc) : 0;
  return std::clamp(eight_llc, kMinBufferBytes, kMaxBufferBytes);
}

// Four independent sums so the adds never limit the loads.
uint64_t sum_words(const uint64_t* p, uint64_t n) {
  uint64_t a = 0, b = 0, c = 0, d = 0;
  for (uint64_t i = 0; i + 4 <= n; i += 4) {
    a += p[i];
    b += p[i + 1];
    c += p[i + 2];
    d += p[i + 3];
  }
  return a + b + c + d;
}

double measure_in_child(uint32_t threads) {
  const uint64_t bytes = buffer_bytes(), words = bytes / 8;
  auto* buffer = static_cast<uint64_t*>(std::aligned_alloc(64, bytes));
  if (buffer == nullptr) return 0.0;
  std::memset(buffer, 1, bytes);  // fault every page in before timing
  std::vector<uint64_t> sums(threads);
  double best = 0.0;
  for (int pass = 0; pass < kPasses; ++pass) {
    const auto start = std::chrono::steady_clock::now();
    std::vector<std::thread> pool;
    for (uint32_t t = 0; t < threads; ++t)
      pool.emplace_back([&, t] {
        const uint64_t begin = words * t / threads, end = words * (t + 1) / threads;
        sums[t] = sum_words(buffer + begin, end - begin);
      });
    for (auto& th : pool) th.join();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, static_cast<double>(bytes) / seconds / 1e9);
  }
  uint64_t total = 0;
  for (uint64_t s : sums) total += s;
  std::free(buffer);
  return total == 0 ? 0.0 : best;  // the sums are used, so the reads stay
}

}  // namespace

uint64_t last_level_cache_bytes() {
  // sysfs gives the cache one core shares (on a chiplet CPU, its own L3);
  // glibc's sysconf may report the whole package's.
  uint64_t most = 0;
  for (int i = 0; i < 10; ++i) {
    char path[96];
    std::snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
    std::FILE* f = std::fopen(path, "r");
    if (f == nullptr) continue;
    unsigned long long n = 0;
    char unit = 0;
    if (std::fscanf(f, "%llu%c", &n, &unit) >= 1)
      most = std::max<uint64_t>(most, n << (unit == 'K' ? 10 : unit == 'M' ? 20 : unit == 'G' ? 30 : 0));
    std::fclose(f);
  }
  if (most > 0) return most;
  for (const int name : {_SC_LEVEL3_CACHE_SIZE, _SC_LEVEL2_CACHE_SIZE}) {
    const long bytes = sysconf(name);
    if (bytes > 0) return static_cast<uint64_t>(bytes);
  }
  return 0;
}

double measure_read_bandwidth_gb_s(uint32_t threads) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("bandwidth probe: pipe failed");
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    throw std::runtime_error("bandwidth probe: fork failed");
  }
  if (pid == 0) {
    close(fds[0]);
    const double gb_s = measure_in_child(threads);
    const ssize_t written = write(fds[1], &gb_s, sizeof gb_s);
    _exit(written == sizeof gb_s ? 0 : 1);
  }
  close(fds[1]);
  double gb_s = 0.0;
  const ssize_t got = read(fds[0], &gb_s, sizeof gb_s);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (got != sizeof gb_s || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || gb_s <= 0.0)
    throw std::runtime_error("bandwidth probe: the child could not measure (out of memory?)");
  return gb_s;
}

}  // namespace rwkv_edge::cli
