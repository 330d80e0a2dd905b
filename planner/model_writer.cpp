#include "model_writer.h"

#include "model_file.h"
#include "rwkv_edge_generated.h"

namespace rwkv_edge::planner {
WrittenModel write_model(TemporaryFile& file, const Graph& g, const ModelDims& dims, const ArenaPlanResult& arena,
                         float ln_x_eps, const std::string& source_name, const std::string& source_format,
                         const Vocabulary& vocabulary, const Progress& progress) {
  flatbuffers::FlatBufferBuilder fbb(1 << 16);
  std::vector<uint64_t> tensor_offsets;
  uint64_t weight_bytes = 0;
  std::vector<flatbuffers::Offset<fb::Tensor>> tensors;
  for (const WeightTensor& w : g.weights) {
    const uint64_t length = w.stored_bytes();
    tensor_offsets.push_back(weight_bytes);
    tensors.push_back(fb::CreateTensorDirect(fbb, w.name.c_str(), static_cast<fb::DType>(w.format), &w.shape,
                                             weight_bytes, length, w.group));
    weight_bytes = align_up(weight_bytes + length, kWeightAlignment);
  }
  std::vector<flatbuffers::Offset<fb::Op>> ops;
  for (const GraphOp& op : g.ops) {
    std::vector<fb::Operand> inputs;
    for (const Operand& o : op.inputs)
      inputs.emplace_back(o.weight ? fb::OperandKind::Weight : fb::OperandKind::Buffer, o.index);
    // Absent, not empty, parameter vectors: a few bytes per op that add up on small models.
    ops.push_back(fb::CreateOpDirect(fbb, op.type, &inputs, &op.outputs, op.iparams.empty() ? nullptr : &op.iparams,
                                     op.fparams.empty() ? nullptr : &op.fparams, op.placement));
  }
  std::vector<flatbuffers::Offset<fb::Buffer>> buffers;
  for (uint32_t i = 0; i < g.buffers.size(); ++i) {
    const GraphBuffer& b = g.buffers[i];
    const bool named = b.persistent || i == g.logits;
    buffers.push_back(fb::CreateBufferDirect(fbb, named ? b.name.c_str() : nullptr,
                                             b.persistent ? fb::RegionKind::Persistent : fb::RegionKind::Planned,
                                             fb::DType::F32, b.numel, b.offset, b.numel * sizeof(float),
                                             b.init_value, b.init_tensor, b.seq_offset));
  }
  std::vector<flatbuffers::Offset<fb::Region>> regions = {
      fb::CreateRegion(fbb, fb::RegionKind::Persistent, 0, arena.state_bytes),
      fb::CreateRegion(fbb, fb::RegionKind::Planned, arena.planned_offset, arena.planned_bytes),
      fb::CreateRegion(fbb, fb::RegionKind::Scratch, arena.scratch_offset, arena.scratch_bytes)};
  const auto plan = fb::CreateArenaPlanDirect(fbb, arena.total_bytes, RWKV_EDGE_ARENA_ALIGNMENT, &regions,
                                              &buffers, 0, arena.state_bytes, g.logits, arena.max_chunk,
                                              arena.sequence_bytes, arena.sequence_scratch_offset,
                                              arena.sequence_scratch_bytes);
  fb::MetadataBuilder mb(fbb);
  const auto source = fbb.CreateString(source_name);
  const auto format = fbb.CreateString(source_format);
  mb.add_version(dims.version);
  mb.add_n_layer(dims.n_layer);
  mb.add_n_embd(dims.n_embd);
  mb.add_n_att(dims.n_att);
  mb.add_n_head(dims.n_head);
  mb.add_head_size(dims.head_size);
  mb.add_n_ffn(dims.n_ffn);
  mb.add_vocab_size(dims.vocab);
  mb.add_lora_maa(dims.lora_maa);
  mb.add_lora_decay(dims.lora_decay);
  mb.add_lora_a(dims.lora_a);
  mb.add_lora_v(dims.lora_v);
  mb.add_lora_gate(dims.lora_gate);
  mb.add_ln_x_eps(ln_x_eps);
  mb.add_rescale_layer(0);
  mb.add_source(source);
  mb.add_source_format(format);
  const auto metadata = mb.Finish();
  const auto tokenizer =
      vocabulary.empty()
          ? fb::CreateTokenizerDirect(fbb, "none")
          : fb::CreateTokenizerDirect(fbb, vocabulary.kind.c_str(), vocabulary.source.c_str(), &vocabulary.token_bytes,
                                      &vocabulary.token_offsets, &vocabulary.sorted_ids, vocabulary.max_token_bytes);
  const auto model = fb::CreateModelDirect(fbb, kSchemaVersion, metadata, &tensors, &ops, plan, tokenizer, weight_bytes);
  fb::FinishModelBuffer(fbb, model);

  FilePrefix prefix;
  prefix.flatbuffer_offset = kPrefixBytes;
  prefix.flatbuffer_bytes = fbb.GetSize();
  prefix.flatbuffer_crc32 = crc32(fbb.GetBufferPointer(), fbb.GetSize());
  prefix.weights_offset = align_up(kPrefixBytes + fbb.GetSize(), kWeightAlignment);
  prefix.weights_bytes = weight_bytes;
  prefix.file_bytes = prefix.weights_offset + weight_bytes;

  file.write_at(prefix.flatbuffer_offset, fbb.GetBufferPointer(), fbb.GetSize());
  static const uint8_t kZeros[kWeightAlignment] = {};
  uint32_t crc = 0;
  uint64_t written = 0;
  report(progress, "writing", 0, weight_bytes);
  for (size_t i = 0; i < g.weights.size(); ++i) {
    if (i % 16 == 0) report(progress, "writing", written, weight_bytes);
    if (tensor_offsets[i] > written) {  // alignment padding, part of the checksummed area
      const uint64_t pad = tensor_offsets[i] - written;
      crc = crc32(kZeros, pad, crc);
      file.write_at(prefix.weights_offset + written, kZeros, pad);
      written += pad;
    }
    const uint8_t* p = g.weights[i].stored_data();
    const uint64_t n = g.weights[i].stored_bytes();
    crc = crc32(p, n, crc);
    file.write_at(prefix.weights_offset + written, p, n);
    written += n;
  }
  if (written < weight_bytes) {
    crc = crc32(kZeros, weight_bytes - written, crc);
    file.write_at(prefix.weights_offset + written, kZeros, weight_bytes - written);
  }
  report(progress, "writing", weight_bytes, weight_bytes);
  prefix.weights_crc32 = crc;
  uint8_t header[kPrefixBytes];
  encode_prefix(prefix, header);
  file.write_at(0, header, sizeof header);
  // Padding between the flatbuffer and the weights stays zero (sparse pwrite gap).
  return {prefix.file_bytes, prefix.flatbuffer_bytes, weight_bytes};
}

WrittenModel write_model_file(const std::string& path, const Graph& g, const ModelDims& dims,
                              const ArenaPlanResult& arena, float ln_x_eps,
                              const std::string& source_name, const std::string& source_format,
                              const Vocabulary& vocabulary, const BeforeCommit& before_commit,
                              const Progress& progress) {
  TemporaryFile file(path, "tmp");
  const WrittenModel result =
      write_model(file, g, dims, arena, ln_x_eps, source_name, source_format, vocabulary, progress);
  if (before_commit) before_commit(file.path(), result);
  file.commit();
  return result;
}

}  // namespace rwkv_edge::planner
