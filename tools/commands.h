#pragma once

#include "cli_args.h"

namespace rwkv_edge::cli {

// Each returns the process exit status; bad input is thrown as UsageError,
// PlanError or std::runtime_error and reported by main() as one line. The
// arguments are parsed by the command's row of the table (command_table.h).
int cmd_plan(const Args& a);
int cmd_inspect(const Args& a);
int cmd_logits(const Args& a);
int cmd_predict(const Args& a);
int cmd_ppl(const Args& a);
int cmd_bench(const Args& a);
int cmd_tokenize(const Args& a);
int cmd_detokenize(const Args& a);
int cmd_generate(const Args& a);
int cmd_chat(const Args& a);
int cmd_soak(const Args& a);

}  // namespace rwkv_edge::cli
