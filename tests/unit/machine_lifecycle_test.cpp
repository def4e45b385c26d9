// The machine's lifecycle (Created → Running ⇄ Paused → Stopped) and a restore of its saved
// state, on a raw S-mode program that counts in RAM forever.
#include "host/console.h"
#include "machine/machine.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <future>
#include <optional>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using rvisor::machine::Machine;
using rvisor::machine::MachineExit;
using rvisor::machine::MachineState;
using rvisor::machine::RunOptions;
using rvisor::machine::VmSpec;

// Loaded at RAM + 2 MiB; the counter lives one page above it, away from the code.
constexpr uint32_t kCounterProgram[] = {
    0x00001297, // auipc t0, 1        t0 = the counter's address
    0x00000513, // li    a0, 0
    0x00150513, // loop: addi a0, a0, 1
    0x00a2b023, // sd    a0, 0(t0)
    0xff9ff06f, // j     loop
};
constexpr uint64_t kCounterOffset = (2 << 20) + 4096; // from the start of RAM

class MachineLifecycleTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        folder = std::filesystem::temp_directory_path()
            / ("rvisor-lifecycle-test-" + std::to_string(::getpid()));
        std::filesystem::create_directories(folder);
        std::ofstream program(folder / "count.bin", std::ios::binary);
        program.write(reinterpret_cast<const char*>(kCounterProgram), sizeof(kCounterProgram));
        spec.kernel = folder / "count.bin";
        spec.raw_kernel = true;
        spec.memory = 32ull << 20;
        ASSERT_EQ(::pipe(input), 0); // never written: the console has no input
        output = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
        ASSERT_GE(output, 0);
        console.emplace(input[0], output);
    }
    void TearDown() override
    {
        console.reset();
        ::close(input[0]);
        ::close(input[1]);
        ::close(output);
        std::filesystem::remove_all(folder);
    }

    // The counter as RAM holds it; only while the machine is paused.
    uint64_t counter(const Machine& machine)
    {
        const auto path = folder / "peek.mem";
        machine.write_memory(path);
        std::ifstream file(path, std::ios::binary);
        file.seekg(kCounterOffset);
        uint64_t value = 0;
        file.read(reinterpret_cast<char*>(&value), sizeof(value));
        return value;
    }

    // Lets the machine run until its counter passes `above`, then pauses it again.
    uint64_t run_past(Machine& machine, uint64_t above)
    {
        for (;;) {
            machine.resume();
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            machine.pause();
            if (const uint64_t value = counter(machine); value > above)
                return value;
        }
    }

    std::filesystem::path folder;
    VmSpec spec;
    RunOptions options;
    int input[2] = { -1, -1 };
    int output = -1;
    std::optional<rvisor::host::Console> console;
};

TEST_F(MachineLifecycleTest, TransitionsAndPauseStopsTheGuest)
{
    Machine machine(spec, options, *console);
    EXPECT_EQ(machine.state(), MachineState::Created);
    machine.pause(); // not Running: nothing happens
    EXPECT_EQ(machine.state(), MachineState::Created);

    machine.start(false);
    EXPECT_EQ(machine.state(), MachineState::Running);
    auto exit = std::async(std::launch::async, [&] { return machine.run(nullptr); });
    machine.pause();
    EXPECT_EQ(machine.state(), MachineState::Paused);
    EXPECT_THROW(machine.write_memory(folder / "no-such-dir" / "x.mem"), std::runtime_error);

    const uint64_t first = run_past(machine, 0);
    // Paused means no instruction runs: the counter holds still.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(counter(machine), first);
    machine.pause(); // already Paused: nothing happens
    EXPECT_EQ(machine.state(), MachineState::Paused);

    EXPECT_GT(run_past(machine, first), first);
    machine.resume();
    EXPECT_EQ(machine.state(), MachineState::Running);
    EXPECT_THROW(machine.save_state(), std::runtime_error); // only while Paused

    machine.stop({ MachineExit::Kind::Quit, 0, {} });
    ASSERT_EQ(exit.wait_for(std::chrono::seconds(60)), std::future_status::ready);
    EXPECT_EQ(exit.get().kind, MachineExit::Kind::Quit);
    EXPECT_EQ(machine.state(), MachineState::Stopped);
    machine.resume(); // Stopped: nothing happens
    EXPECT_EQ(machine.state(), MachineState::Stopped);
}

TEST_F(MachineLifecycleTest, RestoredMachineSavesWhatItLoadedAndContinues)
{
    Machine original(spec, options, *console);
    original.start(false);
    auto original_exit = std::async(std::launch::async, [&] { return original.run(nullptr); });
    original.pause();
    const uint64_t saved_count = run_past(original, 1000);
    const auto sections = original.save_state();
    const auto memory_file = folder / "vm.mem";
    original.write_memory(memory_file);
    original.stop({ MachineExit::Kind::Quit, 0, {} });
    ASSERT_EQ(original_exit.wait_for(std::chrono::seconds(60)), std::future_status::ready);

    auto lookup = [&](const std::string& tag) -> const rvisor::state::Section& {
        for (const auto& section : sections) {
            if (section.tag == tag)
                return section;
        }
        throw std::runtime_error("no section " + tag);
    };
    Machine restored(spec, options, *console, memory_file, lookup);
    restored.start(true);
    EXPECT_EQ(restored.state(), MachineState::Paused);
    EXPECT_EQ(counter(restored), saved_count);
    // Save → load → save gives the same state, section for section.
    const auto again = restored.save_state();
    ASSERT_EQ(again.size(), sections.size());
    for (size_t i = 0; i < sections.size(); ++i) {
        SCOPED_TRACE(sections[i].tag);
        EXPECT_EQ(again[i].tag, sections[i].tag);
        EXPECT_EQ(again[i].version, sections[i].version);
        EXPECT_EQ(again[i].payload, sections[i].payload);
    }

    auto restored_exit = std::async(std::launch::async, [&] { return restored.run(nullptr); });
    EXPECT_GT(run_past(restored, saved_count), saved_count);
    restored.stop({ MachineExit::Kind::Quit, 0, {} });
    ASSERT_EQ(restored_exit.wait_for(std::chrono::seconds(60)), std::future_status::ready);
}

} // namespace
