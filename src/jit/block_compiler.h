#pragma once
// Translates one guest basic block (straight-line code up to a branch, a system instruction
// or the end of its page) into x86-64. Guest registers live in the Hart, addressed from rbp;
// r12 holds the RuntimeState. Instructions without a translation call the interpreter, so
// every instruction works and the translation of each is an optimization that can be tested
// against it.
#include "cpu/hart.h"
#include "isa/instruction.h"
#include "jit/code_buffer.h"
#include "jit/runtime_state.h"

#include <array>
#include <deque>
#include <functional>
#include <optional>
#include <vector>

#define XBYAK_NO_OP_NAMES
#include <xbyak/xbyak.h>

namespace rvisor::jit {

// Where a block's code comes from: its guest pc, and the host bytes of guest RAM from there to
// the end of the page.
struct BlockSource {
    uint64_t pc;
    const uint8_t* host;
    size_t bytes_to_page_end;
};

struct CompiledBlock {
    const uint8_t* entry;
    unsigned instructions;
};

// Translated code returns this to the dispatcher: 0, or the address of a direct exit that may
// be patched into a jump to the block now at the hart's pc (a block in the same page).
using EnterFunction = uint64_t (*)(cpu::Hart*, RuntimeState*, const uint8_t* code);

class BlockCompiler : private Xbyak::CodeGenerator {
public:
    static constexpr unsigned kMaxInstructions = 64;
    // Room a block can need at most: compile only with this much space left.
    static constexpr size_t kMaxBlockBytes = 64 * 1024;

    BlockCompiler(CodeBuffer& buffer, const cpu::Hart& hart);

    // Forgets every block and emits afresh the code that enters and leaves translated code.
    void reset();
    size_t space_left() const { return m_buffer.size() - getSize(); }
    size_t code_bytes() const { return getSize(); }
    EnterFunction enter() const { return m_enter; }

    // find_block: the code of an already translated block at a guest pc and host address, or
    // nullptr.
    // Decoded instructions that fall back to the interpreter are kept in `fallbacks`, which
    // must outlive the code. nullopt when not even the first instruction fits in the page.
    std::optional<CompiledBlock> compile(const BlockSource& source,
        const std::function<const uint8_t*(uint64_t pc, const uint8_t* host)>& find_block,
        std::deque<isa::DecodedInstruction>& fallbacks);

    // Makes the direct exit at `site` jump straight to `target`.
    static void link(uint64_t site, const uint8_t* target);

private:
    using Insn = isa::DecodedInstruction;
    // Bits 0-31: x registers; 32-63: f registers.
    using RegisterMask = uint64_t;

    // Each returns false when the instruction has no translation of that class.
    bool emit_integer(const Insn& insn);
    bool emit_memory(const Insn& insn);
    bool emit_control(const Insn& insn);
    bool emit_float(const Insn& insn);
    // fflags in all forms, frm and fcsr reads: in the block (C's fenv-style code, and GCC's
    // inline sqrt domain check, read and restore fflags in inner loops). Other CSR accesses
    // end the block in the interpreter.
    bool emit_float_csr(const Insn& insn);
    static bool is_float_csr_access(const Insn& insn);
    // fflags as the guest sees them into eax: those recorded, ORed with those MXCSR has
    // gathered since (which stay there); edx: MXCSR's part alone.
    void read_float_flags();
    void emit_fallback(const Insn& insn, bool ends_block);
    // A slow path at `slow` that executes insn in the interpreter and continues at `resume`;
    // `dirty`: the registers to write back, as they were where the slow path leaves.
    void redo_in_interpreter(
        const Insn& insn, RegisterMask dirty, Xbyak::Label& slow, Xbyak::Label& resume);

    // Guest registers: a block keeps the x registers it uses most in host registers and its f
    // registers in XMM registers (loaded on first use, written back at every exit and before
    // every call), so chains of dependent instructions do not go through memory. x() is the
    // register's current home; x0 always reads its slot in memory, which stays zero. An XMM
    // home holds the register's 64 bits as memory would, singles NaN-boxed.
    const Xbyak::Operand& x(unsigned index);
    const Xbyak::Operand& x32(unsigned index);
    Xbyak::Address f(unsigned index) { return qword[rbp + m_offsets.f[index]]; }
    void store_x(unsigned index, const Xbyak::Reg64& value);
    // f registers: the XMM home (loaded by load_sources), or nullptr when the register lives
    // in memory in this block.
    const Xbyak::Xmm* f_home(unsigned index) const
    {
        return m_f_home[index] < 0 ? nullptr : &m_xmm_pool[m_f_home[index]];
    }
    void read_f(const Xbyak::Reg64& bits, unsigned index); // the raw 64 bits
    void read_f(const Xbyak::Xmm& value, unsigned index, bool single);
    // xmm0's low single (NaN-boxed on the way) or double into f[index].
    void write_f(unsigned index, const Xbyak::Xmm& value, bool single);
    void write_f(unsigned index, const Xbyak::Reg64& bits, bool boxed_single); // raw bits
    // Before an instruction's code: its x and f sources are loaded, so that no load is
    // emitted on only one of the paths inside it.
    void load_sources(const Insn& insn);
    void assign_registers(const std::vector<Insn>& instructions);
    static RegisterMask x_bit(unsigned index) { return RegisterMask { 1 } << index; }
    static RegisterMask f_bit(unsigned index) { return RegisterMask { 1 } << (32 + index); }
    void write_back(RegisterMask dirty);
    // Also puts the NaN-boxing pattern back into kBoxPattern (calls clobber every XMM).
    void reload(RegisterMask loaded);
    void load_box_pattern();
    // After the interpreter ran: memory holds the truth, nothing is loaded.
    void forget_registers() { m_loaded = m_dirty = m_boxed_singles = 0; }
    // F registers holding NaN-boxed singles this block wrote (or loaded with flw): reading
    // them as singles needs no boxing check.
    void note_f_written(unsigned index, bool boxed_single)
    {
        const uint32_t bit = 1u << index;
        m_boxed_singles = boxed_single ? m_boxed_singles | bit : m_boxed_singles & ~bit;
    }
    // Sends a single operand that is not NaN-boxed to `slow`.
    void check_boxed(unsigned index, Xbyak::Label& slow);

    // Leaving the block. Each accounts for the instructions retired so far plus the current one.
    // A known guest pc; `current` is 1 when the instruction being translated (a branch or jump)
    // is still to be counted, 0 when the block simply ran out.
    void exit_to(uint64_t target, unsigned current = 1);
    void exit_indirect(); // the guest pc in rax
    void exit_to_dispatcher(); // pc already in the hart
    void retire_pending(unsigned extra);
    // Before a call that may trap: the hart's pc and instret as the current instruction sees
    // them. undo_sync() takes instret back on the path where it did not trap.
    void sync_for_call();
    void undo_sync();
    void call_helper(const void* function);
    // Out-of-line code (slow paths), emitted after the block's main path.
    void far(std::function<void()> code) { m_far_code.push_back(std::move(code)); }

    struct Offsets {
        int32_t x[32];
        int32_t f[32];
        int32_t pc, instret, privilege, data_tag_bits, mstatus, trapped, fflags, frm;
        int32_t tlb[cpu::Tlb::kKinds];
    };

    static constexpr unsigned kCachedRegisters = 10;
    std::array<Xbyak::Reg64, kCachedRegisters> m_pool;
    std::array<Xbyak::Reg32, kCachedRegisters> m_pool32;
    // xmm0-2: scratch; xmm15: 0xffffffff in the upper half of the low quadword, for boxing.
    static constexpr unsigned kCachedFloatRegisters = 12;
    std::array<Xbyak::Xmm, kCachedFloatRegisters> m_xmm_pool;
    static constexpr int kBoxPattern = 15;
    bool m_uses_box = false; // the block writes f registers: singles are boxed in XMM
    // Singles the block reads and never writes: checked for NaN-boxing once, at its entry.
    uint32_t m_read_only_singles = 0;
    std::vector<Xbyak::Address> m_x_memory; // by guest register
    std::vector<Xbyak::Address> m_x32_memory;
    std::array<int8_t, 32> m_home {}; // index into m_pool, or -1: in memory
    std::array<int8_t, 32> m_f_home {}; // index into m_xmm_pool, or -1
    RegisterMask m_loaded = 0; // guest registers whose host register holds the value
    RegisterMask m_dirty = 0; // ...and whose memory slot does not
    uint32_t m_boxed_singles = 0; // see note_f_written()
    RegisterMask m_cached = 0; // guest registers with a host register in this block
    RegisterMask m_written = 0; // ...that the block writes
    std::optional<Xbyak::Label> m_loop_top; // where a back edge to the block's start goes

    CodeBuffer& m_buffer;
    const cpu::Hart& m_hart;
    Offsets m_offsets;
    EnterFunction m_enter = nullptr;
    bool m_host_has_fma = false;
    const uint8_t* m_exit = nullptr;

    // Per block.
    uint64_t m_block_pc = 0;
    uint64_t m_pc = 0; // of the instruction being translated
    unsigned m_pending = 0; // instructions translated since instret was last brought up to date
    const std::function<const uint8_t*(uint64_t, const uint8_t*)>* m_find_block = nullptr;
    const uint8_t* m_block_host = nullptr;
    std::deque<isa::DecodedInstruction>* m_fallbacks = nullptr;
    std::vector<std::function<void()>> m_far_code;
    std::optional<Xbyak::Label> m_trap_exit; // per block: the code there leaves after a trap
};

} // namespace rvisor::jit
