#include <cuda_runtime_api.h>

#include <chrono>
#include <stdexcept>
#include <string>

#include "memory_bandwidth.h"

namespace rwkv_edge::cli {
namespace {

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw std::runtime_error(std::string("CUDA bandwidth probe: ") + what + ": " + cudaGetErrorString(e));
}

}  // namespace

double measure_cuda_copy_bandwidth_gb_s(uint32_t device) {
  constexpr size_t kBytes = size_t{256} << 20;
  check(cudaSetDevice(static_cast<int>(device)), "selecting the device");
  void *src = nullptr, *dst = nullptr;
  check(cudaMalloc(&src, kBytes), "allocating");
  if (cudaMalloc(&dst, kBytes) != cudaSuccess) {
    cudaFree(src);
    throw std::runtime_error("CUDA bandwidth probe: allocating");
  }
  cudaEvent_t start = nullptr, stop = nullptr;
  float best_ms = 0.0f;
  cudaError_t e = cudaEventCreate(&start);
  if (e == cudaSuccess) e = cudaEventCreate(&stop);
  if (e == cudaSuccess) e = cudaMemcpy(dst, src, kBytes, cudaMemcpyDeviceToDevice);  // warm-up
  for (int pass = 0; pass < 5 && e == cudaSuccess; ++pass) {
    e = cudaEventRecord(start);
    if (e == cudaSuccess) e = cudaMemcpyAsync(dst, src, kBytes, cudaMemcpyDeviceToDevice);
    if (e == cudaSuccess) e = cudaEventRecord(stop);
    if (e == cudaSuccess) e = cudaEventSynchronize(stop);
    float ms = 0.0f;
    if (e == cudaSuccess) e = cudaEventElapsedTime(&ms, start, stop);
    if (e == cudaSuccess && (best_ms == 0.0f || ms < best_ms)) best_ms = ms;
  }
  if (start) cudaEventDestroy(start);
  if (stop) cudaEventDestroy(stop);
  cudaFree(src);
  cudaFree(dst);
  check(e, "timing copies");
  // A copy reads and writes every byte.
  return 2.0 * static_cast<double>(kBytes) / (best_ms * 1e-3) / 1e9;
}

double measure_cuda_graph_replay_us(uint32_t device) {
  constexpr int kReplays = 1000;
  check(cudaSetDevice(static_cast<int>(device)), "selecting the device");
  void* word = nullptr;
  check(cudaMalloc(&word, 4), "allocating");
  cudaStream_t stream = nullptr;
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  cudaError_t e = cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking);
  if (e == cudaSuccess) e = cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal);
  if (e == cudaSuccess) {
    e = cudaMemsetAsync(word, 0, 4, stream);
    const cudaError_t end = cudaStreamEndCapture(stream, &graph);
    if (e == cudaSuccess) e = end;
  }
  if (e == cudaSuccess) e = cudaGraphInstantiate(&exec, graph, 0);
  for (int i = 0; i < 10 && e == cudaSuccess; ++i) {  // warm-up
    e = cudaGraphLaunch(exec, stream);
    if (e == cudaSuccess) e = cudaStreamSynchronize(stream);
  }
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kReplays && e == cudaSuccess; ++i) {
    e = cudaGraphLaunch(exec, stream);
    if (e == cudaSuccess) e = cudaStreamSynchronize(stream);
  }
  const double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
  if (exec) cudaGraphExecDestroy(exec);
  if (graph) cudaGraphDestroy(graph);
  if (stream) cudaStreamDestroy(stream);
  cudaFree(word);
  check(e, "replaying a graph");
  return us / kReplays;
}

}  // namespace rwkv_edge::cli
