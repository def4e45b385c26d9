// libFuzzer target: the snapshot state file (README.md). Every input is a state file rvisor
// might be handed: the reader must refuse it with a SnapshotError or accept it, and every
// section it accepts must load into a fresh hart or device, or be refused with a StateError:
// never a crash, a hang or a huge allocation. Most inputs get a correct magic, version and
// checksum, so that mutations reach the parser behind the CRC-64.
#include "cpu/hart_state.h"
#include "devices/aclint.h"
#include "devices/goldfish_rtc.h"
#include "devices/plic.h"
#include "devices/uart16550.h"
#include "host/clock.h"
#include "state/state_reader.h"
#include "vmm/snapshot_file.h"

#include <lzma.h>

#include <cstdint>
#include <span>
#include <vector>

namespace {

using rvisor::state::StateError;
using rvisor::state::StateReader;

// A body behind a valid header and checksum, as the writer would frame it.
std::vector<uint8_t> framed(std::span<const uint8_t> body)
{
    std::vector<uint8_t> file { 'R', 'V', 'I', 'S', 'O', 'R', 'S', 'T', 1, 0, 0, 0 };
    file.insert(file.end(), body.begin(), body.end());
    const uint64_t crc = lzma_crc64(file.data(), file.size(), 0);
    for (int i = 0; i < 8; ++i)
        file.push_back(static_cast<uint8_t>(crc >> (8 * i)));
    return file;
}

template <typename Load> void try_load(const rvisor::state::Section& section, Load&& load)
{
    try {
        StateReader in(section.payload, section.tag, section.version);
        load(in);
        in.finish();
    } catch (const StateError&) {
    }
}

// Each section's payload, whatever its tag, into each loader that stands alone.
void load_sections(const rvisor::vmm::SnapshotState& state)
{
    using namespace rvisor;
    for (const auto& section : state.sections) {
        try_load(section, [](StateReader& in) { cpu::load_hart_state(in); });
        cpu::InterruptLines hart0, hart1;
        try_load(section, [&](StateReader& in) {
            devices::Plic plic { { &hart0, &hart1 } };
            plic.load(in);
        });
        try_load(section, [&](StateReader& in) {
            host::Clock clock;
            devices::Aclint aclint(clock, { &hart0, &hart1 });
            aclint.load(in);
        });
        try_load(section, [&](StateReader& in) {
            devices::Plic plic { std::vector<cpu::InterruptLines*> {} };
            devices::Uart16550 uart(devices::InterruptLine { &plic, 10 }, [](uint8_t) {});
            uart.load(in);
        });
        try_load(section, [&](StateReader& in) {
            devices::Plic plic { std::vector<cpu::InterruptLines*> {} };
            devices::GoldfishRtc rtc(devices::InterruptLine { &plic, 11 });
            rtc.load(in);
        });
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    if (size == 0)
        return 0;
    const std::span<const uint8_t> rest(data + 1, size - 1);
    // One input in eight is taken as the whole file, header and checksum included.
    const std::vector<uint8_t> file
        = (data[0] & 7) == 0 ? std::vector<uint8_t>(rest.begin(), rest.end()) : framed(rest);
    try {
        const auto state = rvisor::vmm::parse_snapshot_file(file, "fuzz.state");
        rvisor::vmm::describe_snapshot("fuzz.state", state);
        load_sections(state);
    } catch (const rvisor::vmm::SnapshotError&) {
    }
    return 0;
}
