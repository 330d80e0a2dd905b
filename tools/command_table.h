// The CLI as one table: every command, its operands, its flags with their
// kinds and one-line help. The parser, `rwkv-edge --help` and
// `rwkv-edge CMD --help` all read it, so they cannot drift apart.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cli_args.h"

namespace rwkv_edge::cli {

enum class FlagKind { Switch, Value, Repeated };

struct FlagSpec {
  const char* name;   // "--quant", "-o"
  FlagKind kind;
  const char* value;  // what the value is, for the help ("T", "FILE"); empty for a switch
  const char* help;   // one line
};

struct CommandSpec {
  const char* name;
  const char* operands;  // the positional part of the synopsis: "CHECKPOINT -o OUT.rwkv", "M.rwkv"
  const char* summary;   // one line
  std::vector<FlagSpec> flags;
  int (*run)(const Args&);
};

const std::vector<CommandSpec>& command_table();
const CommandSpec* find_command(std::string_view name);

// argv[first..]: the flags by the command's table row; anything else starting
// with '-' (not a negative number) is a usage error.
Args parse_command_line(const CommandSpec& command, int argc, char** argv, int first);

std::string general_help();                    // every command, a line each
std::string command_help(const CommandSpec&);  // one command: synopsis, summary, every flag

}  // namespace rwkv_edge::cli
