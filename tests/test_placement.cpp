// Mixed placement: official-style strategies with devices ("cuda int8 *20 ->
// cpu fp32") become a placement per op; the verifier and the CPU backend
// refuse what they cannot run. The CUDA run of such a file is in test_cuda.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>

#include "graph.h"
#include "importers.h"
#include "model_writer.h"
#include "model_verifier.h"
#include "placement.h"
#include "placement_split.h"
#include "plan_error.h"
#include "test_support.h"

using namespace rwkv_edge;
using namespace rwkv_edge::test;

TEST_CASE("strategies name devices as the official ones do; cuda layers must come first") {
  const auto segs = planner::parse_strategy("cuda int8 *20 -> cpu fp32");
  REQUIRE(segs.size() == 2);
  CHECK(segs[0].device == fb::Placement::CUDA);
  CHECK(segs[0].layers == 20);
  CHECK(segs[1].device == fb::Placement::CPU);
  CHECK(planner::layer_placements(planner::parse_strategy("int8 *2 -> fp16"), 4).empty());
  const auto p = planner::layer_placements(planner::parse_strategy("cuda fp16 *3 -> fp32"), 4);
  CHECK(p == std::vector<fb::Placement>{fb::Placement::CUDA, fb::Placement::CUDA, fb::Placement::CUDA,
                                        fb::Placement::CPU});
  for (const auto& [text, fragment] : std::vector<std::pair<std::string, std::string>>{
           {"cpu int8 *1 -> cuda fp32", "the cuda layers must come first"},
           {"mps fp32", "cpu or cuda"},
           {"cuda:1 fp32", "cpu or cuda"},
           {"cuda", "no weight type"},
           {"cuda int8 *1 -> cpu", "no weight type"},
           {"cuda int4x *1 -> cpu fp32", "unknown weight type"}}) {
    try {
      (void)planner::layer_placements(planner::parse_strategy(text), 2);
      FAIL("accepted: " << text);
    } catch (const planner::PlanError& e) {
      CHECK_MESSAGE(std::string(e.what()).find(fragment) != std::string::npos, std::string(e.what()));
    }
  }
}

TEST_CASE("every op gets its layer: the embedding before layer 0, the head after the last") {
  for (const char* v : {"v4", "v5", "v5.2", "v6", "v7"}) {
    CAPTURE(v);
    const planner::Checkpoint ck = planner::load_checkpoint(data_path(std::string("mini-") + v + ".pth"));
    const planner::ModelDims dims = planner::detect_model(ck);
    const planner::Graph g = planner::build_step_graph(ck, dims, {});
    const std::vector<int32_t> layers = planner::op_layers(g, dims.n_layer);
    REQUIRE(layers.size() == g.ops.size());
    CHECK(layers.front() == -1);
    CHECK(g.ops.front().type == fb::OpType::Embed);
    CHECK(layers.back() == static_cast<int32_t>(dims.n_layer));
    for (size_t i = 1; i < layers.size(); ++i) CHECK(layers[i] >= layers[i - 1]);
    // Every layer's WKV recurrence sits in that layer.
    uint32_t recurrences = 0;
    for (size_t i = 0; i < g.ops.size(); ++i)
      if (g.ops[i].type == fb::OpType::Wkv4 || g.ops[i].type == fb::OpType::Wkv5 || g.ops[i].type == fb::OpType::Wkv7)
        CHECK(layers[i] == static_cast<int32_t>(recurrences++));
    CHECK(recurrences == dims.n_layer);
  }
}

TEST_CASE("a file planned for CUDA layers: the prefix is written, the CPU backend refuses it clearly") {
  planner::PlanOptions o;
  o.quant.segments = planner::parse_strategy("cuda fp32 *1 -> cpu fp32");
  o.calibration = "none";
  const ModelBytes m = plan_to_bytes(data_path("mini-v5.2.pth"), o);
  const rwkv_edge_status st = try_init(m, 1, RWKV_EDGE_KERNELS_AUTO);
  CHECK(st.code == RWKV_EDGE_UNSUPPORTED);
  CHECK_MESSAGE(std::strstr(st.message, "planned to run its first") != nullptr, st.message);
  // The same without devices runs anywhere.
  o.quant.segments = planner::parse_strategy("fp32 *1 -> fp32");
  CHECK(try_init(plan_to_bytes(data_path("mini-v5.2.pth"), o), 1, RWKV_EDGE_KERNELS_AUTO).code == RWKV_EDGE_OK);
}

TEST_CASE("the verifier refuses a CUDA op after a CPU op") {
  const planner::Checkpoint ck = planner::load_checkpoint(data_path("mini-v5.2.pth"));
  const planner::ModelDims dims = planner::detect_model(ck);
  planner::Graph g = planner::build_step_graph(ck, dims, {});
  g.ops.back().placement = fb::Placement::CUDA;  // the head on CUDA after CPU layers
  const planner::ArenaPlanResult a = planner::plan_arena(g, 0, {});
  const std::string path = "/tmp/rwkv-edge-crafted-placement.rwkv";
  planner::write_model_file(path, g, dims, a, planner::kOfficialLnXEps, "crafted", "test");
  const ModelBytes m = load_model_bytes(path);
  std::remove(path.c_str());
  size_t need = 0;
  const rwkv_edge_status st = rwkv_edge_arena_size_required(m.data(), m.size, &need);
  CHECK(st.code == RWKV_EDGE_BAD_MODEL);
  CHECK_MESSAGE(std::strstr(st.message, "CUDA ops must come first") != nullptr, st.message);
}

TEST_CASE("a GPU-then-CPU split hands the CPU every value it reads, and state stays where its layer runs") {
  for (const char* v : {"v4", "v5", "v5.2", "v6", "v7"}) {
    CAPTURE(v);
    planner::PlanOptions o;
    o.quant.segments = planner::parse_strategy("cuda fp32 *1 -> cpu fp32");
    o.calibration = "none";
    const ModelBytes m = plan_to_bytes(data_path(std::string("mini-") + v + ".pth"), o);
    VerifiedModel vm;
    REQUIRE(verify_model(m.data(), m.size, true, &vm).code == RWKV_EDGE_OK);
    const fb::Model& model = *vm.model;
    const auto& graph = *model.graph();
    const auto& buffers = *model.arena()->buffers();
    const uint32_t n_device = planned_cuda_ops(model);
    REQUIRE(n_device > 0);
    REQUIRE(n_device < graph.size());
    // Walk the CPU part: every buffer an op reads was written earlier by a
    // CPU op, handed over by the device, or is host state the device never writes.
    std::vector<bool> on_host(buffers.size(), false);
    uint32_t handed = 0;
    for (uint32_t b = 0; b < buffers.size(); ++b) {
      const bool device_writes = written_on_device(model, n_device, b);
      handed += handed_to_host(model, n_device, b);
      on_host[b] = handed_to_host(model, n_device, b) ||
                   (buffers.Get(b)->region() == fb::RegionKind::Persistent && !device_writes);
      if (buffers.Get(b)->name() != nullptr) {
        const std::string name = buffers.Get(b)->name()->str();
        if (name.rfind("L0.", 0) == 0) CHECK_MESSAGE(device_writes, name);
        if (name.rfind("L1.", 0) == 0) CHECK_MESSAGE(!device_writes, name);
      }
    }
    CHECK(!handed_to_host(model, n_device, model.arena()->logits_buffer()));  // the head runs on the CPU
    CHECK(handed >= (std::string(v) == "v7" ? 2u : 1u));  // the residual stream (and v7's v_first)
    for (uint32_t i = n_device; i < graph.size(); ++i) {
      for (const fb::Operand* in : *graph.Get(i)->inputs())
        if (in->kind() == fb::OperandKind::Buffer) CHECK_MESSAGE(on_host[in->index()], "op " << i << " input " << in->index());
      for (const uint32_t out : *graph.Get(i)->outputs()) on_host[out] = true;
    }
    // All on the device: only the logits come back.
    for (uint32_t b = 0; b < buffers.size(); ++b)
      CHECK(handed_to_host(model, graph.size(), b) == (b == model.arena()->logits_buffer()));
  }
}

TEST_CASE("calibration runs on the CPU whatever the placement: a CUDA strategy calibrates as a CPU one") {
  // The tiny model is byte-level, so int8 and int4 calibrate on the built-in sample by default.
  const std::string tiny = std::string(RWKV_EDGE_MODELS) + "/tiny-rwkv-5v2-730K-FP16.bin";
  for (const std::string quant : {"int8", "int4"}) {
    CAPTURE(quant);
    planner::PlanOptions placed, anywhere;
    placed.quant.segments = planner::parse_strategy("cuda " + quant + " *6 -> cpu " + quant);
    anywhere.quant.segments = planner::parse_strategy(quant + " *6 -> " + quant);
    planner::PlanReport a, b;
    const ModelBytes m = plan_to_bytes(tiny, placed, &a);
    plan_to_bytes(tiny, anywhere, &b);
    CHECK_MESSAGE(a.calibration.find("built-in English sample") != std::string::npos, a.calibration);
    CHECK(a.calibration == b.calibration);
    REQUIRE(a.quantized.size() == b.quantized.size());
    uint32_t calibrated = 0;
    for (size_t i = 0; i < a.quantized.size(); ++i) {
      CHECK(a.quantized[i].relative_output == b.quantized[i].relative_output);  // the same activations
      calibrated += a.quantized[i].relative_output >= 0.0;  // measured over calibration inputs
    }
    CHECK(calibrated >= 12 * 7);  // every layer's matrices
    VerifiedModel vm;
    REQUIRE(verify_model(m.data(), m.size, true, &vm).code == RWKV_EDGE_OK);
    CHECK(planned_cuda_ops(*vm.model) > 0);
  }
}
