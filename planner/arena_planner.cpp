#include "arena_planner.h"

#include <algorithm>
#include <numeric>

#include "matvec_batches.h"
#include "model_file.h"
#include "op_signatures.h"
#include "plan_error.h"

namespace rwkv_edge::planner {
namespace {

constexpr uint64_t kAlign = RWKV_EDGE_ARENA_ALIGNMENT;

uint64_t bytes_of(const GraphBuffer& b) { return align_up(b.numel * sizeof(float), kAlign); }

struct Interval {
  int64_t first = -1, last = -1;
  void touch(int64_t t) {
    if (first < 0 || t < first) first = t;
    last = std::max(last, t);
  }
  bool overlaps(const Interval& o) const { return first <= o.last && o.first <= last; }
};

// Offsets (from the planned region's start) for every activation, `bytes(b)`
// each; in-place merges give an op's output its input's memory.
struct Placement {
  std::vector<uint64_t> offset;  // per buffer; persistent ones are left 0
  uint64_t high = 0;
  uint64_t naive = 0;
  uint32_t merges = 0;
};

template <typename BytesOf>
Placement place_activations(const Graph& g, BytesOf bytes) {
  const size_t n = g.buffers.size();
  const auto end_of_step = static_cast<int64_t>(g.ops.size());
  std::vector<Interval> life(n);
  for (size_t t = 0; t < g.ops.size(); ++t) {
    for (const Operand& in : g.ops[t].inputs)
      if (!in.weight) life[in.index].touch(static_cast<int64_t>(t));
    for (uint32_t out : g.ops[t].outputs) life[out].touch(static_cast<int64_t>(t));
  }
  life[g.logits].touch(end_of_step);  // read by the caller after the step

  // The runtime runs consecutive mat-vecs that do not feed each other as one
  // job (runtime/matvec_batches.h), all at once: their inputs and outputs
  // must not share memory, so every one lives until the run's last op.
  for (size_t t = 0; t < g.ops.size();) {
    size_t end = t + 1;
    auto is_matvec = [&](size_t i) { return g.ops[i].type == fb::OpType::MatVec && !g.ops[i].inputs[1].weight; };
    if (is_matvec(t))
      while (end < g.ops.size() && end - t < kMaxMatVecBatch && is_matvec(end)) {
        bool feeds = false;
        for (size_t m = t; m < end; ++m) feeds |= g.ops[end].inputs[1].index == g.ops[m].outputs[0];
        if (feeds) break;
        ++end;
      }
    for (size_t m = t; m < end && is_matvec(t); ++m) {
      life[g.ops[m].inputs[1].index].touch(static_cast<int64_t>(end - 1));
      life[g.ops[m].outputs[0]].touch(static_cast<int64_t>(end - 1));
    }
    t = end;
  }

  // Union-find of buffers that share memory through in-place ops.
  std::vector<uint32_t> root(n);
  std::iota(root.begin(), root.end(), 0u);
  auto find = [&](uint32_t b) {
    while (root[b] != b) b = root[b] = root[root[b]];
    return b;
  };
  Placement result;
  result.offset.assign(n, 0);
  for (size_t t = 0; t < g.ops.size(); ++t) {
    const GraphOp& op = g.ops[t];
    if (!op_signature(static_cast<uint16_t>(op.type))->in_place_ok) continue;
    const uint32_t out = op.outputs[0];
    if (g.buffers[out].persistent || life[out].first != static_cast<int64_t>(t) || out == g.logits) continue;
    for (const Operand& in : op.inputs) {
      if (in.weight || g.buffers[in.index].persistent) continue;
      const uint32_t r = find(in.index);
      if (g.buffers[in.index].numel != g.buffers[out].numel || life[r].last != static_cast<int64_t>(t)) continue;
      root[out] = r;
      life[r].touch(life[out].last);
      ++result.merges;
      break;
    }
  }

  // Greedy by size over the roots.
  std::vector<uint32_t> roots;
  for (uint32_t b = 0; b < n; ++b)
    if (!g.buffers[b].persistent && find(b) == b) {
      if (life[b].first < 0) throw PlanError("internal: buffer '" + g.buffers[b].name + "' is never used");
      roots.push_back(b);
      result.naive += bytes(b);
    }
  std::stable_sort(roots.begin(), roots.end(),
                   [&](uint32_t a, uint32_t b) { return bytes(a) > bytes(b); });
  struct Placed {
    uint64_t begin, end;
    Interval life;
  };
  std::vector<Placed> placed;
  uint64_t high = 0;
  for (uint32_t b : roots) {
    const uint64_t size = bytes(b);
    std::vector<std::pair<uint64_t, uint64_t>> busy;
    for (const Placed& p : placed)
      if (p.life.overlaps(life[b])) busy.emplace_back(p.begin, p.end);
    std::sort(busy.begin(), busy.end());
    uint64_t at = 0;
    for (const auto& [begin, end] : busy) {
      if (at + size <= begin) break;
      at = std::max(at, end);
    }
    result.offset[b] = at;
    placed.push_back({at, at + size, life[b]});
    high = std::max(high, at + size);
  }
  for (uint32_t b = 0; b < n; ++b)
    if (!g.buffers[b].persistent) result.offset[b] = result.offset[find(b)];
  result.high = high;
  return result;
}

}  // namespace

ArenaPlanResult plan_arena(Graph& g, uint64_t scratch_bytes, const SequenceOptions& sequence) {
  ArenaPlanResult result;
  // Persistent state first, in graph order.
  uint64_t offset = 0;
  for (GraphBuffer& b : g.buffers)
    if (b.persistent) {
      b.offset = b.seq_offset = offset;
      offset += bytes_of(b);
    }
  result.state_bytes = offset;
  result.planned_offset = offset;

  const Placement step = place_activations(g, [&](uint32_t b) { return bytes_of(g.buffers[b]); });
  for (uint32_t b = 0; b < g.buffers.size(); ++b)
    if (!g.buffers[b].persistent) g.buffers[b].offset = result.planned_offset + step.offset[b];
  result.planned_bytes = step.high;
  result.naive_activation_bytes = step.naive;
  result.in_place_merges = step.merges;
  result.scratch_offset = result.planned_offset + step.high;
  result.scratch_bytes = align_up(scratch_bytes, kAlign);
  result.total_bytes = result.scratch_offset + result.scratch_bytes;

  // Sequence mode: the same ops over max_chunk rows per activation (the
  // logits keep one row: only the chunk's last token needs them), laid over
  // the step's activations and scratch, which are dead between calls.
  if (sequence.max_chunk > 0) {
    const uint64_t rows = sequence.max_chunk;
    const Placement seq = place_activations(g, [&](uint32_t b) {
      return align_up(g.buffers[b].numel * sizeof(float) * (b == g.logits ? 1 : rows), kAlign);
    });
    for (uint32_t b = 0; b < g.buffers.size(); ++b)
      if (!g.buffers[b].persistent) g.buffers[b].seq_offset = result.planned_offset + seq.offset[b];
    result.max_chunk = sequence.max_chunk;
    result.sequence_scratch_offset = result.planned_offset + seq.high;
    result.sequence_scratch_bytes = align_up(sequence.scratch_bytes, kAlign);
    result.sequence_bytes = seq.high + result.sequence_scratch_bytes;
    result.total_bytes = std::max(result.total_bytes, result.planned_offset + result.sequence_bytes);
  }
  return result;
}

}  // namespace rwkv_edge::planner
