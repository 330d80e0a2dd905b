#include <cstdio>

#include <nlohmann/json.hpp>

#include "cli_args.h"
#include "commands.h"
#include "mapped_file.h"
#include "model_session.h"
#include "model_summary.h"
#include "placement_split.h"
#include "model_verifier.h"
#include "rwkv_model.h"
#include "session.h"

namespace rwkv_edge::cli {
namespace {

const char* region_name(fb::RegionKind k) {
  switch (k) {
    case fb::RegionKind::Persistent: return "persistent state";
    case fb::RegionKind::Planned: return "planned activations";
    case fb::RegionKind::Scratch: return "scratch";
  }
  return "?";
}

// "i4:32" for int4 (its group size), else the dtype's name.
std::string stored_type(const fb::Tensor& t) {
  std::string name = dtype_name(t.dtype());
  if (t.dtype() == fb::DType::I4) name += ":" + std::to_string(t.group_size());
  return name;
}

struct VocabularySummary {
  std::string kind = "none", source;
  uint32_t tokens = 0;  // ids, as the model numbers them (World's id 0 has no bytes)
};

VocabularySummary vocabulary_summary(const fb::Model& m) {
  VocabularySummary v;
  const fb::Tokenizer* t = m.tokenizer();
  if (t == nullptr) return v;
  if (t->kind() != nullptr) v.kind = t->kind()->str();
  if (t->source() != nullptr) v.source = t->source()->str();
  if (t->token_offsets() != nullptr && t->token_offsets()->size() > 0) v.tokens = t->token_offsets()->size() - 1;
  return v;
}

}  // namespace

int cmd_inspect(const Args& a) {
  if (a.positional.size() != 1) throw UsageError("expected one model file");
  planner::MappedFile file(a.positional[0]);
  VerifiedModel vm;
  const Status st = verify_model(file.data(), file.size(), /*check_weights_crc=*/true, &vm);
  if (st.code != RWKV_EDGE_OK) throw std::runtime_error(model_file_error(a.positional[0], file, st));
  const fb::Model& m = *vm.model;
  const fb::Metadata& md = *m.metadata();
  const fb::ArenaPlan& plan = *m.arena();
  const ArenaLayout layout = arena_layout(m);
  const uint64_t session_bytes = layout.plan_offset;

  const uint32_t cuda_ops = planned_cuda_ops(m);
  if (a.has("--json")) {
    nlohmann::json j;
    j["file_bytes"] = vm.prefix.file_bytes;
    j["model_bytes"] = vm.prefix.file_bytes;
    j["flatbuffer_bytes"] = vm.prefix.flatbuffer_bytes;
    j["weight_bytes"] = vm.prefix.weights_bytes;
    j["arena_bytes"] = layout.total;
    j["state_bytes"] = plan.state_bytes();
    j["schema_version"] = m.schema_version();
    j["metadata"] = {{"version", planner::version_name(md.version())}, {"n_layer", md.n_layer()},
                     {"n_embd", md.n_embd()}, {"n_att", md.n_att()}, {"n_head", md.n_head()},
                     {"head_size", md.head_size()}, {"n_ffn", md.n_ffn()}, {"vocab_size", md.vocab_size()},
                     {"ln_x_eps", md.ln_x_eps()}, {"rescale_layer", md.rescale_layer()},
                     {"source", md.source() ? md.source()->str() : ""},
                     {"source_format", md.source_format() ? md.source_format()->str() : ""}};
    const VocabularySummary vocab = vocabulary_summary(m);
    j["vocabulary"] = {{"kind", vocab.kind}, {"source", vocab.source}, {"tokens", vocab.tokens}};
    j["regions"] = nlohmann::json::array();
    j["regions"].push_back({{"kind", "session"}, {"offset", 0}, {"bytes", session_bytes}});
    for (const fb::Region* r : *plan.regions())
      j["regions"].push_back({{"kind", region_name(r->kind())}, {"offset", session_bytes + r->offset()}, {"bytes", r->size()}});
    const uint64_t seq_base = session_bytes + plan.state_offset() + plan.state_bytes();
    j["prefill"] = {{"max_chunk", plan.max_chunk()}, {"offset", plan.max_chunk() ? seq_base : 0},
                    {"bytes", plan.sequence_bytes()}};
    j["tensors"] = nlohmann::json::array();
    for (const fb::Tensor* t : *m.tensors()) {
      nlohmann::json tensor = {{"name", t->name()->str()}, {"dtype", dtype_name(t->dtype())},
                               {"shape", std::vector<uint64_t>(t->shape()->begin(), t->shape()->end())},
                               {"offset", t->offset()}, {"bytes", t->length()}};
      if (t->dtype() == fb::DType::I4) tensor["group_size"] = t->group_size();
      j["tensors"].push_back(tensor);
    }
    j["ops"] = m.graph()->size();
    j["cuda_ops"] = cuda_ops;
    j["buffers"] = plan.buffers()->size();
    std::printf("%s\n", j.dump(2).c_str());
    return 0;
  }
  std::printf("%s: rwkv-edge model, schema %u, from %s (%s)\n", a.positional[0].c_str(), m.schema_version(),
              md.source() ? md.source()->c_str() : "?", md.source_format() ? md.source_format()->c_str() : "?");
  std::printf("  %s\n", architecture_text({md.version(), md.n_layer(), md.n_embd(), md.n_head(), md.head_size(),
                                            md.n_ffn(), md.vocab_size(), md.ln_x_eps()})
                            .c_str());
  const VocabularySummary vocab = vocabulary_summary(m);
  if (vocab.kind == "none")
    std::printf("  vocabulary: none (generate, chat, ppl and tokenize need one: plan again with --vocab)\n");
  else
    std::printf("  vocabulary: %s%s, %u tokens\n", vocab.kind.c_str(),
                vocab.source.empty() ? "" : (" (" + vocab.source + ")").c_str(), vocab.tokens);
  std::printf("  %u ops, %u buffers, %u tensors; weights and description checksums OK\n", m.graph()->size(),
              plan.buffers()->size(), m.tensors()->size());
  if (cuda_ops > 0)
    std::printf("  placement: ops 0-%u on CUDA, the other %u on the CPU (needs --backend cuda)\n", cuda_ops - 1,
                m.graph()->size() - cuda_ops);
  else
    std::printf("  placement: none (runs on --backend cpu or cuda)\n");
  std::printf("\n");
  std::printf("arena map (caller provides one %d-byte-aligned block)\n", RWKV_EDGE_ARENA_ALIGNMENT);
  std::printf("  %-22s %14s %14s\n", "region", "offset", "bytes");
  std::printf("  %-22s %14d %14llu\n", "session tables", 0, static_cast<unsigned long long>(session_bytes));
  for (const fb::Region* r : *plan.regions())
    std::printf("  %-22s %14llu %14llu\n", region_name(r->kind()),
                static_cast<unsigned long long>(session_bytes + r->offset()),
                static_cast<unsigned long long>(r->size()));
  if (plan.max_chunk() > 0)
    std::printf("  %-22s %14llu %14llu  (prefill, chunks of up to %u tokens, over planned + scratch)\n",
                "sequence", static_cast<unsigned long long>(session_bytes + plan.state_offset() + plan.state_bytes()),
                static_cast<unsigned long long>(plan.sequence_bytes()), plan.max_chunk());
  else
    std::printf("  %-22s %14s %14s  (planned without prefill chunks: prefill runs a step per token)\n", "sequence",
                "-", "0");
  std::printf("  %-22s %14s %14llu  (%s)\n\n", "arena total", "", static_cast<unsigned long long>(layout.total),
              human_bytes(layout.total).c_str());
  if (a.has("--buffers")) {
    std::printf("  %-28s %-12s %12s %12s\n", "buffer", "region", "offset", "bytes");
    for (uint32_t i = 0; i < plan.buffers()->size(); ++i) {
      const fb::Buffer* b = plan.buffers()->Get(i);
      const std::string name = b->name() ? b->name()->str() : "activation #" + std::to_string(i);
      std::printf("  %-28s %-12s %12llu %12llu\n", name.c_str(),
                  b->region() == fb::RegionKind::Persistent ? "state" : "planned",
                  static_cast<unsigned long long>(session_bytes + b->offset()),
                  static_cast<unsigned long long>(b->size()));
    }
    std::printf("\n");
  }
  std::printf("  %-36s %-7s %-14s %12s %12s\n", "tensor", "dtype", "shape", "offset", "bytes");
  for (const fb::Tensor* t : *m.tensors())
    std::printf("  %-36s %-7s %-14s %12llu %12llu\n", t->name()->c_str(), stored_type(*t).c_str(),
                shape_text(*t->shape()).c_str(), static_cast<unsigned long long>(t->offset()),
                static_cast<unsigned long long>(t->length()));
  std::printf("\nmodel file %llu bytes (description %llu, weights %llu); arena %llu bytes; total %s\n",
              static_cast<unsigned long long>(vm.prefix.file_bytes),
              static_cast<unsigned long long>(vm.prefix.flatbuffer_bytes),
              static_cast<unsigned long long>(vm.prefix.weights_bytes), static_cast<unsigned long long>(layout.total),
              human_bytes(vm.prefix.file_bytes + layout.total).c_str());
  return 0;
}

}  // namespace rwkv_edge::cli
