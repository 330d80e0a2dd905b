#include "calibration.h"

#include <cstdlib>
#include <map>
#include <memory>

#include "mapped_file.h"
#include "model_writer.h"
#include "plan_error.h"
#include "rwkv_edge.h"
#include "session.h"

namespace rwkv_edge::planner {
namespace {

struct Accumulator {
  std::map<uint32_t, std::vector<double>*> by_op;  // op index -> H being summed
};

void accumulate(void* ctx, uint32_t op_index, const ResolvedOp& op) {
  auto* acc = static_cast<Accumulator*>(ctx);
  const auto it = acc->by_op.find(op_index);
  if (it == acc->by_op.end()) return;
  const float* x = op.in[1];
  const uint64_t n = op.cols;
  double* h = it->second->data();
  for (uint64_t i = 0; i < n; ++i) {
    const double xi = x[i];
    for (uint64_t k = 0; k < n; ++k) h[i * n + k] += xi * x[k];
  }
}

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};

}  // namespace

HessianMap collect_hessians(Graph& g, const ModelDims& dims, float ln_x_eps, const CalibrationRequest& request) {
  HessianMap out;
  if (request.weights.empty() || request.tokens.empty()) return out;
  const ArenaPlanResult arena = plan_arena(g, 0, {});
  TemporaryFile temp(request.scratch_beside, "calibration");
  write_model(temp, g, dims, arena, ln_x_eps, "calibration", "calibration");
  MappedFile file(temp.path());
  size_t arena_bytes = 0;
  rwkv_edge_status st = rwkv_edge_arena_size_required(file.data(), file.size(), &arena_bytes);
  if (st.code != RWKV_EDGE_OK) throw PlanError(std::string("internal: calibration model: ") + st.message);
  std::unique_ptr<void, FreeDeleter> memory(
      std::aligned_alloc(RWKV_EDGE_ARENA_ALIGNMENT, align_up(arena_bytes, RWKV_EDGE_ARENA_ALIGNMENT)));
  if (!memory) throw PlanError("out of memory for the calibration arena");

  // Batches of tables whose H fit the memory budget, one pass over the tokens each.
  std::vector<std::vector<std::pair<uint32_t, uint32_t>>> batches(1);  // (op index, weight index)
  uint64_t batch_bytes = 0;
  for (uint32_t i = 0; i < g.ops.size(); ++i) {
    const GraphOp& op = g.ops[i];
    if (op.type != fb::OpType::MatVec || !request.weights.count(op.inputs[0].index)) continue;
    const uint64_t cols = g.weights[op.inputs[0].index].shape[1], bytes = cols * cols * sizeof(double);
    if (batch_bytes > 0 && batch_bytes + bytes > request.max_hessian_bytes) {
      batches.emplace_back();
      batch_bytes = 0;
    }
    batches.back().emplace_back(i, op.inputs[0].index);
    batch_bytes += bytes;
  }
  const uint64_t total = request.tokens.size() * batches.size();
  uint64_t done = 0;
  report(request.progress, "calibration", 0, total);
  for (const auto& batch : batches) {
    if (batch.empty()) continue;
    Accumulator acc;
    for (const auto& [op_index, weight] : batch) {
      const uint64_t cols = g.weights[weight].shape[1];
      auto& h = out[weight];
      h.assign(cols * cols, 0.0);
      acc.by_op[op_index] = &h;
    }
    rwkv_edge_session* s = nullptr;
    st = rwkv_edge_init(file.data(), file.size(), memory.get(), arena_bytes, nullptr, &s);
    if (st.code != RWKV_EDGE_OK) throw PlanError(std::string("internal: calibration session: ") + st.message);
    for (uint32_t token : request.tokens) {
      st = step_observed(s, token, accumulate, &acc);
      if (st.code != RWKV_EDGE_OK) {
        rwkv_edge_release(s);
        throw PlanError(std::string("calibration: ") + st.message);
      }
      if (++done % 64 == 0) report(request.progress, "calibration", done, total);
    }
    rwkv_edge_release(s);
    for (const auto& [op_index, weight] : batch)
      for (double& v : out[weight]) v /= static_cast<double>(request.tokens.size());
  }
  report(request.progress, "calibration", total, total);
  return out;
}

}  // namespace rwkv_edge::planner
