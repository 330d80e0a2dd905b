// How a session splits its ops between the GPU and the CPU (a mixed plan,
// or a CUDA session running everything): which buffers the device's part
// writes and which of those the host must get back after it. Pure graph
// logic, kept apart from the CUDA code so it is tested without a GPU.
#pragma once

#include <cstdint>

#include "rwkv_edge_generated.h"

namespace rwkv_edge {

// The leading ops placed on CUDA (the verifier checked they form a prefix); 0: none.
uint32_t planned_cuda_ops(const fb::Model& model);
// Whether one of ops [0, n_device_ops) writes `buffer`.
bool written_on_device(const fb::Model& model, uint32_t n_device_ops, uint32_t buffer);
// Whether `buffer` must be copied to the host after the device's ops: the
// device writes it, and it is the logits or an input of a later CPU op.
bool handed_to_host(const fb::Model& model, uint32_t n_device_ops, uint32_t buffer);

}  // namespace rwkv_edge
