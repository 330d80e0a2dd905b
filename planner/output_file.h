// Every file rwkv-edge writes goes through here: never over one of the
// command's inputs, always through a temporary file beside the target that is
// renamed into place, and never left behind, whether the command fails, the
// disk fills up or the process gets SIGINT, SIGTERM or SIGHUP.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace rwkv_edge::planner {

// Throws PlanError when `output` is the same file as one of `inputs` (the
// same path, a hard link or a symlink to it: the same device and inode).
// `what` names the output in the message ("-o", "--save-state"). Empty
// inputs and inputs that do not exist are skipped.
void refuse_writing_over_input(const std::string& output, const std::vector<std::string>& inputs,
                               const std::string& what);

// A temporary file "<target>.<tag>.<pid>" beside `target`, created
// exclusively. Until commit() or destruction it is registered with a signal
// handler that removes it before the process dies. The constructor first
// removes "<target>.<tag>.<pid>" files of processes that no longer exist
// (left by a power cut or SIGKILL). All errors throw PlanError with the
// reason; a full disk says so.
class TemporaryFile {
 public:
  TemporaryFile(const std::string& target, const std::string& tag);
  ~TemporaryFile();
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;

  const std::string& path() const { return path_; }
  void write_at(uint64_t offset, const void* data, size_t n);
  void append(const void* data, size_t n);
  // fsync, rename over `target`, fsync the folder. On failure the target is
  // left as it was and the temporary file is removed.
  void commit();

 private:
  std::string target_, path_;
  int fd_ = -1;
  int slot_ = -1;
  uint64_t end_ = 0;
};

// The folder part of a path ("." when there is none), and the part after it.
std::string folder_of(const std::string& path);
std::string base_name(const std::string& path);

}  // namespace rwkv_edge::planner
