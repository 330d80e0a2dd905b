// The recurrent state as a self-describing blob (docs/format.md, "State
// files"): a 64-byte header naming the model it belongs to, the state
// bytes, and a CRC32 of everything before it. Writing it to storage
// atomically is the caller's (the CLI: temporary file, fsync, rename); here
// only bytes, so a device can keep it in flash or send it anywhere.
#include <cstring>

#include "model_file.h"
#include "session.h"

namespace rwkv_edge {
namespace {

constexpr char kStateMagic[] = RWKV_EDGE_STATE_MAGIC;
static_assert(sizeof kStateMagic == 9, "the magic is 8 bytes (plus the string's terminator)");
constexpr uint32_t kStateFormatVersion = 1;
constexpr uint64_t kHeaderBytes = 64;

struct Header {
  uint32_t rwkv_version, n_layer, n_embd, n_head, head_size;
  uint64_t fingerprint, state_bytes;
};

// Which model a state belongs to: the weights' CRC32 (the same checkpoint
// planned at another precision is another model) and the state's layout
// (every state buffer's size and place), which the graph fixes. The plan's
// other choices (chunk size, vocabulary) do not change what a state means.
uint64_t fingerprint(const rwkv_edge_session* s) {
  uint32_t layout = 0;
  for (const fb::Buffer* b : *s->model.model->arena()->buffers()) {
    if (b->region() != fb::RegionKind::Persistent) continue;
    uint8_t entry[16];
    put_u64(entry, b->numel());
    put_u64(entry + 8, b->offset() - s->model.model->arena()->state_offset());
    layout = crc32(entry, sizeof entry, layout);
  }
  return uint64_t{s->model.prefix.weights_crc32} << 32 | layout;
}

Header header_of(const rwkv_edge_session* s) {
  rwkv_edge_info info{};
  rwkv_edge_get_info(s, &info);
  return Header{info.rwkv_version, info.n_layer, info.n_embd, info.n_head, info.head_size, fingerprint(s),
                s->state_bytes};
}

}  // namespace
}  // namespace rwkv_edge

using namespace rwkv_edge;

extern "C" {

size_t rwkv_edge_state_file_bytes(const rwkv_edge_session* s) {
  return session_valid(s) ? kHeaderBytes + s->state_bytes + 4 : 0;
}

rwkv_edge_status rwkv_edge_state_export(const rwkv_edge_session* s, void* dst, size_t dst_bytes) {
  if (!session_valid(s) || dst == nullptr) return make_status(RWKV_EDGE_INVALID_ARGUMENT, "null session or buffer");
  if (dst_bytes != rwkv_edge_state_file_bytes(s))
    return make_status(RWKV_EDGE_STATE_SIZE_MISMATCH, "a state file of this model is %zu bytes, the buffer %zu",
                       rwkv_edge_state_file_bytes(s), dst_bytes);
  auto* out = static_cast<uint8_t*>(dst);
  const Header h = header_of(s);
  std::memset(out, 0, kHeaderBytes);
  std::memcpy(out, kStateMagic, 8);
  put_u32(out + 8, kStateFormatVersion);
  put_u32(out + 12, h.rwkv_version);
  put_u32(out + 16, h.n_layer);
  put_u32(out + 20, h.n_embd);
  put_u32(out + 24, h.n_head);
  put_u32(out + 28, h.head_size);
  put_u64(out + 32, h.fingerprint);
  put_u64(out + 40, h.state_bytes);
  if (s->cuda.live) RWKV_EDGE_RETURN_IF_ERROR(cuda_state_to_host(s));
  std::memcpy(out + kHeaderBytes, s->state, s->state_bytes);
  put_u32(out + kHeaderBytes + s->state_bytes, crc32(out, kHeaderBytes + s->state_bytes));
  return ok_status();
}

rwkv_edge_status rwkv_edge_state_import(rwkv_edge_session* s, const void* src, size_t src_bytes) {
  if (!session_valid(s) || src == nullptr) return make_status(RWKV_EDGE_INVALID_ARGUMENT, "null session or buffer");
  const auto* in = static_cast<const uint8_t*>(src);
  if (src_bytes < kHeaderBytes + 4 || std::memcmp(in, kStateMagic, 8) != 0)
    return make_status(RWKV_EDGE_BAD_STATE, "not an rwkv-edge state file (no RWKVSTAT header)");
  if (get_u32(in + 8) != kStateFormatVersion)
    return make_status(RWKV_EDGE_BAD_STATE, "state file format %u, this runtime reads %u", get_u32(in + 8),
                       kStateFormatVersion);
  const uint64_t stored_bytes = get_u64(in + 40);
  if (stored_bytes != src_bytes - kHeaderBytes - 4)
    return make_status(RWKV_EDGE_BAD_STATE, "state file is %zu bytes but its header says %llu of state (truncated?)",
                       src_bytes, static_cast<unsigned long long>(stored_bytes));
  if (get_u32(in + src_bytes - 4) != crc32(in, src_bytes - 4))
    return make_status(RWKV_EDGE_BAD_STATE, "state file checksum mismatch (corrupt file)");
  const Header h = header_of(s);
  if (get_u32(in + 12) != h.rwkv_version || get_u32(in + 16) != h.n_layer || get_u32(in + 20) != h.n_embd ||
      get_u32(in + 24) != h.n_head || get_u32(in + 28) != h.head_size || stored_bytes != h.state_bytes)
    return make_status(RWKV_EDGE_BAD_STATE,
                       "state file is for another model shape (RWKV %u.%u, %u layers, n_embd %u); this is RWKV %u.%u, "
                       "%u layers, n_embd %u",
                       get_u32(in + 12) / 10, get_u32(in + 12) % 10, get_u32(in + 16), get_u32(in + 20), h.rwkv_version / 10,
                       h.rwkv_version % 10, h.n_layer, h.n_embd);
  if (get_u64(in + 32) != h.fingerprint)
    return make_status(RWKV_EDGE_BAD_STATE,
                       "state file is from another model of the same shape (other weights or precision)");
  std::memcpy(s->state, in + kHeaderBytes, s->state_bytes);
  if (s->cuda.live) return cuda_state_to_device(s);
  return ok_status();
}

}  // extern "C"
