// Loads and stores: the TLB hit inline, everything else (misses, MMIO, page crossings, MPRV,
// faults) through the hart's own load/store.
#include "cpu/status_bits.h"
#include "jit/block_compiler.h"
#include "jit/hart_access.h"

namespace rvisor::jit {

namespace {

using isa::Opcode;

struct MemoryForm {
    unsigned size;
    bool is_store;
    bool is_signed;
    bool is_float;
};

std::optional<MemoryForm> memory_form(Opcode opcode)
{
    switch (opcode) {
    case Opcode::lb: return MemoryForm { 1, false, true, false };
    case Opcode::lh: return MemoryForm { 2, false, true, false };
    case Opcode::lw: return MemoryForm { 4, false, true, false };
    case Opcode::ld: return MemoryForm { 8, false, false, false };
    case Opcode::lbu: return MemoryForm { 1, false, false, false };
    case Opcode::lhu: return MemoryForm { 2, false, false, false };
    case Opcode::lwu: return MemoryForm { 4, false, false, false };
    case Opcode::sb: return MemoryForm { 1, true, false, false };
    case Opcode::sh: return MemoryForm { 2, true, false, false };
    case Opcode::sw: return MemoryForm { 4, true, false, false };
    case Opcode::sd: return MemoryForm { 8, true, false, false };
    case Opcode::flw: return MemoryForm { 4, false, false, true };
    case Opcode::fld: return MemoryForm { 8, false, false, true };
    case Opcode::fsw: return MemoryForm { 4, true, false, true };
    case Opcode::fsd: return MemoryForm { 8, true, false, true };
    default: return std::nullopt;
    }
}

template <typename T, bool Signed> const void* load_helper()
{
    return reinterpret_cast<const void*>(&HartAccess::load<T, Signed>);
}
template <typename T> const void* store_helper()
{
    return reinterpret_cast<const void*>(&HartAccess::store<T>);
}

const void* slow_path(const MemoryForm& form)
{
    if (form.is_store) {
        switch (form.size) {
        case 1: return store_helper<uint8_t>();
        case 2: return store_helper<uint16_t>();
        case 4: return store_helper<uint32_t>();
        default: return store_helper<uint64_t>();
        }
    }
    switch (form.size) {
    case 1: return form.is_signed ? load_helper<uint8_t, true>() : load_helper<uint8_t, false>();
    case 2: return form.is_signed ? load_helper<uint16_t, true>() : load_helper<uint16_t, false>();
    case 4: return form.is_signed ? load_helper<uint32_t, true>() : load_helper<uint32_t, false>();
    default: return load_helper<uint64_t, false>();
    }
}

static_assert(sizeof(cpu::Tlb::Entry) == 16, "the inline TLB probe scales the index by 16");

} // namespace

bool BlockCompiler::emit_memory(const Insn& insn)
{
    const auto form = memory_form(insn.opcode);
    if (!form)
        return false;
    // A slow path leaves from before rd is written and comes back after: it writes back what
    // was dirty when it left, and reloads what the main path has loaded when it returns.
    const RegisterMask dirty = m_dirty;
    const unsigned kind = form->is_store ? 2 : 1;
    Xbyak::Label slow, done;

    // rax: the guest address.
    if (insn.rs1 != 0 && m_home[insn.rs1] >= 0) {
        lea(rax, ptr[m_pool[m_home[insn.rs1]] + static_cast<int32_t>(insn.immediate)]);
    } else {
        mov(rax, x(insn.rs1));
        if (insn.immediate != 0)
            add(rax, static_cast<int32_t>(insn.immediate));
    }
    // The TLB entry for this page and access kind, tagged with the privilege loads and stores
    // use now (MPRV included) and SUM and MXR (Hart::tlb_tag_bits). The address's low bits
    // that alignment wants zero stay in the compared value, below the tag's bits: a misaligned
    // access misses and takes the slow path, which also handles those crossing a page.
    mov(rdx, rax);
    and_(rdx, static_cast<int32_t>(-4096 | static_cast<int32_t>(form->size - 1)));
    or_(dl, byte[rbp + m_offsets.data_tag_bits]);
    mov(ecx, eax);
    shr(ecx, 8);
    and_(ecx, static_cast<uint32_t>((cpu::Tlb::kEntries - 1) << 4)); // index · sizeof(Entry)
    const int32_t table = m_offsets.tlb[kind];
    cmp(rdx, qword[rbp + rcx + table]);
    jne(slow, T_NEAR);
    add(rax, qword[rbp + rcx + table + 8]);

    if (form->is_store && form->is_float && f_home(insn.rs2)) {
        const Xbyak::Xmm& value = *f_home(insn.rs2);
        form->size == 4 ? movss(dword[rax], value) : movsd(qword[rax], value);
    } else if (form->is_store) {
        if (form->is_float)
            read_f(rdx, insn.rs2);
        else
            mov(rdx, x(insn.rs2));
        switch (form->size) {
        case 1: mov(byte[rax], dl); break;
        case 2: mov(word[rax], dx); break;
        case 4: mov(dword[rax], edx); break;
        default: mov(qword[rax], rdx); break;
        }
    } else {
        switch (form->size) {
        case 1:
            if (form->is_signed)
                movsx(rdx, byte[rax]);
            else
                movzx(edx, byte[rax]);
            break;
        case 2:
            if (form->is_signed)
                movsx(rdx, word[rax]);
            else
                movzx(edx, word[rax]);
            break;
        case 4:
            if (form->is_signed)
                movsxd(rdx, dword[rax]);
            else
                mov(edx, dword[rax]);
            break;
        default: mov(rdx, qword[rax]); break;
        }
    }
    L(done);
    if (!form->is_store) {
        if (form->is_float) {
            if (form->size == 4) { // NaN-boxed
                mov(rax, 0xffffffff00000000ull);
                or_(rdx, rax);
            }
            write_f(insn.rd, rdx, form->size == 4);
        } else {
            store_x(insn.rd, rdx);
        }
    }

    const void* helper = slow_path(*form);
    const auto pending = m_pending;
    const auto pc = m_pc;
    const Insn copy = insn;
    const MemoryForm form_copy = *form;
    const RegisterMask loaded = m_loaded;
    far([this, slow, done, helper, pending, pc, copy, form_copy, loaded, dirty]() mutable {
        const unsigned saved_pending = m_pending;
        const uint64_t saved_pc = m_pc;
        m_pending = pending;
        m_pc = pc;
        L(slow);
        // The value to store is read before the write-back, from where the main path had it.
        if (form_copy.is_store) {
            if (form_copy.is_float)
                read_f(rdx, copy.rs2);
            else if (copy.rs2 != 0 && m_home[copy.rs2] >= 0)
                mov(rdx, m_pool[m_home[copy.rs2]]);
            else
                mov(rdx, m_x_memory[copy.rs2]);
        }
        write_back(dirty);
        mov(rsi, rax);
        sync_for_call();
        mov(rdi, rbp);
        call_helper(helper);
        cmp(byte[rbp + m_offsets.trapped], 0);
        jne(*m_trap_exit, T_NEAR);
        undo_sync();
        mov(rdx, rax);
        reload(loaded);
        jmp(done, T_NEAR);
        m_pending = saved_pending;
        m_pc = saved_pc;
    });
    return true;
}

} // namespace rvisor::jit
