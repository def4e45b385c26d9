#include "jit/block_compiler.h"

namespace rvisor::jit {

bool BlockCompiler::emit_float(const Insn&) { return false; }

} // namespace rvisor::jit
