// Batch-1 mat-vec through a oneDNN matmul primitive. Everything (primitive,
// memory objects bound to fixed arena and weight addresses, user scratchpad)
// is created at init; running it allocates nothing on our side. Uses the C
// API because the runtime builds without exceptions.
#pragma once

#include <cstddef>

#include <dnnl.h>

namespace rwkv_edge::onednn {

struct Context {
  dnnl_engine_t engine = nullptr;
  dnnl_stream_t stream = nullptr;
};

struct MatVec {
  dnnl_primitive_t primitive = nullptr;
  dnnl_memory_t src = nullptr, weights = nullptr, dst = nullptr, scratchpad = nullptr;
};

bool create_context(Context* ctx);
void destroy_context(Context* ctx);

// Only mat-vecs of at least this many weights are bound to oneDNN (when the
// caller opts in): below it a primitive call's fixed cost dominates. The
// figure is a starting point, not yet measured here.
inline bool worth_binding(size_t rows, size_t cols) { return rows * cols >= 64 * 1024; }

// Scratchpad bytes the primitive for this shape needs (0 when oneDNN refuses the shape).
size_t matvec_scratchpad_bytes(const Context& ctx, size_t rows, size_t cols, bool* ok);

// Binds out = W[rows][cols] . x. scratch may be null when no scratchpad is needed.
bool create_matvec(const Context& ctx, const float* W, const float* x, float* out, size_t rows,
                   size_t cols, void* scratch, size_t scratch_bytes, MatVec* mv);
bool run_matvec(const Context& ctx, const MatVec& mv);
void destroy_matvec(MatVec* mv);

}  // namespace rwkv_edge::onednn
