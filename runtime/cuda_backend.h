// The CUDA backend of a session (rwkv_edge_options.backend): at init one
// device allocation takes the weights (uploaded once; on an integrated GPU
// mapped in place instead), the planned arena and a token slot, at the host plan's offsets; one step (token in, every op,
// logits out to the host arena) is captured as a CUDA graph. A step replays
// it and waits. Nothing is allocated after init, on the host or the device.
//
// The device's part of the recurrent state lives there; the state calls copy
// it through the host arena's state region (cuda_state_to_host / _to_device),
// buffer by buffer (StateInit::on_device).
//
// In a build without RWKV_EDGE_CUDA (cuda_backend_off.cpp) init refuses
// with RWKV_EDGE_UNSUPPORTED and the other calls are never reached.
#pragma once

#include <cstdint>

#include "model_verifier.h"
#include "rwkv_edge.h"

struct rwkv_edge_session;

namespace rwkv_edge {

// Every region of the device memory starts on this (cudaMalloc's own alignment).
inline constexpr uint64_t kCudaAlignment = 256;
constexpr uint64_t align_cuda(uint64_t n) { return (n + kCudaAlignment - 1) / kCudaAlignment * kCudaAlignment; }

struct CudaBackend {
  bool live = false;
  bool failed = false;  // a CUDA error mid-step: the context may be unusable, so every later call refuses
  bool host_registered = false;
  bool caller_buffer = false;  // base is the caller's (options.cuda_buffer): not freed here
  // Integrated GPUs (Jetson) share DRAM with the CPU: the weights are read in
  // place through a mapping of the caller's model bytes instead of a copy.
  bool weights_mapped = false;
  const void* mapped_from = nullptr;  // the page-aligned start that was registered
  int device = -1;
  void* stream = nullptr;      // cudaStream_t
  void* graph = nullptr;       // cudaGraphExec_t
  uint8_t* base = nullptr;     // the one device allocation
  uint64_t bytes = 0;
  uint8_t* weights = nullptr;  // inside base
  uint8_t* plan = nullptr;
  uint32_t* token = nullptr;
  uint32_t n_ops = 0;  // ops [0, n_ops) run on the device; the rest on the CPU after them
};

// After the host session is bound (ops resolved against host addresses).
// The first `n_ops` ops run on the device (all of them, or the CUDA-placed
// prefix of a mixed plan); what later CPU ops read of theirs is copied back
// at the end of the graph.
// `buffer` (may be null): the caller's device memory to use instead of allocating.
rwkv_edge_status cuda_init(rwkv_edge_session* s, uint32_t device, uint32_t n_ops, void* buffer, uint64_t buffer_bytes);
// Device bytes without mapped weights: weights, planned arena and token slot, each 256-byte aligned.
uint64_t cuda_device_bytes(const VerifiedModel& vm, bool weights_mapped);
// s->token holds the (checked) token; runs the device's ops. The logits end
// in s->logits when the head is among them.
rwkv_edge_status cuda_step(rwkv_edge_session* s);
rwkv_edge_status cuda_state_to_host(const rwkv_edge_session* s);
rwkv_edge_status cuda_state_to_device(rwkv_edge_session* s);
void cuda_release(rwkv_edge_session* s);
// Why this build has no CUDA backend, or "" when it has one.
const char* cuda_build_note();

}  // namespace rwkv_edge
