#include "devices/htif.h"

#include <cstring>
#include <stdexcept>

namespace rvisor::devices {

namespace {

uint64_t* word_at(mem::GuestRam& ram, uint64_t address)
{
    if (!ram.contains(address, 8) || (address & 7))
        return nullptr;
    return reinterpret_cast<uint64_t*>(ram.pointer(address));
}

constexpr uint64_t kSysWrite = 64;

} // namespace

Htif::Htif(mem::GuestRam& ram, uint64_t tohost, std::optional<uint64_t> fromhost,
    std::function<void(uint8_t)> console_output)
    : m_ram(ram)
    , m_tohost(tohost)
    , m_fromhost(fromhost)
    , m_console_output(std::move(console_output))
{
    if (!word_at(ram, tohost))
        throw std::runtime_error("the program's tohost symbol is not an aligned word in RAM");
    if (fromhost && !word_at(ram, *fromhost))
        throw std::runtime_error("the program's fromhost symbol is not an aligned word in RAM");
}

void Htif::respond(uint64_t value)
{
    __atomic_store_n(word_at(m_ram, m_tohost), 0, __ATOMIC_SEQ_CST);
    if (m_fromhost)
        __atomic_store_n(word_at(m_ram, *m_fromhost), value, __ATOMIC_SEQ_CST);
}

// The proxied system call of riscv-tests' printf: magic_mem[0..3] = {SYS_write, fd, buf, len}.
void Htif::serve_system_call(uint64_t address)
{
    uint64_t* call = word_at(m_ram, address);
    if (!call || !m_ram.contains(address, 32)) {
        respond(1);
        return;
    }
    int64_t result = -38; // -ENOSYS
    if (call[0] == kSysWrite && (call[1] == 1 || call[1] == 2)) {
        auto bytes = m_ram.span(call[2], call[3]);
        if (bytes.size() == call[3]) {
            for (uint8_t byte : bytes)
                m_console_output(byte);
            result = static_cast<int64_t>(call[3]);
        } else {
            result = -14; // -EFAULT
        }
    }
    call[0] = static_cast<uint64_t>(result);
    respond(1);
}

std::optional<Htif::Exit> Htif::poll()
{
    std::lock_guard lock(m_mutex);
    const uint64_t request = __atomic_load_n(word_at(m_ram, m_tohost), __ATOMIC_SEQ_CST);
    if (request == 0)
        return std::nullopt;
    const uint64_t device = request >> 56;
    const uint64_t command = (request >> 48) & 0xff;
    const uint64_t payload = request & ((uint64_t { 1 } << 48) - 1);
    if (device == 0 && command == 0) {
        if (payload & 1)
            return Exit { payload >> 1 };
        serve_system_call(payload);
        return std::nullopt;
    }
    if (device == 1 && command == 1) {
        m_console_output(static_cast<uint8_t>(payload));
        respond((uint64_t { 1 } << 56) | (uint64_t { 1 } << 48));
        return std::nullopt;
    }
    // Unknown device or command (e.g. console input): acknowledge so the program goes on.
    respond(request);
    return std::nullopt;
}

} // namespace rvisor::devices
