#include "onednn_matvec.h"

namespace rwkv_edge::onednn {
namespace {

// x[1][cols] @ Wt[cols][rows] where Wt is our row-major W viewed with strides (1, cols).
bool make_primitive_desc(const Context& ctx, size_t rows, size_t cols,
                         dnnl_primitive_desc_t* pd, dnnl_memory_desc_t* src_md,
                         dnnl_memory_desc_t* wei_md, dnnl_memory_desc_t* dst_md) {
  const dnnl_dims_t src_dims = {1, static_cast<dnnl_dim_t>(cols)};
  const dnnl_dims_t wei_dims = {static_cast<dnnl_dim_t>(cols), static_cast<dnnl_dim_t>(rows)};
  const dnnl_dims_t wei_strides = {1, static_cast<dnnl_dim_t>(cols)};
  const dnnl_dims_t dst_dims = {1, static_cast<dnnl_dim_t>(rows)};
  if (dnnl_memory_desc_init_by_tag(src_md, 2, src_dims, dnnl_f32, dnnl_ab) != dnnl_success ||
      dnnl_memory_desc_init_by_strides(wei_md, 2, wei_dims, dnnl_f32, wei_strides) != dnnl_success ||
      dnnl_memory_desc_init_by_tag(dst_md, 2, dst_dims, dnnl_f32, dnnl_ab) != dnnl_success)
    return false;
  dnnl_matmul_desc_t desc;
  if (dnnl_matmul_desc_init(&desc, src_md, wei_md, nullptr, dst_md) != dnnl_success) return false;
  dnnl_primitive_attr_t attr = nullptr;
  if (dnnl_primitive_attr_create(&attr) != dnnl_success) return false;
  bool ok = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user) == dnnl_success &&
            dnnl_primitive_desc_create(pd, &desc, attr, ctx.engine, nullptr) == dnnl_success;
  dnnl_primitive_attr_destroy(attr);
  return ok;
}

size_t scratchpad_size(const_dnnl_primitive_desc_t pd) {
  const dnnl_memory_desc_t* md = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
  return md == nullptr ? 0 : dnnl_memory_desc_get_size(md);
}

}  // namespace

bool create_context(Context* ctx) {
  if (dnnl_engine_create(&ctx->engine, dnnl_cpu, 0) != dnnl_success) return false;
  if (dnnl_stream_create(&ctx->stream, ctx->engine, dnnl_stream_default_flags) != dnnl_success) {
    destroy_context(ctx);
    return false;
  }
  return true;
}

void destroy_context(Context* ctx) {
  if (ctx->stream) dnnl_stream_destroy(ctx->stream);
  if (ctx->engine) dnnl_engine_destroy(ctx->engine);
  ctx->stream = nullptr;
  ctx->engine = nullptr;
}

size_t matvec_scratchpad_bytes(const Context& ctx, size_t rows, size_t cols, bool* ok) {
  dnnl_primitive_desc_t pd = nullptr;
  dnnl_memory_desc_t s, w, d;
  *ok = make_primitive_desc(ctx, rows, cols, &pd, &s, &w, &d);
  if (!*ok) return 0;
  const size_t bytes = scratchpad_size(pd);
  dnnl_primitive_desc_destroy(pd);
  return bytes;
}

bool create_matvec(const Context& ctx, const float* W, const float* x, float* out, size_t rows,
                   size_t cols, void* scratch, size_t scratch_bytes, MatVec* mv) {
  dnnl_primitive_desc_t pd = nullptr;
  dnnl_memory_desc_t src_md, wei_md, dst_md;
  if (!make_primitive_desc(ctx, rows, cols, &pd, &src_md, &wei_md, &dst_md)) return false;
  const size_t need = scratchpad_size(pd);
  bool ok = need <= scratch_bytes && (need == 0 || scratch != nullptr);
  ok = ok && dnnl_primitive_create(&mv->primitive, pd) == dnnl_success;
  // oneDNN never writes the weights; its API takes a non-const handle.
  ok = ok && dnnl_memory_create(&mv->src, &src_md, ctx.engine, const_cast<float*>(x)) == dnnl_success;
  ok = ok && dnnl_memory_create(&mv->weights, &wei_md, ctx.engine, const_cast<float*>(W)) == dnnl_success;
  ok = ok && dnnl_memory_create(&mv->dst, &dst_md, ctx.engine, out) == dnnl_success;
  if (ok && need > 0) {
    const dnnl_memory_desc_t* smd = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    ok = dnnl_memory_create(&mv->scratchpad, smd, ctx.engine, scratch) == dnnl_success;
  }
  dnnl_primitive_desc_destroy(pd);
  if (!ok) destroy_matvec(mv);
  return ok;
}

bool run_matvec(const Context& ctx, const MatVec& mv) {
  dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, mv.src},
                             {DNNL_ARG_WEIGHTS, mv.weights},
                             {DNNL_ARG_DST, mv.dst},
                             {DNNL_ARG_SCRATCHPAD, mv.scratchpad}};
  const int n_args = mv.scratchpad ? 4 : 3;
  return dnnl_primitive_execute(mv.primitive, ctx.stream, n_args, args) == dnnl_success &&
         dnnl_stream_wait(ctx.stream) == dnnl_success;
}

void destroy_matvec(MatVec* mv) {
  if (mv->primitive) dnnl_primitive_destroy(mv->primitive);
  if (mv->src) dnnl_memory_destroy(mv->src);
  if (mv->weights) dnnl_memory_destroy(mv->weights);
  if (mv->dst) dnnl_memory_destroy(mv->dst);
  if (mv->scratchpad) dnnl_memory_destroy(mv->scratchpad);
  *mv = MatVec{};
}

}  // namespace rwkv_edge::onednn
