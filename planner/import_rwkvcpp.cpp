#include <cmath>

#include "byte_reader.h"
#include "ggml_blocks.h"
#include "importers.h"

namespace rwkv_edge::planner {
namespace {

constexpr int32_t kGgmlMagic = 0x67676d66;

bool contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

Tensor transpose_2d(const Tensor& t) {
  Tensor out;
  out.source_dtype = t.source_dtype;
  out.source_block_bits = t.source_block_bits;
  const uint64_t rows = t.shape[0], cols = t.shape[1];
  out.shape = {cols, rows};
  out.data.resize(t.data.size());
  for (uint64_t r = 0; r < rows; ++r)
    for (uint64_t c = 0; c < cols; ++c) out.data[c * rows + r] = t.data[r * cols + c];
  return out;
}

// rwkv.cpp stores some parameters pre-transformed; bring them back to the
// official parameterisation (in double, so re-applying the forward
// transform later returns the stored value to float precision).
void undo_transforms(Checkpoint& ck, const std::string& what) {
  const bool v7 = ck.has("blocks.0.att.x_rwkvag");
  const bool v6 = ck.has("blocks.0.att.time_maa_x");
  const bool v5 = ck.has("blocks.0.att.ln_x.weight") && !v6 && !v7;
  std::map<std::string, Tensor> out;
  for (auto& [name, t] : ck.tensors) {
    if (v7 && contains(name, ".att.x_rwkvag")) {
      if (t.numel() % 6 != 0) throw PlanError(what + ": x_rwkvag is not 6 vectors");
      const uint64_t c = t.numel() / 6;
      const char* parts[6] = {"x_r", "x_w", "x_k", "x_v", "x_a", "x_g"};
      const std::string base = name.substr(0, name.size() - 8);  // drop "x_rwkvag"
      for (int p = 0; p < 6; ++p) {
        Tensor part;
        part.source_dtype = t.source_dtype;
        part.source_block_bits = t.source_block_bits;
        part.shape = {1, 1, c};
        part.data.assign(t.data.begin() + static_cast<long>(p * c),
                         t.data.begin() + static_cast<long>((p + 1) * c));
        out[base + parts[p]] = std::move(part);
      }
      continue;
    }
    Tensor u = std::move(t);
    const auto sq = u.squeezed_shape();
    if (v7 && sq.size() == 2 &&
        (contains(name, ".att.w1") || contains(name, ".att.w2") || contains(name, ".att.a1") ||
         contains(name, ".att.a2") || contains(name, ".att.v1") || contains(name, ".att.v2") ||
         contains(name, ".att.g1") || contains(name, ".att.g2"))) {
      u.shape = sq;
      u = transpose_2d(u);
    } else if (v6 && (contains(name, ".time_maa_w1") || contains(name, ".time_decay_w1") ||
                      contains(name, ".time_decay_w2"))) {
      if (sq.size() != 2) throw PlanError(what + ": " + name + " is not a matrix");
      u.shape = sq;
      u = transpose_2d(u);
    } else if (v6 && contains(name, ".time_maa_w2")) {
      // stored (5, C, L); official (5, L, C)
      if (u.shape.size() != 3) throw PlanError(what + ": " + name + " is not 3-D");
      const uint64_t n = u.shape[0], c = u.shape[1], l = u.shape[2];
      Tensor p;
      p.source_dtype = u.source_dtype;
      p.source_block_bits = u.source_block_bits;
      p.shape = {n, l, c};
      p.data.resize(u.data.size());
      for (uint64_t i = 0; i < n; ++i)
        for (uint64_t a = 0; a < c; ++a)
          for (uint64_t b = 0; b < l; ++b) p.data[(i * l + b) * c + a] = u.data[(i * c + a) * l + b];
      u = std::move(p);
    } else if (!v6 && !v7 && contains(name, ".att.time_decay")) {
      for (float& x : u.data) {
        const double d = x;
        if (v5) {
          if (!(d > 0.0 && d < 1.0)) throw PlanError(what + ": " + name + " holds a value outside (0, 1)");
          x = static_cast<float>(std::log(-std::log(d)));  // stored exp(-exp(w))
        } else {
          if (!(d < 0.0)) throw PlanError(what + ": " + name + " holds a non-negative value");
          x = static_cast<float>(std::log(-d));  // stored -exp(w)
        }
      }
    } else if (v5 && contains(name, ".att.time_first")) {
      for (float& x : u.data) {
        if (!(x > 0.0f)) throw PlanError(what + ": " + name + " holds a non-positive value");
        x = static_cast<float>(std::log(static_cast<double>(x)));  // stored exp(u)
      }
    }
    out[name] = std::move(u);
  }
  ck.tensors = std::move(out);
}

}  // namespace

Checkpoint import_rwkvcpp_bin(const uint8_t* data, size_t size, const std::string& what) {
  ByteReader r(data, size, what + " (rwkv.cpp)");
  if (r.read<int32_t>() != kGgmlMagic) r.fail("bad magic");
  const int32_t version = r.read<int32_t>();
  if (version != 100 && version != 101) r.fail("unsupported file version " + std::to_string(version));
  r.read<int32_t>();  // n_vocab, n_embed, n_layer: re-derived from the tensors
  r.read<int32_t>();
  r.read<int32_t>();
  r.read<int32_t>();  // file data type
  Checkpoint ck;
  ck.format = "rwkv.cpp bin";
  std::string quantized;  // the block formats met, for the report
  while (!r.at_end()) {
    const int32_t n_dims = r.read<int32_t>();
    const int32_t key_len = r.read<int32_t>();
    const int32_t type = r.read<int32_t>();
    if (n_dims < 1 || n_dims > 4) r.fail("tensor with " + std::to_string(n_dims) + " dimensions");
    if (key_len < 1 || key_len > 1024) r.fail("bad key length");
    Tensor t;
    uint64_t numel = 1;
    std::vector<uint64_t> dims;
    for (int i = 0; i < n_dims; ++i) {
      const int32_t d = r.read<int32_t>();
      if (d < 1) r.fail("non-positive dimension");
      dims.push_back(static_cast<uint64_t>(d));
      if (__builtin_mul_overflow(numel, static_cast<uint64_t>(d), &numel) ||
          numel > (uint64_t{1} << 36))
        r.fail("tensor too large");
    }
    t.shape.assign(dims.rbegin(), dims.rend());  // ggml order is reversed
    const std::string name(r.read_string(static_cast<uint64_t>(key_len)));
    if (type == 0 || type == 1) {
      t.source_dtype = type == 0 ? SourceDType::F32 : SourceDType::F16;
      const uint8_t* p = r.take(numel * (type == 0 ? 4 : 2));
      t.data.resize(numel);
      convert_to_f32(p, t.source_dtype, numel, t.data.data());
    } else if (const auto q = ggml_block_type(type)) {
      if (version != 101)
        r.fail("tensor '" + name + "' is " + q->name + " in file version " + std::to_string(version) +
               ", whose block layout predates ggml's May 2023 format; re-quantize it with a current rwkv.cpp");
      if (dims[0] % kGgmlBlockValues != 0)
        r.fail("tensor '" + name + "' (" + q->name + ") has rows of " + std::to_string(dims[0]) +
               " values, not a whole number of 32-value blocks");
      const uint64_t blocks = numel / kGgmlBlockValues;
      const uint8_t* p = r.take(blocks * q->block_bytes);
      t.source_dtype = SourceDType::F32;
      t.source_block_bits = q->bits;
      t.data.resize(numel);
      dequantize_ggml_blocks(type, p, blocks, t.data.data());
      if (quantized.find(q->name) == std::string::npos) quantized += std::string(quantized.empty() ? "" : ", ") + q->name;
    } else {
      r.fail("tensor '" + name + "' has unknown data type " + std::to_string(type));
    }
    if (ck.tensors.count(name)) r.fail("duplicate tensor '" + name + "'");
    ck.tensors[name] = std::move(t);
  }
  if (ck.tensors.empty()) r.fail("no tensors after the header");
  if (!quantized.empty()) ck.format += " (" + quantized + ", dequantized)";
  undo_transforms(ck, what);
  return ck;
}

}  // namespace rwkv_edge::planner
