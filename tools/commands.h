#pragma once

namespace rwkv_edge::cli {

// Each returns the process exit status; bad input is thrown as UsageError,
// PlanError or std::runtime_error and reported by main() as one line.
int cmd_plan(int argc, char** argv);
int cmd_inspect(int argc, char** argv);
int cmd_logits(int argc, char** argv);
int cmd_predict(int argc, char** argv);
int cmd_ppl(int argc, char** argv);
int cmd_bench(int argc, char** argv);
int cmd_tokenize(int argc, char** argv);
int cmd_detokenize(int argc, char** argv);
int cmd_generate(int argc, char** argv);
int cmd_chat(int argc, char** argv);
int cmd_soak(int argc, char** argv);

}  // namespace rwkv_edge::cli
