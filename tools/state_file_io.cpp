#include "state_file_io.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "importers.h"
#include "mapped_file.h"
#include "model_file.h"
#include "rwkv_edge_generated.h"

namespace rwkv_edge::cli {
namespace {

std::string folder_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

// A save killed between creating its temporary file and the rename leaves
// "<path>.tmp.<pid>" behind. Removed on the next save once that process is
// gone, so a device that loses power often does not fill its flash.
void remove_stale_temporaries(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  const std::string prefix = (slash == std::string::npos ? path : path.substr(slash + 1)) + ".tmp.";
  DIR* dir = ::opendir(folder_of(path).c_str());
  if (dir == nullptr) return;
  while (const dirent* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string digits = name.substr(prefix.size());
    if (digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(digits));
    if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH)
      ::unlink((slash == std::string::npos ? name : path.substr(0, slash + 1) + name).c_str());
  }
  ::closedir(dir);
}

const fb::Model& model_description(const ModelSession& model) {
  FilePrefix prefix;
  const Status st = decode_prefix(model.file().data(), model.file().size(), &prefix);
  if (st.code != RWKV_EDGE_OK) throw std::runtime_error(st.message);  // init verified it already
  return *fb::GetModel(model.file().data() + prefix.flatbuffer_offset);
}

// seed 004: state[i*3+1] = time_state.transpose(1, 2); shifts start at zero.
std::string load_time_state(ModelSession& model, const uint8_t* bytes, size_t size, const std::string& path) {
  const rwkv_edge_info& info = model.info();
  if (info.rwkv_version != rwkv_edge_version_5 && info.rwkv_version != rwkv_edge_version_5_1 &&
      info.rwkv_version != rwkv_edge_version_5_2 && info.rwkv_version != rwkv_edge_version_6)
    throw std::runtime_error("state-tuning checkpoints are read for RWKV-5 and RWKV-6 models (seed 004's layout); "
                             "this model is RWKV " + std::to_string(info.rwkv_version / 10) + "." +
                             std::to_string(info.rwkv_version % 10));
  const planner::Checkpoint ck = planner::import_pth(bytes, size, path);
  const fb::Model& m = model_description(model);
  const uint64_t H = info.n_head, N = info.head_size, state_offset = m.arena()->state_offset();
  std::vector<float> state(rwkv_edge_state_bytes(model.get()) / sizeof(float), 0.0f);
  uint32_t layers = 0;
  for (const fb::Buffer* b : *m.arena()->buffers()) {
    if (b->region() != fb::RegionKind::Persistent || b->name() == nullptr) continue;
    const std::string name = b->name()->str();
    const std::string suffix = ".att.wkv_state";
    if (name.size() < suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
    const std::string layer = name.substr(1, name.size() - suffix.size() - 1);  // "L12.att.wkv_state" -> "12"
    const std::string key = "blocks." + layer + ".att.time_state";
    if (!ck.has(key)) throw std::runtime_error(path + " has no '" + key + "' (not a state for this model?)");
    const planner::Tensor& t = ck.get(key);
    if (t.numel() != H * N * N || b->numel() != H * N * N)
      throw std::runtime_error("'" + key + "' in " + path + " has " + std::to_string(t.numel()) +
                               " values; this model's layer state has " + std::to_string(H * N * N));
    float* dst = state.data() + (b->offset() - state_offset) / sizeof(float);
    for (uint64_t h = 0; h < H; ++h)
      for (uint64_t i = 0; i < N; ++i)
        for (uint64_t j = 0; j < N; ++j) dst[(h * N + i) * N + j] = t.data[(h * N + j) * N + i];
    ++layers;
  }
  uint32_t in_file = 0;
  for (const auto& [name, t] : ck.tensors) in_file += name.find(".att.time_state") != std::string::npos;
  if (layers != info.n_layer || in_file != info.n_layer)
    throw std::runtime_error(path + " holds " + std::to_string(in_file) + " layer states; this model has " +
                             std::to_string(info.n_layer) + " layers");
  const rwkv_edge_status st = rwkv_edge_state_restore(model.get(), state.data(), state.size() * sizeof(float));
  if (st.code != RWKV_EDGE_OK) throw std::runtime_error(st.message);
  return "state-tuning checkpoint " + path + " (" + std::to_string(layers) + " layers)";
}

}  // namespace

std::string load_state_file(ModelSession& model, const std::string& path) {
  const planner::MappedFile file(path);  // throws with the reason when it cannot be read
  return load_state_bytes(model, file.data(), file.size(), path);
}

std::string load_state_bytes(ModelSession& model, const uint8_t* bytes, size_t size, const std::string& path) {
  if (size >= 8 && std::memcmp(bytes, RWKV_EDGE_STATE_MAGIC, 8) == 0) {
    const rwkv_edge_status st = rwkv_edge_state_import(model.get(), bytes, size);
    if (st.code != RWKV_EDGE_OK) throw std::runtime_error(path + ": " + st.message);
    return "state file " + path;
  }
  if (size >= 4 && std::memcmp(bytes, "PK\x03\x04", 4) == 0) return load_time_state(model, bytes, size, path);
  throw std::runtime_error(path + " is neither an rwkv-edge state file nor a state-tuning .pth");
}

void save_state_file(ModelSession& model, const std::string& path) {
  std::vector<uint8_t> bytes(rwkv_edge_state_file_bytes(model.get()));
  const rwkv_edge_status st = rwkv_edge_state_export(model.get(), bytes.data(), bytes.size());
  if (st.code != RWKV_EDGE_OK) throw std::runtime_error(st.message);
  remove_stale_temporaries(path);
  const std::string tmp = path + ".tmp." + std::to_string(getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot create " + tmp + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  const bool written = done == bytes.size() && ::fsync(fd) == 0;
  const int saved_errno = errno;
  ::close(fd);
  if (!written || std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(written ? errno : saved_errno);
    std::remove(tmp.c_str());
    throw std::runtime_error("cannot write " + path + ": " + why + " (the previous file, if any, is unchanged)");
  }
  // The rename itself reaches the disk when the folder is synced.
  const int dir = ::open(folder_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

}  // namespace rwkv_edge::cli
