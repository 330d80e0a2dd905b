#include "cuda_backend.h"

#include <cuda_runtime_api.h>

#include "cuda_ops.h"
#include "placement_split.h"
#include "session.h"
#include "status.h"

namespace rwkv_edge {
namespace {

using fb::OpType;


cudaStream_t stream_of(const CudaBackend& c) { return static_cast<cudaStream_t>(c.stream); }

Status cuda_error(const char* what, cudaError_t e) {
  return make_status(RWKV_EDGE_BACKEND_ERROR, "CUDA: %s failed: %s (%s)", what, cudaGetErrorString(e),
                     cudaGetErrorName(e));
}

// The device address of a host address inside the model's weights or the planned arena.
template <class T>
T* on_device(const rwkv_edge_session* s, const T* host) {
  const auto* p = reinterpret_cast<const uint8_t*>(host);
  const CudaBackend& c = s->cuda;
  const uint8_t* weights = s->model.weights;
  if (p >= weights && p < weights + s->model.prefix.weights_bytes)
    return reinterpret_cast<T*>(c.weights + (p - weights));
  return reinterpret_cast<T*>(c.plan + (p - s->plan_base));
}

cuda::Matrix device_matrix(const rwkv_edge_session* s, const ref::WeightMatrix& m) {
  return {m.format, on_device(s, m.data), m.rows, m.cols, m.group};
}

cudaError_t launch(const rwkv_edge_session* s, const ResolvedOp& r, cudaStream_t st) {
  const float* in[kMaxOpInputs];
  float* out[kMaxOpOutputs];
  for (int i = 0; i < kMaxOpInputs; ++i) in[i] = r.in[i] ? on_device(s, r.in[i]) : nullptr;
  for (int i = 0; i < kMaxOpOutputs; ++i) out[i] = r.out[i] ? on_device(s, r.out[i]) : nullptr;
  const uint64_t n = r.n;
  const auto heads = static_cast<uint32_t>(r.iparam);
  using cuda::Binary, cuda::Ternary, cuda::Unary;
  switch (static_cast<OpType>(r.type)) {
    case OpType::Embed: return cuda::embed(device_matrix(s, r.table), s->cuda.token, out[0], st);
    case OpType::MatVec: return cuda::matvec(device_matrix(s, r.table), in[1], out[0], st);
    case OpType::LayerNorm: return cuda::layer_norm(in[0], in[1], in[2], out[0], n, r.fparam, st);
    case OpType::GroupNorm: return cuda::group_norm(in[0], in[1], in[2], out[0], n, heads, r.fparam, st);
    case OpType::Add: return cuda::binary(Binary::Add, in[0], in[1], out[0], n, st);
    case OpType::Sub: return cuda::binary(Binary::Sub, in[0], in[1], out[0], n, st);
    case OpType::Mul: return cuda::binary(Binary::Mul, in[0], in[1], out[0], n, st);
    case OpType::MulAdd: return cuda::ternary(Ternary::MulAdd, in[0], in[1], in[2], out[0], n, st);
    case OpType::Lerp: return cuda::ternary(Ternary::Lerp, in[0], in[1], in[2], out[0], n, st);
    case OpType::V7KeyMix: return cuda::ternary(Ternary::V7KeyMix, in[0], in[1], in[2], out[0], n, st);
    case OpType::Sigmoid: return cuda::unary(Unary::Sigmoid, in[0], 0.0f, out[0], n, st);
    case OpType::Tanh: return cuda::unary(Unary::Tanh, in[0], 0.0f, out[0], n, st);
    case OpType::Silu: return cuda::unary(Unary::Silu, in[0], 0.0f, out[0], n, st);
    case OpType::ReluSquare: return cuda::unary(Unary::ReluSquare, in[0], 0.0f, out[0], n, st);
    case OpType::ExpNegExp: return cuda::unary(Unary::ExpNegExp, in[0], 0.0f, out[0], n, st);
    case OpType::V7Decay: return cuda::unary(Unary::V7Decay, in[0], 0.0f, out[0], n, st);
    case OpType::Copy: return cuda::unary(Unary::Copy, in[0], 0.0f, out[0], n, st);
    case OpType::Scale: return cuda::unary(Unary::Scale, in[0], r.fparam, out[0], n, st);
    case OpType::HeadL2Norm: return cuda::head_l2_norm(in[0], out[0], n, heads, st);
    case OpType::V7Bonus: return cuda::v7_bonus(in[0], in[1], in[2], in[3], in[4], out[0], n, heads, st);
    case OpType::Wkv4: return cuda::wkv4(in[0], in[1], in[2], in[3], out[1], out[2], out[3], out[0], n, st);
    case OpType::Wkv5: return cuda::wkv5(in[0], in[1], in[2], in[3], in[4], out[1], out[0], n, heads, st);
    case OpType::Wkv7: return cuda::wkv7(in[0], in[1], in[2], in[3], in[4], in[5], out[1], out[0], n, heads, st);
  }
  return cudaErrorInvalidValue;
}

// The WKV kernels run a thread per row or column of a head's state.
Status check_head_sizes(const rwkv_edge_session* s) {
  for (uint32_t i = 0; i < s->cuda.n_ops; ++i) {
    const ResolvedOp& r = s->ops[i];
    const auto type = static_cast<OpType>(r.type);
    if ((type == OpType::Wkv5 || type == OpType::Wkv7) && r.n / static_cast<uint64_t>(r.iparam) > cuda::kMaxHeadSize)
      return make_status(RWKV_EDGE_UNSUPPORTED, "head size %llu: the CUDA WKV kernels take at most %u",
                         static_cast<unsigned long long>(r.n / static_cast<uint64_t>(r.iparam)), cuda::kMaxHeadSize);
  }
  return ok_status();
}

uint32_t n_buffers(const rwkv_edge_session* s) { return s->model.model->arena()->buffers()->size(); }

// Token in, the device's ops, what the host needs out: recorded once,
// replayed by every step.
Status capture_step(rwkv_edge_session* s) {
  CudaBackend& c = s->cuda;
  const cudaStream_t st = stream_of(c);
  cudaError_t e = cudaStreamBeginCapture(st, cudaStreamCaptureModeThreadLocal);
  if (e != cudaSuccess) return cuda_error("beginning the step's graph capture", e);
  e = cudaMemcpyAsync(c.token, &s->token, sizeof s->token, cudaMemcpyHostToDevice, st);
  for (uint32_t i = 0; i < c.n_ops && e == cudaSuccess; ++i) e = launch(s, s->ops[i], st);
  for (uint32_t b = 0; b < n_buffers(s) && e == cudaSuccess; ++b)
    if (handed_to_host(*s->model.model, c.n_ops, b)) {
      const fb::Buffer& buffer = *s->model.model->arena()->buffers()->Get(b);
      uint8_t* host = s->plan_base + buffer.offset();
      e = cudaMemcpyAsync(host, on_device(s, host), buffer.size(), cudaMemcpyDeviceToHost, st);
    }
  cudaGraph_t graph = nullptr;
  const cudaError_t end = cudaStreamEndCapture(st, &graph);
  if (e == cudaSuccess) e = end;
  if (e != cudaSuccess) {
    if (graph != nullptr) cudaGraphDestroy(graph);
    return cuda_error("recording the step as a CUDA graph", e);
  }
  cudaGraphExec_t exec = nullptr;
  e = cudaGraphInstantiate(&exec, graph, 0);
  cudaGraphDestroy(graph);
  if (e != cudaSuccess) return cuda_error("instantiating the step's CUDA graph", e);
  c.graph = exec;
  // Uploading now keeps the first step as fast as the rest.
  e = cudaGraphUpload(exec, st);
  if (e == cudaSuccess) e = cudaStreamSynchronize(st);
  return e == cudaSuccess ? ok_status() : cuda_error("uploading the step's CUDA graph", e);
}

// On an integrated GPU: map the caller's weight bytes for the device (read
// only, pages rounded out). Refused (e.g. a file mapping the driver cannot
// pin), the weights are copied as on a discrete GPU.
void map_weights(rwkv_edge_session* s) {
  CudaBackend& c = s->cuda;
  // The kernels' 16-byte loads need the weight area 16-byte aligned in place.
  if (reinterpret_cast<uintptr_t>(s->model.weights) % 16 != 0) return;
  constexpr uintptr_t kPage = 4096;
  const auto start = reinterpret_cast<uintptr_t>(s->model.weights) & ~(kPage - 1);
  const uintptr_t end = reinterpret_cast<uintptr_t>(s->model.weights) + s->model.prefix.weights_bytes;
  void* from = reinterpret_cast<void*>(start);
  if (cudaHostRegister(from, end - start, cudaHostRegisterMapped | cudaHostRegisterReadOnly) != cudaSuccess) {
    (void)cudaGetLastError();  // not sticky; clear it so later checks see only their own errors
    return;
  }
  void* device = nullptr;
  if (cudaHostGetDevicePointer(&device, from, 0) != cudaSuccess) {
    (void)cudaGetLastError();
    cudaHostUnregister(from);
    return;
  }
  c.weights_mapped = true;
  c.mapped_from = from;
  c.weights = static_cast<uint8_t*>(device) + (reinterpret_cast<uintptr_t>(s->model.weights) - start);
}

// The caller's device memory, checked: enough of it, aligned, and on this device.
Status use_caller_buffer(CudaBackend& c, void* buffer, uint64_t bytes) {
  if (bytes < c.bytes)
    return make_status(RWKV_EDGE_ARENA_TOO_SMALL, "options.cuda_buffer is %llu bytes, this model needs %llu",
                       static_cast<unsigned long long>(bytes), static_cast<unsigned long long>(c.bytes));
  if (reinterpret_cast<uintptr_t>(buffer) % kCudaAlignment != 0)
    return make_status(RWKV_EDGE_ARENA_MISALIGNED, "options.cuda_buffer must be %llu-byte aligned",
                       static_cast<unsigned long long>(kCudaAlignment));
  cudaPointerAttributes attributes{};
  const cudaError_t e = cudaPointerGetAttributes(&attributes, buffer);
  if (e != cudaSuccess) return cuda_error("inspecting options.cuda_buffer", e);
  if ((attributes.type != cudaMemoryTypeDevice && attributes.type != cudaMemoryTypeManaged) ||
      attributes.device != c.device)
    return make_status(RWKV_EDGE_INVALID_ARGUMENT, "options.cuda_buffer is not device memory of CUDA device %d",
                       c.device);
  c.base = static_cast<uint8_t*>(buffer);
  c.caller_buffer = true;
  return ok_status();
}

Status bind_device(rwkv_edge_session* s, uint32_t device, void* buffer, uint64_t buffer_bytes) {
  CudaBackend& c = s->cuda;
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess || count == 0)
    return make_status(RWKV_EDGE_UNSUPPORTED, "no CUDA device: %s",
                       e != cudaSuccess ? cudaGetErrorString(e) : "the driver reports none");
  if (device >= static_cast<uint32_t>(count))
    return make_status(RWKV_EDGE_INVALID_ARGUMENT, "CUDA device %u was asked for; this machine has %d", device, count);
  if ((e = cudaSetDevice(static_cast<int>(device))) != cudaSuccess) return cuda_error("selecting the device", e);
  c.device = static_cast<int>(device);
  RWKV_EDGE_RETURN_IF_ERROR(check_head_sizes(s));

  const fb::ArenaPlan& plan = *s->model.model->arena();
  cudaDeviceProp props{};
  if ((e = cudaGetDeviceProperties(&props, c.device)) != cudaSuccess) return cuda_error("reading the device", e);
  // A caller's buffer was sized by rwkv_edge_cuda_bytes_required, which counts the weights.
  if (props.integrated && props.canMapHostMemory && buffer == nullptr) map_weights(s);
  const uint64_t weights = c.weights_mapped ? 0 : align_cuda(s->model.prefix.weights_bytes),
                 planned = align_cuda(plan.total_bytes());
  c.bytes = cuda_device_bytes(s->model, c.weights_mapped);
  if (buffer != nullptr) {
    RWKV_EDGE_RETURN_IF_ERROR(use_caller_buffer(c, buffer, buffer_bytes));
  } else {
    size_t free_bytes = 0, total_bytes = 0;
    if ((e = cudaMemGetInfo(&free_bytes, &total_bytes)) != cudaSuccess) return cuda_error("reading device memory", e);
    if (c.bytes > free_bytes)
      return make_status(RWKV_EDGE_BACKEND_ERROR,
                         "this model needs %llu bytes of device memory; the device has %zu free of %zu",
                         static_cast<unsigned long long>(c.bytes), free_bytes, total_bytes);
    void* base = nullptr;
    if ((e = cudaMalloc(&base, c.bytes)) != cudaSuccess) return cuda_error("allocating device memory", e);
    c.base = static_cast<uint8_t*>(base);
  }
  if (!c.weights_mapped) c.weights = c.base;
  c.plan = c.base + weights;
  c.token = reinterpret_cast<uint32_t*>(c.plan + planned);
  cudaStream_t stream = nullptr;
  if ((e = cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking)) != cudaSuccess)
    return cuda_error("creating a stream", e);
  c.stream = stream;
  if (!c.weights_mapped &&
      (e = cudaMemcpy(c.weights, s->model.weights, s->model.prefix.weights_bytes, cudaMemcpyHostToDevice)) !=
          cudaSuccess)
    return cuda_error("uploading the weights", e);
  if ((e = cudaMemset(c.plan, 0, planned)) != cudaSuccess) return cuda_error("clearing the device arena", e);
  // Pinned, the arena's token and logits move by DMA inside the graph.
  if ((e = cudaHostRegister(s->arena, s->arena_bytes, cudaHostRegisterDefault)) != cudaSuccess)
    return cuda_error("pinning the host arena", e);
  c.host_registered = true;
  return capture_step(s);
}

}  // namespace

const char* cuda_build_note() { return ""; }

rwkv_edge_status cuda_init(rwkv_edge_session* s, uint32_t device, uint32_t n_ops, void* buffer,
                           uint64_t buffer_bytes) {
  s->cuda = CudaBackend{};
  s->cuda.n_ops = n_ops;
  for (uint32_t k = 0; k < s->n_state_inits; ++k) {
    StateInit& init = s->state_inits[k];
    init.on_device = written_on_device(*s->model.model, n_ops, init.buffer);
  }
  const Status st = bind_device(s, device, buffer, buffer_bytes);
  if (st.code != RWKV_EDGE_OK) {
    cuda_release(s);
    return st;
  }
  s->cuda.live = true;
  return ok_status();
}

rwkv_edge_status cuda_step(rwkv_edge_session* s) {
  CudaBackend& c = s->cuda;
  if (c.failed) return make_status(RWKV_EDGE_BACKEND_ERROR, "an earlier CUDA error left this session unusable");
  cudaError_t e = cudaGraphLaunch(static_cast<cudaGraphExec_t>(c.graph), stream_of(c));
  if (e == cudaSuccess) e = cudaStreamSynchronize(stream_of(c));
  if (e != cudaSuccess) {
    c.failed = true;
    return cuda_error("a step", e);
  }
  return ok_status();
}

rwkv_edge_status cuda_state_to_host(const rwkv_edge_session* s) {
  if (s->cuda.failed) return make_status(RWKV_EDGE_BACKEND_ERROR, "an earlier CUDA error left this session unusable");
  cudaError_t e = cudaSuccess;
  for (uint32_t k = 0; k < s->n_state_inits && e == cudaSuccess; ++k) {
    const StateInit& init = s->state_inits[k];
    if (init.on_device) e = cudaMemcpy(init.dst, on_device(s, init.dst), init.n * sizeof(float), cudaMemcpyDeviceToHost);
  }
  return e == cudaSuccess ? ok_status() : cuda_error("reading the state", e);
}

rwkv_edge_status cuda_state_to_device(rwkv_edge_session* s) {
  if (s->cuda.failed) return make_status(RWKV_EDGE_BACKEND_ERROR, "an earlier CUDA error left this session unusable");
  cudaError_t e = cudaSuccess;
  for (uint32_t k = 0; k < s->n_state_inits && e == cudaSuccess; ++k) {
    const StateInit& init = s->state_inits[k];
    if (init.on_device) e = cudaMemcpy(on_device(s, init.dst), init.dst, init.n * sizeof(float), cudaMemcpyHostToDevice);
  }
  if (e != cudaSuccess) s->cuda.failed = true;
  return e == cudaSuccess ? ok_status() : cuda_error("writing the state", e);
}

void cuda_release(rwkv_edge_session* s) {
  CudaBackend& c = s->cuda;
  if (c.graph != nullptr) cudaGraphExecDestroy(static_cast<cudaGraphExec_t>(c.graph));
  if (c.stream != nullptr) cudaStreamDestroy(stream_of(c));
  if (c.base != nullptr && !c.caller_buffer) cudaFree(c.base);
  if (c.host_registered) cudaHostUnregister(s->arena);
  if (c.weights_mapped) cudaHostUnregister(const_cast<void*>(c.mapped_from));
  c = CudaBackend{};
}

}  // namespace rwkv_edge
