#pragma once
// Berkeley HTIF, the host-target interface of bare-metal test programs (riscv-tests, the
// conformance suites): the program writes a request to its `tohost` word in RAM and, for
// console output, waits for `fromhost`. The machine polls between instruction batches.
#include "mem/guest_ram.h"

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>

namespace rvisor::devices {

class Htif {
public:
    // exit_code 0 is a pass; n > 0 is "test case n failed".
    struct Exit {
        uint64_t exit_code;
    };

    Htif(mem::GuestRam& ram, uint64_t tohost, std::optional<uint64_t> fromhost,
        std::function<void(uint8_t)> console_output);

    // Serves a pending request, if any; returns the program's exit once it reported one.
    std::optional<Exit> poll();

private:
    void respond(uint64_t value);
    void serve_system_call(uint64_t address);

    mem::GuestRam& m_ram;
    uint64_t m_tohost;
    std::optional<uint64_t> m_fromhost;
    std::function<void(uint8_t)> m_console_output;
    std::mutex m_mutex;
};

} // namespace rvisor::devices
