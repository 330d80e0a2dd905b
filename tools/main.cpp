// rwkv-edge: one binary, subcommands. Every command, flag and help line comes
// from one table (command_table.h).
#include <cstdio>
#include <cstring>
#include <exception>

#include "cli_args.h"
#include "command_table.h"

#ifndef RWKV_EDGE_VERSION
#error "RWKV_EDGE_VERSION comes from the project's version (tools/CMakeLists.txt)"
#endif

int main(int argc, char** argv) {
  using namespace rwkv_edge::cli;
  if (argc < 2 || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "--help")) {
    std::fputs(general_help().c_str(), argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (!std::strcmp(argv[1], "--version")) {
    std::printf("rwkv-edge %s\n", RWKV_EDGE_VERSION);
    return 0;
  }
  const char* cmd = argv[1];
  const CommandSpec* command = find_command(cmd);
  if (command == nullptr) {
    std::fprintf(stderr, "rwkv-edge: unknown command '%s' (rwkv-edge --help lists them)\n", cmd);
    return 2;
  }
  for (int i = 2; i < argc; ++i)
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
      std::fputs(command_help(*command).c_str(), stdout);
      return 0;
    }
  try {
    return command->run(parse_command_line(*command, argc, argv, 2));
  } catch (const UsageError& e) {
    std::fprintf(stderr, "rwkv-edge %s: %s\n", cmd, e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rwkv-edge %s: %s\n", cmd, e.what());
    return 1;
  }
}
