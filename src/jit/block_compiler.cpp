#include "jit/block_compiler.h"

#include "cpu/status_bits.h"
#include "isa/decoder.h"
#include "jit/hart_access.h"

#include <xbyak/xbyak_util.h>

#include <algorithm>
#include <cstring>

namespace rvisor::jit {

namespace {

using isa::Opcode;

// Instructions after which the hart's mode, translation or pc may be anything: the block ends
// and control returns to the dispatcher, which looks at the new state.
bool is_system(Opcode opcode)
{
    switch (opcode) {
    case Opcode::illegal:
    case Opcode::count:
    case Opcode::ecall:
    case Opcode::ebreak:
    case Opcode::sret:
    case Opcode::mret:
    case Opcode::wfi:
    case Opcode::sfence_vma:
    case Opcode::fence_i:
    case Opcode::csrrw:
    case Opcode::csrrs:
    case Opcode::csrrc:
    case Opcode::csrrwi:
    case Opcode::csrrsi:
    case Opcode::csrrci: return true;
    default: return false;
    }
}

bool is_control(Opcode opcode)
{
    switch (opcode) {
    case Opcode::jal:
    case Opcode::jalr:
    case Opcode::beq:
    case Opcode::bne:
    case Opcode::blt:
    case Opcode::bge:
    case Opcode::bltu:
    case Opcode::bgeu: return true;
    default: return false;
    }
}

// F and D instructions, which need mstatus.FS on and turn it Dirty.
bool is_float(Opcode opcode)
{
    const std::string_view mnemonic = isa::info(opcode).mnemonic;
    return mnemonic.starts_with('f') && !mnemonic.starts_with("fence");
}

} // namespace

BlockCompiler::BlockCompiler(CodeBuffer& buffer, const cpu::Hart& hart)
    : Xbyak::CodeGenerator(buffer.size(), buffer.data())
    , m_buffer(buffer)
    , m_hart(hart)
{
    for (unsigned i = 0; i < 32; ++i) {
        m_offsets.x[i] = HartAccess::x(hart, i);
        m_offsets.f[i] = HartAccess::f(hart, i);
    }
    m_host_has_fma = Xbyak::util::Cpu().has(Xbyak::util::Cpu::tFMA);
    // Not rax, rcx, rdx (scratch: shifts, division), rbp, r12 (state) or rsp. The
    // caller-saved ones are written back and reloaded around calls anyway.
    m_pool = { rbx, r13, r14, r15, r8, r9, r10, r11, rsi, rdi };
    for (unsigned i = 0; i < kCachedRegisters; ++i)
        m_pool32[i] = m_pool[i].cvt32();
    for (unsigned i = 0; i < kCachedFloatRegisters; ++i)
        m_xmm_pool[i] = Xbyak::Xmm(static_cast<int>(3 + i));
    for (unsigned i = 0; i < 32; ++i) {
        m_x_memory.push_back(qword[rbp + HartAccess::x(hart, i)]);
        m_x32_memory.push_back(dword[rbp + HartAccess::x(hart, i)]);
    }
    m_offsets.pc = HartAccess::pc(hart);
    m_offsets.instret = HartAccess::instret(hart);
    m_offsets.privilege = HartAccess::privilege(hart);
    m_offsets.data_tag_bits = HartAccess::data_tag_bits(hart);
    m_offsets.fflags = HartAccess::fflags(hart);
    m_offsets.frm = HartAccess::frm(hart);
    m_offsets.mstatus = HartAccess::mstatus(hart);
    m_offsets.trapped = HartAccess::trapped(hart);
    for (unsigned kind = 0; kind < cpu::Tlb::kKinds; ++kind)
        m_offsets.tlb[kind] = HartAccess::tlb_table(hart, kind);
    reset();
}

void BlockCompiler::reset()
{
    Xbyak::CodeGenerator::reset();
    // enter(hart, state, code): callee-saved registers kept, the stack 16-byte aligned for
    // helper calls, then straight into the block.
    m_enter = reinterpret_cast<EnterFunction>(const_cast<uint8_t*>(getCurr()));
    push(rbx);
    push(rbp);
    push(r12);
    push(r13);
    push(r14);
    push(r15);
    sub(rsp, 8);
    mov(rbp, rdi);
    mov(r12, rsi);
    jmp(rdx);
    align(16);
    m_exit = getCurr();
    add(rsp, 8);
    pop(r15);
    pop(r14);
    pop(r13);
    pop(r12);
    pop(rbp);
    pop(rbx);
    ret();
    align(16);
}

void BlockCompiler::link(uint64_t site, const uint8_t* target)
{
    auto* bytes = reinterpret_cast<uint8_t*>(site);
    const auto displacement = static_cast<int32_t>(target - (bytes + 5));
    bytes[0] = 0xe9; // jmp rel32
    std::memcpy(bytes + 1, &displacement, 4);
}

std::optional<CompiledBlock> BlockCompiler::compile(const BlockSource& source,
    const std::function<const uint8_t*(uint64_t, const uint8_t*)>& find_block,
    std::deque<isa::DecodedInstruction>& fallbacks)
{
    // Decode first: the entry needs the block's length.
    std::vector<Insn> instructions;
    std::vector<uint64_t> pcs;
    size_t offset = 0;
    while (instructions.size() < kMaxInstructions && offset + 2 <= source.bytes_to_page_end) {
        uint16_t low;
        std::memcpy(&low, source.host + offset, 2);
        uint32_t bits = low;
        if (!isa::is_compressed(low)) {
            if (offset + 4 > source.bytes_to_page_end)
                break; // crosses the page: the dispatcher interprets it
            std::memcpy(&bits, source.host + offset, 4);
        }
        Insn insn = isa::decode(bits);
        instructions.push_back(insn);
        pcs.push_back(source.pc + offset);
        offset += insn.length;
        if ((is_system(insn.opcode) && !is_float_csr_access(insn)) || is_control(insn.opcode))
            break;
    }
    if (instructions.empty())
        return std::nullopt;

    m_block_pc = source.pc;
    m_block_host = source.host;
    m_pending = 0;
    m_find_block = &find_block;
    m_fallbacks = &fallbacks;
    m_far_code.clear();
    m_trap_exit.emplace();

    const uint8_t* entry = getCurr();
    const auto count = static_cast<int32_t>(instructions.size());
    Xbyak::Label out_of_budget;
    sub(qword[r12 + offsetof(RuntimeState, budget)], count);
    js(out_of_budget, T_NEAR);
    Xbyak::Label float_off;
    const bool uses_float = std::any_of(instructions.begin(), instructions.end(),
        [](const Insn& insn) { return is_float(insn.opcode) || is_float_csr_access(insn); });
    if (uses_float) {
        // Checked once per block: FS only changes through CSR writes and traps, which end
        // blocks. Dirty is set up front, as the spec allows an implementation to do.
        test(dword[rbp + m_offsets.mstatus], static_cast<uint32_t>(cpu::status::kFs));
        jz(float_off, T_NEAR);
        or_(dword[rbp + m_offsets.mstatus], static_cast<uint32_t>(cpu::status::kFs));
    }

    assign_registers(instructions);
    // A block that branches back to its own start loops without leaving: everything it
    // caches is loaded here and every register it writes counts as dirty from here on, so
    // the state at the back edge is the state at the top.
    m_loop_top.emplace();
    reload(m_cached);
    m_loaded = m_cached;
    m_dirty = m_written;
    // Singles the block reads and never writes are checked for NaN-boxing once, here, not at
    // each use in every round. One that is not boxed (a guest bug) has the dispatcher
    // interpret the block's instructions one by one.
    for (unsigned index = 0; index < 32; ++index) {
        if (m_read_only_singles & (1u << index)) {
            cmp(dword[rbp + m_offsets.f[index] + 4], -1);
            jne(float_off, T_NEAR);
        }
    }
    m_boxed_singles = m_read_only_singles;
    L(*m_loop_top);
    bool ended = false;
    for (size_t i = 0; i < instructions.size(); ++i) {
        const Insn& insn = instructions[i];
        m_pc = pcs[i];
        load_sources(insn);
        if (is_control(insn.opcode)) {
            emit_control(insn);
            ended = true;
            break;
        }
        if (is_float_csr_access(insn)) {
            emit_float_csr(insn);
            ++m_pending;
            continue;
        }
        if (is_system(insn.opcode)) {
            emit_fallback(insn, true);
            ended = true;
            break;
        }
        if (!emit_integer(insn) && !emit_memory(insn) && !emit_float(insn))
            emit_fallback(insn, false);
        else
            ++m_pending;
    }
    if (!ended) { // at the page end or the length limit: every instruction is counted already
        m_pc = source.pc + offset;
        exit_to(m_pc, 0);
    }

    L(out_of_budget);
    add(qword[r12 + offsetof(RuntimeState, budget)], count);
    mov(rax, m_block_pc);
    mov(qword[rbp + m_offsets.pc], rax);
    xor_(eax, eax);
    jmp(m_exit, T_NEAR);
    if (uses_float) {
        // The dispatcher interprets the first instruction, which raises the exception if it
        // is F or D.
        L(float_off);
        add(qword[r12 + offsetof(RuntimeState, budget)], count);
        mov(rax, m_block_pc);
        mov(qword[rbp + m_offsets.pc], rax);
        mov(eax, 1);
        jmp(m_exit, T_NEAR);
    }
    L(*m_trap_exit);
    xor_(eax, eax);
    jmp(m_exit, T_NEAR);
    // Slow paths may add more far code (none do today); index, not iterators.
    for (size_t i = 0; i < m_far_code.size(); ++i)
        m_far_code[i]();
    m_far_code.clear();
    align(16);
    return CompiledBlock { entry, static_cast<unsigned>(instructions.size()) };
}

void BlockCompiler::assign_registers(const std::vector<Insn>& instructions)
{
    // The most used x and f registers of the block get host registers.
    std::array<unsigned, 32> uses {}, float_uses {};
    RegisterMask written = 0;
    uint32_t singles_read = 0; // by .s instructions (fadd.s, fcvt.d.s, fle.s...)
    for (const Insn& insn : instructions) {
        const isa::InstructionInfo& info = isa::info(insn.opcode);
        const std::string_view operands = info.operands;
        const auto has
            = [&](char operand) { return operands.find(operand) != std::string_view::npos; };
        if (has('d')) {
            ++uses[insn.rd];
            written |= x_bit(insn.rd);
        }
        uses[insn.rs1] += has('s');
        uses[insn.rs2] += has('t');
        if (has('D')) {
            ++float_uses[insn.rd];
            written |= f_bit(insn.rd);
        }
        float_uses[insn.rs1] += has('S');
        float_uses[insn.rs2] += has('T');
        float_uses[insn.rs3] += has('R');
        if (info.mnemonic.ends_with(".s"))
            singles_read |= (has('S') ? 1u << insn.rs1 : 0) | (has('T') ? 1u << insn.rs2 : 0)
                | (has('R') ? 1u << insn.rs3 : 0);
    }
    const auto floats_written = static_cast<uint32_t>(written >> 32);
    // Singles written to a home are boxed from the pattern register (fcvt.s.d too: the
    // mnemonic does not tell), so any f write needs it.
    m_uses_box = floats_written != 0;
    m_read_only_singles = singles_read & ~floats_written;
    uses[0] = 0;
    m_home.fill(-1);
    m_f_home.fill(-1);
    m_loaded = m_dirty = 0;
    m_cached = 0;
    const auto assign = [&](std::array<unsigned, 32>& counts, std::array<int8_t, 32>& homes,
                            unsigned slots, RegisterMask (*bit)(unsigned)) {
        for (unsigned slot = 0; slot < slots; ++slot) {
            const auto most = std::max_element(counts.begin(), counts.end());
            if (*most == 0)
                break;
            const auto index = static_cast<unsigned>(most - counts.begin());
            homes[index] = static_cast<int8_t>(slot);
            m_cached |= bit(index);
            *most = 0;
        }
    };
    assign(uses, m_home, kCachedRegisters, &x_bit);
    assign(float_uses, m_f_home, kCachedFloatRegisters, &f_bit);
    m_written = written & m_cached;
}

const Xbyak::Operand& BlockCompiler::x(unsigned index)
{
    const int home = m_home[index];
    if (home < 0)
        return m_x_memory[index];
    if (!(m_loaded & x_bit(index))) {
        mov(m_pool[home], m_x_memory[index]);
        m_loaded |= x_bit(index);
    }
    return m_pool[home];
}

const Xbyak::Operand& BlockCompiler::x32(unsigned index)
{
    if (m_home[index] < 0)
        return m_x32_memory[index];
    x(index);
    return m_pool32[m_home[index]];
}

void BlockCompiler::store_x(unsigned index, const Xbyak::Reg64& value)
{
    if (index == 0) // x0 stays zero in memory
        return;
    const int home = m_home[index];
    if (home < 0) {
        mov(m_x_memory[index], value);
        return;
    }
    if (m_pool[home] != value)
        mov(m_pool[home], value);
    m_loaded |= x_bit(index);
    m_dirty |= x_bit(index);
}

void BlockCompiler::read_f(const Xbyak::Reg64& bits, unsigned index)
{
    if (const Xbyak::Xmm* home = f_home(index))
        movq(bits, *home);
    else
        mov(bits, f(index));
}

void BlockCompiler::read_f(const Xbyak::Xmm& value, unsigned index, bool single)
{
    if (const Xbyak::Xmm* home = f_home(index))
        movaps(value, *home);
    else if (single)
        movss(value, dword[rbp + m_offsets.f[index]]);
    else
        movsd(value, f(index));
}

void BlockCompiler::write_f(unsigned index, const Xbyak::Xmm& value, bool single)
{
    note_f_written(index, single);
    const Xbyak::Xmm* home = f_home(index);
    if (!home) {
        if (single) {
            movss(dword[rbp + m_offsets.f[index]], value);
            mov(dword[rbp + m_offsets.f[index] + 4], -1);
        } else {
            movsd(f(index), value);
        }
        return;
    }
    m_loaded |= f_bit(index);
    m_dirty |= f_bit(index);
    if (single) {
        movaps(*home, Xbyak::Xmm(kBoxPattern));
        movss(*home, value);
    } else {
        movaps(*home, value);
    }
}

void BlockCompiler::write_f(unsigned index, const Xbyak::Reg64& bits, bool boxed_single)
{
    note_f_written(index, boxed_single);
    const Xbyak::Xmm* home = f_home(index);
    if (!home) {
        mov(f(index), bits);
        return;
    }
    movq(*home, bits);
    m_loaded |= f_bit(index);
    m_dirty |= f_bit(index);
}

void BlockCompiler::check_boxed(unsigned index, Xbyak::Label& slow)
{
    if (m_boxed_singles & (1u << index))
        return;
    if (m_dirty & f_bit(index)) { // memory is stale: look at the home
        movq(rax, *f_home(index));
        shr(rax, 32);
        cmp(eax, -1);
    } else {
        cmp(dword[rbp + m_offsets.f[index] + 4], -1);
    }
    jne(slow, T_NEAR);
}

void BlockCompiler::load_sources(const Insn& insn)
{
    const std::string_view operands = isa::info(insn.opcode).operands;
    if (operands.find('s') != std::string_view::npos)
        x(insn.rs1);
    if (operands.find('t') != std::string_view::npos)
        x(insn.rs2);
    const auto load_float = [&](char operand, unsigned index) {
        if (operands.find(operand) == std::string_view::npos || m_f_home[index] < 0
            || (m_loaded & f_bit(index)))
            return;
        movsd(m_xmm_pool[m_f_home[index]], f(index));
        m_loaded |= f_bit(index);
    };
    load_float('S', insn.rs1);
    load_float('T', insn.rs2);
    load_float('R', insn.rs3);
}

void BlockCompiler::write_back(RegisterMask dirty)
{
    for (unsigned index = 1; index < 32; ++index) {
        if (dirty & x_bit(index))
            mov(m_x_memory[index], m_pool[m_home[index]]);
    }
    for (unsigned index = 0; index < 32; ++index) {
        if (dirty & f_bit(index))
            movsd(f(index), m_xmm_pool[m_f_home[index]]);
    }
}

void BlockCompiler::reload(RegisterMask loaded)
{
    for (unsigned index = 1; index < 32; ++index) {
        if (loaded & x_bit(index))
            mov(m_pool[m_home[index]], m_x_memory[index]);
    }
    for (unsigned index = 0; index < 32; ++index) {
        if (loaded & f_bit(index))
            movsd(m_xmm_pool[m_f_home[index]], f(index));
    }
    load_box_pattern();
}

void BlockCompiler::load_box_pattern()
{
    if (!m_uses_box)
        return;
    const Xbyak::Xmm pattern(kBoxPattern);
    pcmpeqd(pattern, pattern);
    psllq(pattern, 32);
}

void BlockCompiler::retire_pending(unsigned extra)
{
    if (m_pending + extra != 0)
        add(qword[rbp + m_offsets.instret], static_cast<int32_t>(m_pending + extra));
}

void BlockCompiler::sync_for_call()
{
    mov(rax, m_pc);
    mov(qword[rbp + m_offsets.pc], rax);
    retire_pending(0);
}

void BlockCompiler::undo_sync()
{
    if (m_pending != 0)
        sub(qword[rbp + m_offsets.instret], static_cast<int32_t>(m_pending));
}

void BlockCompiler::call_helper(const void* function)
{
    mov(rax, reinterpret_cast<uint64_t>(function));
    call(rax);
}

void BlockCompiler::exit_to(uint64_t target, unsigned current)
{
    retire_pending(current);
    if (target == m_block_pc && m_loaded == m_cached && m_dirty == m_written) {
        // The back edge of a loop: round again while the budget lasts (else leave through
        // the entry, whose budget check then returns to the dispatcher).
        // One round: the instructions up to this branch.
        const auto budget = qword[r12 + offsetof(RuntimeState, budget)];
        const auto round = static_cast<int32_t>(m_pending + current);
        sub(budget, round);
        jns(*m_loop_top, T_NEAR);
        add(budget, round);
    }
    write_back(m_dirty);
    const bool same_page = (target >> 12) == (m_block_pc >> 12);
    if (!same_page) {
        mov(rax, target);
        exit_indirect();
        return;
    }
    // Within the page the guest-physical location is fixed whatever the mapping, so the jump
    // can go straight to the block there, now or once it exists.
    const uint8_t* target_host = m_block_host + (target - m_block_pc);
    if (const uint8_t* code = (*m_find_block)(target, target_host)) {
        jmp(code, T_NEAR);
        return;
    }
    const uint8_t* site = getCurr();
    mov(rax, target);
    mov(qword[rbp + m_offsets.pc], rax);
    mov(rax, reinterpret_cast<uint64_t>(site));
    jmp(m_exit, T_NEAR);
}

void BlockCompiler::exit_indirect()
{
    // rax: the guest pc. The jump cache holds blocks by virtual pc and privilege.
    write_back(m_dirty);
    Xbyak::Label miss;
    mov(rcx, rax);
    shl(rcx, 2);
    movzx(edx, byte[rbp + m_offsets.privilege]);
    or_(rcx, rdx);
    mov(edx, eax);
    shr(edx, 1);
    and_(edx, static_cast<uint32_t>(RuntimeState::kJumpCacheSize - 1));
    shl(edx, 4);
    const auto table = static_cast<int32_t>(offsetof(RuntimeState, jump_cache));
    cmp(rcx, qword[r12 + rdx + table]);
    jne(miss);
    jmp(qword[r12 + rdx + table + 8]);
    L(miss);
    mov(qword[rbp + m_offsets.pc], rax);
    xor_(eax, eax);
    jmp(m_exit, T_NEAR);
}

void BlockCompiler::exit_to_dispatcher()
{
    write_back(m_dirty);
    xor_(eax, eax);
    jmp(m_exit, T_NEAR);
}

void BlockCompiler::emit_fallback(const Insn& insn, bool ends_block)
{
    m_fallbacks->push_back(insn);
    write_back(m_dirty);
    forget_registers(); // the interpreter may write any register
    sync_for_call();
    m_pending = 0; // the interpreter retires the instruction itself
    mov(rdi, rbp);
    mov(rsi, reinterpret_cast<uint64_t>(&m_fallbacks->back()));
    call_helper(reinterpret_cast<const void*>(&HartAccess::interpret));
    test(eax, eax);
    jnz(*m_trap_exit, T_NEAR);
    if (ends_block)
        exit_to_dispatcher();
    else
        load_box_pattern();
}

} // namespace rvisor::jit
