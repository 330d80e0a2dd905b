#include "output_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <mutex>

#include "plan_error.h"

namespace rwkv_edge::planner {
namespace {

// Paths the signal handler removes. Fixed storage: the handler may only make
// async-signal-safe calls, so it reads plain arrays, never a std::string.
constexpr int kSlots = 8;
constexpr size_t kPathMax = 4096;
char g_paths[kSlots][kPathMax];
std::atomic<bool> g_in_use[kSlots];
std::atomic<bool> g_signalled{false};
constexpr int kSignals[] = {SIGINT, SIGTERM, SIGHUP};
struct sigaction g_previous[3];
std::once_flag g_installed;

void remove_temporaries_and_pass_on(int sig) {
  for (int i = 0; i < kSlots; ++i)
    if (g_in_use[i].load(std::memory_order_acquire)) ::unlink(g_paths[i]);
  g_signalled.store(true);
  for (int k = 0; k < 3; ++k) {
    if (kSignals[k] != sig) continue;
    const struct sigaction& before = g_previous[k];
    if (before.sa_handler != SIG_DFL && before.sa_handler != SIG_IGN && !(before.sa_flags & SA_SIGINFO)) {
      before.sa_handler(sig);  // a command's own handler (chat stops at the next token)
      return;
    }
  }
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

void install_handlers() {
  for (int k = 0; k < 3; ++k) {
    sigaction(kSignals[k], nullptr, &g_previous[k]);
    if (g_previous[k].sa_handler == SIG_IGN) continue;  // nohup: keep ignoring it
    struct sigaction action {};
    action.sa_handler = remove_temporaries_and_pass_on;
    sigemptyset(&action.sa_mask);
    for (int s : kSignals) sigaddset(&action.sa_mask, s);
    sigaction(kSignals[k], &action, nullptr);
  }
}

int register_path(const std::string& path) {
  std::call_once(g_installed, install_handlers);
  if (path.size() >= kPathMax) throw PlanError("path too long: " + path);
  static std::mutex lock;
  const std::lock_guard<std::mutex> guard(lock);
  for (int i = 0; i < kSlots; ++i) {
    if (g_in_use[i].load()) continue;
    std::memcpy(g_paths[i], path.c_str(), path.size() + 1);
    g_in_use[i].store(true, std::memory_order_release);
    return i;
  }
  throw PlanError("internal: more than 8 temporary files at once");
}

void unregister_path(int slot) {
  if (slot >= 0) g_in_use[slot].store(false, std::memory_order_release);
}

// "<target>.<tag>.<pid>" files whose process is gone: left by SIGKILL or a
// power cut, removed so a device that loses power often does not fill up.
void remove_stale_temporaries(const std::string& target, const std::string& tag) {
  const std::string prefix = base_name(target) + "." + tag + ".";
  const std::string folder = folder_of(target);
  DIR* dir = ::opendir(folder.c_str());
  if (dir == nullptr) return;
  while (const dirent* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string digits = name.substr(prefix.size());
    if (digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(digits));
    if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) ::unlink((folder + "/" + name).c_str());
  }
  ::closedir(dir);
}

std::string write_failure(const std::string& path, int err) {
  if (err == ENOSPC || err == EDQUOT)
    return "cannot write " + path + ": the disk is full (" + std::strerror(err) + "); the partial file was removed";
  return "cannot write " + path + ": " + std::strerror(err);
}

}  // namespace

std::string base_name(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string folder_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

void refuse_writing_over_input(const std::string& output, const std::vector<std::string>& inputs,
                               const std::string& what) {
  struct stat out {};
  if (::stat(output.c_str(), &out) != 0) return;  // nothing there yet (or unreachable: the write will say)
  for (const std::string& input : inputs) {
    struct stat in {};
    if (input.empty() || ::stat(input.c_str(), &in) != 0) continue;
    if (in.st_dev == out.st_dev && in.st_ino == out.st_ino)
      throw PlanError(what + " " + output + " is the input " + input +
                      (output == input ? "" : " (the same file under another name)") +
                      "; writing it would destroy the input: choose another output path");
  }
}

TemporaryFile::TemporaryFile(const std::string& target, const std::string& tag)
    : target_(target), path_(target + "." + tag + "." + std::to_string(::getpid())) {
  remove_stale_temporaries(target, tag);
  slot_ = register_path(path_);
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    const int err = errno;
    unregister_path(slot_);
    throw PlanError("cannot create " + target_ + ": " + std::strerror(err) +
                    (err == ENOENT ? " (does the folder " + folder_of(target_) + " exist?)" : ""));
  }
}

TemporaryFile::~TemporaryFile() {
  if (fd_ >= 0) ::close(fd_);
  if (slot_ >= 0) {
    ::unlink(path_.c_str());
    unregister_path(slot_);
  }
}

void TemporaryFile::write_at(uint64_t offset, const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  while (n > 0) {
    if (g_signalled.load()) throw PlanError("interrupted: " + target_ + " was not written");
    const ssize_t w = ::pwrite(fd_, p, n, static_cast<off_t>(offset));
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) throw PlanError(write_failure(target_, w < 0 ? errno : ENOSPC));
    p += w;
    offset += static_cast<uint64_t>(w);
    n -= static_cast<size_t>(w);
  }
  if (offset > end_) end_ = offset;
}

void TemporaryFile::append(const void* data, size_t n) { write_at(end_, data, n); }

void TemporaryFile::commit() {
  // A file written with holes (pwrite past the end) reserves its blocks only
  // here on some filesystems: fsync reports the full disk.
  if (::fsync(fd_) != 0) throw PlanError(write_failure(target_, errno));
  if (::close(fd_) != 0) {
    fd_ = -1;
    throw PlanError(write_failure(target_, errno));
  }
  fd_ = -1;
  if (g_signalled.load()) throw PlanError("interrupted: " + target_ + " was not written");
  if (::rename(path_.c_str(), target_.c_str()) != 0)
    throw PlanError("cannot replace " + target_ + ": " + std::strerror(errno));
  unregister_path(slot_);
  slot_ = -1;
  // The rename itself reaches the disk when the folder is synced.
  const int dir = ::open(folder_of(target_).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

}  // namespace rwkv_edge::planner
