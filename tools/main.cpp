// rwkv-edge: one binary, subcommands (see DESIGN.md's CLI contract).
#include <cstdio>
#include <cstring>
#include <exception>

#include "cli_args.h"
#include "commands.h"

namespace {

constexpr const char* kUsage =
    "usage: rwkv-edge <command> [options]\n"
    "  plan IN -o OUT.rwkv [--ln-x-eps E] [--vocab world|bytes|none|FILE] [--max-chunk N] [--verbose] [--json]\n"
    "           [--quant T | --strategy S] [--emb T] [--head T] [--lora T] [--int4-max-error E] [--calibration F|none]\n"
    "           [--onednn-scratch BYTES|host]         arena kept for oneDNN (--onednn); host: as this CPU needs\n"
    "           [--ram-budget BYTES[K|M|G] [--fit-budget]]   refuse a plan whose model + arena exceed it,\n"
    "                                                  or with --fit-budget take the largest quantization that fits\n"
    "                                                  checkpoint (.pth, .safetensors, rwkv.cpp .bin) -> model file;\n"
    "                                                  without --quant the checkpoint's precision is kept\n"
    "                                                  (T: fp32 fp16 bf16 int8 int8-minmax int4[:32|64|128])\n"
    "  inspect M.rwkv [--json]                         versions, dims, arena map, tensors, byte totals\n"
    "  logits M.rwkv --tokens 1,2,3 --out L.bin|- [--mode step|seq] [--state FILE]\n"
    "                                                  float32 [n_tokens, vocab], row i after tokens[0..i]\n"
    "  predict M.rwkv --prompt TEXT [-k K] [-n N]      byte-level models: top next bytes + greedy continuation\n"
    "  ppl M.rwkv --file TEXT [--max-bytes N] [--json] bits per byte and perplexity of a text\n"
    "  tokenize (M.rwkv | --vocab V) (--text T | --file F) [--json]   ids, comma-separated on one line\n"
    "  detokenize (M.rwkv | --vocab V) (--tokens 1,2,3 | --file F)    the bytes, unchanged, to stdout\n"
    "  generate M.rwkv (--prompt P | --prompt-file F) [-n N] [--temperature T] [--top-p P] [--top-k K]\n"
    "           [--presence-penalty A] [--frequency-penalty F] [--penalty-decay D] [--seed S] [--stop TEXT]...\n"
    "           [--state FILE] [--save-state FILE] [--json]\n"
    "                                                  sampled text, streamed (prompt prefilled in chunks); the seed\n"
    "                                                  (random unless --seed) and timings on stderr\n"
    "  chat M.rwkv [--state FILE] [--save-state FILE] [--preamble FILE] [-n MAX] [sampler flags]\n"
    "                                                  a chat on stdin, one line per message (--state: a saved state or\n"
    "                                                  an official state-tuning .pth; --save-state after every reply)\n"
    "  bench M.rwkv [--tokens N] [--prefill N] [--json] decode/prefill tok/s, memory, roofline fraction\n"
    "  soak M.rwkv [--tokens N] [--every N] [--json]   N sampled tokens: RSS every N, heap, NaN/Inf, step-time\n"
    "                                                  percentiles (exit 1 if memory grows, the heap is used or a logit\n"
    "                                                  is not finite)\n"
    "  logits, predict, ppl, generate, chat, bench and soak also take --threads N (default: all cores, at most 64)\n"
    "  and --kernels auto|scalar|avx2|neon (default auto: the best this CPU runs), and --onednn\n"
    "  (float32 mat-vecs through oneDNN; it allocates on every step)\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace rwkv_edge::cli;
  if (argc < 2 || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "--help")) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const char* cmd = argv[1];
  try {
    if (!std::strcmp(cmd, "plan")) return cmd_plan(argc, argv);
    if (!std::strcmp(cmd, "inspect")) return cmd_inspect(argc, argv);
    if (!std::strcmp(cmd, "logits")) return cmd_logits(argc, argv);
    if (!std::strcmp(cmd, "predict")) return cmd_predict(argc, argv);
    if (!std::strcmp(cmd, "ppl")) return cmd_ppl(argc, argv);
    if (!std::strcmp(cmd, "bench")) return cmd_bench(argc, argv);
    if (!std::strcmp(cmd, "tokenize")) return cmd_tokenize(argc, argv);
    if (!std::strcmp(cmd, "generate")) return cmd_generate(argc, argv);
    if (!std::strcmp(cmd, "chat")) return cmd_chat(argc, argv);
    if (!std::strcmp(cmd, "soak")) return cmd_soak(argc, argv);
    if (!std::strcmp(cmd, "detokenize")) return cmd_detokenize(argc, argv);
    std::fprintf(stderr, "rwkv-edge: unknown command '%s' (see rwkv-edge --help)\n", cmd);
    return 2;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "rwkv-edge %s: %s\n", cmd, e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rwkv-edge %s: %s\n", cmd, e.what());
    return 1;
  }
}
