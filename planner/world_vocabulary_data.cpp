// The RWKV World vocabulary (models/rwkv_vocab_v20230424.txt), built into the
// planner so `plan` needs no file beside the binary or path set at build
// time. .incbin keeps the 1 MB out of the compiler (a C array of it takes
// GCC most of a minute); the file is read as is at assembly time.
#include <cstddef>
#include <string_view>

#include "vocabulary.h"

#ifndef RWKV_EDGE_WORLD_VOCAB_FILE
#error "RWKV_EDGE_WORLD_VOCAB_FILE must name models/rwkv_vocab_v20230424.txt"
#endif

__asm__(".pushsection .rodata\n"
        ".balign 16\n"
        ".globl rwkv_edge_world_vocab_begin\n"
        ".hidden rwkv_edge_world_vocab_begin\n"
        "rwkv_edge_world_vocab_begin:\n"
        ".incbin \"" RWKV_EDGE_WORLD_VOCAB_FILE "\"\n"
        ".globl rwkv_edge_world_vocab_end\n"
        ".hidden rwkv_edge_world_vocab_end\n"
        "rwkv_edge_world_vocab_end:\n"
        ".popsection\n");

extern "C" const char rwkv_edge_world_vocab_begin[];
extern "C" const char rwkv_edge_world_vocab_end[];

namespace rwkv_edge::planner {

std::string_view world_vocabulary_text() {
  return {rwkv_edge_world_vocab_begin, static_cast<size_t>(rwkv_edge_world_vocab_end - rwkv_edge_world_vocab_begin)};
}

}  // namespace rwkv_edge::planner
