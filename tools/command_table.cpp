#include "command_table.h"

#include <set>

#include "commands.h"

namespace rwkv_edge::cli {
namespace {

using K = FlagKind;

// Every command that runs a model takes these (parse_runtime_choice reads them).
const std::vector<FlagSpec> kRuntimeFlags = {
    {"--threads", K::Value, "N", "threads for this session, 1 to 64 (default: every core)"},
    {"--kernels", K::Value, "auto|scalar|avx2|neon", "the CPU kernels (default auto: the best this CPU runs)"},
    {"--backend", K::Value, "cpu|cuda", "where the model runs (default cpu; cuda needs a CUDA build and device)"},
    {"--prefill-inputs", K::Value, "float|int8", "prefill's products over int8 matrices in integers (int8) or floats"},
    {"--onednn", K::Switch, "", "float32 mat-vecs through oneDNN (it allocates on every step)"},
};

// The sampler (parse_sampler_params reads them).
const std::vector<FlagSpec> kSamplerFlags = {
    {"--temperature", K::Value, "T", "sampling temperature (0: greedy)"},
    {"--top-p", K::Value, "P", "nucleus: the smallest set of tokens holding P of the probability"},
    {"--top-k", K::Value, "K", "only the K most likely tokens (0: no limit)"},
    {"--presence-penalty", K::Value, "A", "subtracted once from every token already generated"},
    {"--frequency-penalty", K::Value, "F", "subtracted per occurrence of a token already generated"},
    {"--penalty-decay", K::Value, "D", "the occurrence counts decay by D every token"},
    {"--seed", K::Value, "S", "the sampler's seed (default: a random one, printed on stderr)"},
};

std::vector<FlagSpec> with(std::vector<FlagSpec> own, const std::vector<FlagSpec>& group) {
  own.insert(own.end(), group.begin(), group.end());
  return own;
}

// A command that samples: its own flags, then the sampler's, then the runtime's.
std::vector<FlagSpec> sampling(std::vector<FlagSpec> own) { return with(with(std::move(own), kSamplerFlags), kRuntimeFlags); }

std::vector<CommandSpec> build_table() {
  return {
      {"plan", "CHECKPOINT -o OUT.rwkv",
       "checkpoint (.pth, .safetensors, rwkv.cpp .bin) -> one verified model file, and the arena it needs",
       {
           {"-o", K::Value, "OUT.rwkv", "the model file to write (never one of the inputs)"},
           {"--quant", K::Value, "T", "every matrix as T: fp32 fp16 bf16 int8 int8-minmax int4[:32|64|128] "
                                      "(default: the checkpoint's precision)"},
           {"--strategy", K::Value, "S", "per layer, e.g. \"int8 *20 -> fp16\" or \"cuda int8 *6 -> cpu fp32\""},
           {"--emb", K::Value, "T", "the embedding's type"},
           {"--head", K::Value, "T", "the head's type"},
           {"--lora", K::Value, "T", "the v6/v7 low-rank factors' type"},
           {"--int4-max-error", K::Value, "E", "above this error an int4 matrix is kept at int8"},
           {"--calibration", K::Value, "FILE|none", "the text GPTQ calibrates int8/int4 on (default: built in)"},
           {"--ln-x-eps", K::Value, "E", "ln_x's epsilon (default: the official package's)"},
           {"--vocab", K::Value, "world|bytes|none|FILE", "the vocabulary to embed (default: by the model's size)"},
           {"--max-chunk", K::Value, "N", "the most tokens a prefill chunk holds (default 64; 0: no chunks)"},
           {"--ram-budget", K::Value, "BYTES[K|M|G]", "refuse a plan whose model file + arena exceed it"},
           {"--fit-budget", K::Switch, "", "with --ram-budget: take the largest quantization that fits"},
           {"--onednn-scratch", K::Value, "BYTES|host", "arena kept for oneDNN (--onednn); host: as this CPU needs"},
           {"--verbose", K::Switch, "", "every matrix's format, bytes and error"},
           {"--json", K::Switch, "", "everything, as JSON"},
       },
       cmd_plan},
      {"inspect", "M.rwkv", "a model file: architecture, vocabulary, arena map, tensors, byte totals",
       {
           {"--buffers", K::Switch, "", "every buffer of the arena too"},
           {"--json", K::Switch, "", "as JSON"},
       },
       cmd_inspect},
      {"logits", "M.rwkv --tokens 1,2,3 --out L.bin|-", "float32 [n_tokens, vocab], row i after tokens[0..i]",
       with(
           {
               {"--tokens", K::Value, "1,2,3", "the token ids"},
               {"--out", K::Value, "L.bin|-", "the file to write (-: stdout)"},
               {"--mode", K::Value, "step|seq", "a step per token, or chunked prefill (default step)"},
               {"--state", K::Value, "FILE", "the initial state: a state file or a state-tuning .pth"},
           },
           kRuntimeFlags),
       cmd_logits},
      {"predict", "M.rwkv --prompt TEXT", "byte-level models: the most likely next bytes, and a greedy continuation",
       with(
           {
               {"--prompt", K::Value, "TEXT", "the text so far"},
               {"-k", K::Value, "K", "how many next bytes to list (default 5)"},
               {"-n", K::Value, "N", "bytes of greedy continuation (default 48)"},
           },
           kRuntimeFlags),
       cmd_predict},
      {"ppl", "M.rwkv --file TEXT", "bits per byte and perplexity of a text",
       with(
           {
               {"--file", K::Value, "TEXT", "the text to score"},
               {"--max-bytes", K::Value, "N", "score only its first N bytes"},
               {"--mode", K::Value, "step|seq", "a step per token, or chunked prefill (default step)"},
               {"--json", K::Switch, "", "as JSON"},
           },
           kRuntimeFlags),
       cmd_ppl},
      {"tokenize", "(M.rwkv | --vocab V) (--text T | --file F)", "text -> token ids, comma-separated on one line",
       {
           {"--vocab", K::Value, "world|bytes|FILE", "a vocabulary instead of a model file's"},
           {"--text", K::Value, "T", "the text"},
           {"--file", K::Value, "F", "the text, from a file"},
           {"--json", K::Switch, "", "as a JSON array"},
       },
       cmd_tokenize},
      {"detokenize", "(M.rwkv | --vocab V) (--tokens 1,2,3 | --file F)", "token ids -> the bytes, unchanged, on stdout",
       {
           {"--vocab", K::Value, "world|bytes|FILE", "a vocabulary instead of a model file's"},
           {"--tokens", K::Value, "1,2,3", "the ids"},
           {"--file", K::Value, "F", "the ids, from a file (tokenize's output)"},
       },
       cmd_detokenize},
      {"generate", "M.rwkv (--prompt P | --prompt-file F)", "sampled text, streamed as it comes",
       sampling(
           {
               {"--prompt", K::Value, "P", "the prompt"},
               {"--prompt-file", K::Value, "F", "the prompt, from a file"},
               {"-n", K::Value, "N", "tokens to generate at most (default 100)"},
               {"--stop", K::Repeated, "TEXT", "stop before this text (may be given more than once)"},
               {"--state", K::Value, "FILE", "the initial state: a state file or a state-tuning .pth"},
               {"--save-state", K::Value, "FILE", "save the state at the end"},
               {"--json", K::Switch, "", "one JSON object at the end instead of streaming"},
           }),
       cmd_generate},
      {"chat", "M.rwkv", "a chat on stdin, one message per line",
       sampling(
           {
               {"--state", K::Value, "FILE", "start from a saved state or a state-tuning .pth"},
               {"--save-state", K::Value, "FILE", "save the state after every reply"},
               {"--preamble", K::Value, "FILE", "prefill this instead of the built-in introduction"},
               {"-n", K::Value, "MAX", "tokens per reply at most (default 1000)"},
           }),
       cmd_chat},
      {"bench", "M.rwkv", "decode and prefill tok/s, memory, roofline fraction",
       with(
           {
               {"--tokens", K::Value, "N", "decode tokens per timed round (default 128)"},
               {"--prefill", K::Value, "N", "the prompt's length for prefill (default 64; 0: none)"},
               {"--json", K::Switch, "", "as JSON"},
           },
           kRuntimeFlags),
       cmd_bench},
      {"soak", "M.rwkv", "a long sampled run: memory, heap, NaN/Inf and step-time percentiles (exit 1 on a failure)",
       sampling(
           {
               {"--tokens", K::Value, "N", "tokens to generate (default 1000000)"},
               {"--every", K::Value, "N", "read the memory every N tokens (default: a tenth, at most 10000)"},
               {"--warmup", K::Value, "N", "tokens before the checks start (default: one --every)"},
               {"--json", K::Switch, "", "as JSON"},
           }),
       cmd_soak},
  };
}

}  // namespace

const std::vector<CommandSpec>& command_table() {
  static const std::vector<CommandSpec> table = build_table();
  return table;
}

const CommandSpec* find_command(std::string_view name) {
  for (const CommandSpec& c : command_table())
    if (name == c.name) return &c;
  return nullptr;
}

Args parse_command_line(const CommandSpec& command, int argc, char** argv, int first) {
  std::set<std::string> values, switches, repeated;
  for (const FlagSpec& f : command.flags)
    (f.kind == K::Switch ? switches : f.kind == K::Value ? values : repeated).insert(f.name);
  try {
    return parse_args(argc, argv, first, values, switches, repeated);
  } catch (const UsageError& e) {
    const std::string what = e.what();
    if (what.rfind("unknown option", 0) == 0)
      throw UsageError(what + " (rwkv-edge " + command.name + " --help lists its options)");
    throw;
  }
}

std::string general_help() {
  std::string out = "usage: rwkv-edge <command> [options]    (rwkv-edge <command> --help: its options)\n\n";
  for (const CommandSpec& c : command_table()) {
    std::string line = std::string("  ") + c.name;
    line.resize(14, ' ');
    out += line + c.summary + "\n";
  }
  out += "\n  --version     the version of this build\n";
  return out;
}

std::string command_help(const CommandSpec& c) {
  std::string out = std::string("usage: rwkv-edge ") + c.name + " " + c.operands + " [options]\n  " + c.summary +
                    "\n\noptions:\n";
  for (const FlagSpec& f : c.flags) {
    std::string head = std::string("  ") + f.name;
    if (f.kind != K::Switch) head += std::string(" ") + f.value;
    if (f.kind == K::Repeated) head += " ...";
    if (head.size() + 2 <= 36) head.resize(36, ' ');
    else head += "\n" + std::string(36, ' ');
    out += head + f.help + "\n";
  }
  out += "  --help                            this text\n";
  return out;
}

}  // namespace rwkv_edge::cli
