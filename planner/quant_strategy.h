// Which format each weight matrix is stored in: `plan --quant`, `--strategy`
// (in the spirit of the official strategy strings, e.g. "int8 *20 -> fp16"),
// `--emb` and `--head`, and the outlier-aware int4 fallback.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "graph.h"
#include "progress.h"
#include "weight_layout.h"

namespace rwkv_edge::planner {

// int4's default group, and the error above which an int4 matrix is stored as
// int8 instead: relative output error when calibrated (GPTQ), relative weight
// error of the bulk of the weights otherwise (QuantError). docs/quantization.md has the measurements behind them.
inline constexpr uint32_t kDefaultInt4Group = 32;
inline constexpr double kDefaultInt4MaxOutputError = 0.10;
inline constexpr double kDefaultInt4MaxWeightError = 0.12;

struct WeightChoice {
  quant::Format format = quant::Format::F32;
  uint32_t group = 0;  // I4
};

struct StrategySegment {
  StrategySegment() = default;
  StrategySegment(WeightChoice c, uint32_t n, std::optional<fb::Placement> d = std::nullopt)
      : choice(c), layers(n), device(d) {}
  WeightChoice choice;
  uint32_t layers = 0;  // 0: every remaining layer (last segment only)
  std::optional<fb::Placement> device;  // "cuda int8 *20": where these layers run (placement.h)
};

struct QuantStrategy {
  std::vector<StrategySegment> segments;  // empty: everything float32
  // Default: the last segment's choice, except that int4 plans keep both at
  // int8: on tiny-5v2 an int4 head cost a third of int4's loss and an int4
  // embedding another 0.4% bits/byte, for 2% of the weights each.
  std::optional<WeightChoice> emb, head;
  // The low-rank (LoRA) factors of v6/v7, every layer. Default: float32 in
  // float32 and int8-minmax layers, int8 in int4 layers, fp16 in the others.
  std::optional<WeightChoice> lora;
  std::optional<double> int4_max_error;  // default: by kind of error, above
};

// "fp32", "fp16", "bf16", "int8", "int8-minmax", "int4", "int4:G". Throws PlanError.
WeightChoice parse_weight_choice(const std::string& token);
std::string choice_name(const WeightChoice& c);

// "int8 *20 -> fp16", or with devices as the official strategies give them,
// "cuda int8 *20 -> cpu fp32". Throws PlanError naming what is wrong.
std::vector<StrategySegment> parse_strategy(const std::string& text);

// One choice per layer; throws when the segments do not cover exactly n_layer layers.
std::vector<WeightChoice> layer_choices(const std::vector<StrategySegment>& segments, uint32_t n_layer);

struct TensorQuantReport {
  std::string name;
  std::vector<uint64_t> shape;
  WeightChoice wanted, stored;  // differ when int4 fell back to int8
  uint64_t bytes = 0;
  double relative_rms = 0.0;       // weight error of the stored format
  double relative_output = -1.0;   // output error over calibration inputs (-1: not measured)
  double int4_error = 0.0;         // when int4 was wanted: the error that decided the fallback
  double int4_limit = 0.0;         // and the limit it was held to
};

struct TableChoice {
  uint32_t weight = 0;  // index into Graph::weights
  WeightChoice choice;
};

// The format the strategy asks for, for every mat-vec and embedding table of
// g. Low-rank (LoRA) matrices take strategy.lora when given, else follow
// their layer (QuantStrategy::lora); vectors are not listed and stay float32.
// Throws on a strategy that does not fit the model.
std::vector<TableChoice> table_choices(const Graph& g, const QuantStrategy& strategy, uint32_t n_layer);

// int4 and int8 are quantized with GPTQ when calibration data exists; the
// official min-max int8 is reproduced as the official package computes it.
bool uses_calibration(quant::Format f);

// Calibration second moments H = E[x x^T] of a table's input, by weight index.
using HessianMap = std::map<uint32_t, std::vector<double>>;

// Re-stores the tables as chosen. int4 tables with a hessian use GPTQ and are
// judged by their output error, others by their weight error; either way an
// int4 table whose error exceeds strategy.int4_max_error is stored as int8.
std::vector<TensorQuantReport> apply_choices(Graph& g, const std::vector<TableChoice>& choices,
                                             const QuantStrategy& strategy, const HessianMap& hessians,
                                             const Progress& progress = {});

}  // namespace rwkv_edge::planner
