// Saved state round trips: for each hart and device, save → load into a fresh one → save gives
// the same bytes, the loaded one behaves as the original did, and damaged sections are refused
// with a StateError rather than loaded.
#include "cpu/hart_state.h"
#include "devices/aclint.h"
#include "devices/goldfish_rtc.h"
#include "devices/plic.h"
#include "devices/uart16550.h"
#include "devices/virtio/balloon.h"
#include "devices/virtio/mmio_transport.h"
#include "devices/virtio/rng.h"
#include "mem/guest_ram.h"
#include "state/state_reader.h"
#include "state/state_writer.h"
#include "virtio_test_driver.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <unistd.h>

using rvisor::cpu::HartState;
using rvisor::cpu::Interrupt;
using rvisor::cpu::InterruptLines;
using rvisor::cpu::load_hart_state;
using rvisor::cpu::Privilege;
using rvisor::cpu::save_hart_state;
using rvisor::devices::InterruptLine;
using rvisor::devices::Plic;
using rvisor::host::Clock;
using rvisor::mem::GuestRam;
using rvisor::state::StateError;
using rvisor::state::StateReader;
using rvisor::state::StateWriter;

namespace {

template <typename Saver> std::vector<uint8_t> saved(const Saver& saver)
{
    StateWriter out;
    saver.save(out);
    return out.data();
}

template <typename Loader> void load(Loader& loader, const std::vector<uint8_t>& bytes)
{
    StateReader in(bytes, "test");
    loader.load(in);
    in.finish();
}

TEST(StateEncodingTest, FieldsRoundTripLittleEndian)
{
    StateWriter out;
    out.u8(0xab);
    out.u16(0x1234);
    out.u32(0xdeadbeef);
    out.u64(0x0102030405060708);
    out.boolean(true);
    out.string("hart");
    EXPECT_EQ(out.data()[1], 0x34);
    EXPECT_EQ(out.data()[7], 0x08);
    StateReader in(out.data(), "test");
    EXPECT_EQ(in.u8(), 0xab);
    EXPECT_EQ(in.u16(), 0x1234);
    EXPECT_EQ(in.u32(), 0xdeadbeefu);
    EXPECT_EQ(in.u64(), 0x0102030405060708u);
    EXPECT_TRUE(in.boolean());
    EXPECT_EQ(in.string(16), "hart");
    EXPECT_NO_THROW(in.finish());
}

TEST(StateEncodingTest, DamagedFieldsAreRefusedByName)
{
    StateWriter out;
    out.u8(2);
    out.u32(1000);
    StateReader flag(out.data(), "uart");
    try {
        flag.boolean();
        FAIL() << "a flag of 2 was accepted";
    } catch (const StateError& error) {
        EXPECT_NE(std::string(error.what()).find("section 'uart'"), std::string::npos);
    }
    StateReader length(std::span(out.data()).subspan(1), "uart");
    EXPECT_THROW(length.bytes(100), StateError); // longer than its limit
    StateReader short_read(std::span(out.data()).first(3), "uart");
    short_read.u8();
    EXPECT_THROW(short_read.u32(), StateError);
    StateReader left_over(out.data(), "uart");
    left_over.u8();
    EXPECT_THROW(left_over.finish(), StateError);
}

HartState random_hart_state(uint64_t seed)
{
    std::mt19937_64 random(seed);
    HartState state;
    state.pc = random();
    for (unsigned i = 1; i < 32; ++i)
        state.x[i] = random();
    for (auto& value : state.f)
        value = random();
    state.privilege = Privilege::Supervisor;
    state.instret = random();
    state.mstatus = random();
    state.satp = random();
    state.stimecmp = random();
    state.mip = random() & 0x222;
    state.fflags = 0x15;
    state.frm = 3;
    state.pmpcfg[5] = 0x1f;
    state.pmpaddr[63] = random();
    state.reservation = 0x80001000;
    state.reserved_value = random();
    return state;
}

TEST(HartStateTest, RoundTripsEveryField)
{
    const HartState original = random_hart_state(7);
    StateWriter out;
    save_hart_state(original, out);
    StateReader in(out.data(), "hart0");
    const HartState loaded = load_hart_state(in);
    in.finish();
    EXPECT_EQ(loaded, original);
    StateWriter again;
    save_hart_state(loaded, again);
    EXPECT_EQ(again.data(), out.data());
}

TEST(HartStateTest, ImpossibleValuesAreRefused)
{
    StateWriter out;
    save_hart_state(random_hart_state(1), out);
    // The privilege byte follows pc and the 64 registers.
    auto bytes = out.data();
    bytes[8 + 64 * 8] = 2;
    StateReader in(bytes, "hart0");
    EXPECT_THROW(load_hart_state(in), StateError);
    auto nonzero_x0 = out.data();
    nonzero_x0[8] = 1;
    StateReader x0(nonzero_x0, "hart0");
    EXPECT_THROW(load_hart_state(x0), StateError);
}

TEST(PlicStateTest, RoundTripKeepsClaimsAndDrivesTheWires)
{
    InterruptLines hart;
    Plic plic { { &hart } };
    plic.write(4 * 5, 4, 3); // source 5 priority 3
    plic.write(0x2000 + 0x80, 4, 1u << 5); // enabled for context 1 (S-mode)
    plic.set_source_level(5, true);
    ASSERT_TRUE(hart.levels() & rvisor::cpu::bit(Interrupt::SupervisorExternal));

    InterruptLines restored_hart;
    Plic restored { { &restored_hart } };
    load(restored, saved(plic));
    EXPECT_EQ(saved(restored), saved(plic));
    EXPECT_TRUE(restored_hart.levels() & rvisor::cpu::bit(Interrupt::SupervisorExternal));
    EXPECT_EQ(restored.read(0x201004, 4), 5u); // the restored one hands out the same claim

    auto bytes = saved(plic);
    bytes[0] = 9; // source 0's priority above the maximum
    EXPECT_THROW(load(restored, bytes), StateError);
}

TEST(AclintStateTest, RoundTripRestoresTimersAndSoftwareInterrupts)
{
    Clock clock;
    InterruptLines hart0, hart1;
    rvisor::devices::Aclint aclint(clock, { &hart0, &hart1 });
    aclint.write(0x4008, 8, 12345); // hart 1's mtimecmp
    aclint.write(0x0, 4, 1); // hart 0's MSIP

    Clock other_clock;
    InterruptLines restored0, restored1;
    rvisor::devices::Aclint restored(other_clock, { &restored0, &restored1 });
    load(restored, saved(aclint));
    EXPECT_EQ(saved(restored), saved(aclint));
    EXPECT_EQ(restored1.machine_timer_compare(), 12345u);
    EXPECT_TRUE(restored0.levels() & rvisor::cpu::bit(Interrupt::MachineSoftware));

    InterruptLines only;
    rvisor::devices::Aclint smaller(clock, { &only });
    EXPECT_THROW(load(smaller, saved(aclint)), StateError);
}

TEST(UartStateTest, RoundTripKeepsReceivedBytesAndRegisters)
{
    Plic plic { std::vector<InterruptLines*> {} };
    rvisor::devices::Uart16550 uart(InterruptLine { &plic, 10 }, [](uint8_t) {});
    uart.write(1, 1, 1); // IER: received data
    uart.write(7, 1, 0x5a); // scratch
    uart.receive('h');
    uart.receive('i');

    Plic other_plic { std::vector<InterruptLines*> {} };
    rvisor::devices::Uart16550 restored(InterruptLine { &other_plic, 10 }, [](uint8_t) {});
    load(restored, saved(uart));
    EXPECT_EQ(saved(restored), saved(uart));
    EXPECT_EQ(other_plic.read(0x1000, 4) >> 10 & 1, 1u); // the line was high when loaded
    EXPECT_EQ(restored.read(7, 1), 0x5au);
    EXPECT_EQ(restored.read(0, 1), 'h');
    EXPECT_EQ(restored.read(0, 1), 'i');
}

TEST(RtcStateTest, RoundTripKeepsTheGuestsOffsetAndAlarm)
{
    Plic plic { std::vector<InterruptLines*> {} };
    rvisor::devices::GoldfishRtc rtc(InterruptLine { &plic, 11 });
    rtc.write(0x04, 4, 0x10); // time high: far in the future
    rtc.write(0x00, 4, 0);
    rtc.write(0x0c, 4, 0x20); // alarm high
    rtc.write(0x08, 4, 0); // alarm low arms it
    Plic other_plic { std::vector<InterruptLines*> {} };
    rvisor::devices::GoldfishRtc restored(InterruptLine { &other_plic, 11 });
    load(restored, saved(rtc));
    EXPECT_EQ(saved(restored), saved(rtc));
    // The time is the host's plus the offset the guest set, in both.
    restored.read(0x00, 4); // latches the high half
    EXPECT_EQ(restored.read(0x04, 4), 0x10u);
}

// An entropy device on a transport, brought up by a driver with one queue of 8 entries.
struct VirtioStateTest : ::testing::Test {
    static constexpr uint64_t kRamBase = 0x80000000;
    GuestRam ram { kRamBase, 1 << 20 };
    Plic plic { std::vector<InterruptLines*> {} };
    rvisor::devices::virtio::VirtioRng device;
    rvisor::devices::virtio::VirtioMmio transport { ram, device, InterruptLine { &plic, 4 },
        false };
    rvisor::devices::virtio::testing::TestDriver driver { transport };
    rvisor::devices::virtio::testing::TestRing ring { ram, kRamBase, 8 };

    void SetUp() override
    {
        ASSERT_TRUE(driver.bring_up(ring, rvisor::devices::virtio::kFeatureVersion1));
    }
};

TEST_F(VirtioStateTest, TransportRoundTripContinuesTheQueue)
{
    using namespace rvisor::devices::virtio;
    using namespace rvisor::devices::virtio::testing;
    // Three requests served before the snapshot.
    for (uint16_t head = 0; head < 3; ++head) {
        ring.set(head, { kRamBase + 0x8000 + 64 * head, 16, kWrite, 0 });
        ring.publish(head);
    }
    driver.notify(0);
    while (ring.used_index() != 3)
        std::this_thread::yield();
    transport.pause();
    const auto bytes = saved(transport);

    // Restored on the same RAM, as a restore maps the memory file: the fourth request is
    // served with the next used index.
    VirtioRng restored_device;
    VirtioMmio restored(ram, restored_device, InterruptLine { &plic, 4 }, false);
    restored.pause();
    load(restored, bytes);
    EXPECT_EQ(saved(restored), bytes);
    restored.resume();
    TestDriver restored_driver(restored);
    EXPECT_EQ(restored_driver.status(),
        kStatusAcknowledge | kStatusDriver | kStatusFeaturesOk | kStatusDriverOk);
    ring.set(3, { kRamBase + 0x8000 + 64 * 3, 16, kWrite, 0 });
    ring.publish(3);
    restored_driver.notify(0);
    while (ring.used_index() != 4)
        std::this_thread::yield();
    EXPECT_EQ(ring.used_id(3), 3u);
    EXPECT_EQ(ring.used_length(3), 16u);
}

TEST_F(VirtioStateTest, ALayoutOutsideRamIsRefused)
{
    using namespace rvisor::devices::virtio;
    using namespace rvisor::devices::virtio::testing;
    transport.pause();
    auto bytes = saved(transport);
    // The descriptor area's address follows the device id, status, features, selects and
    // the queue count, then the queue's size.
    const size_t descriptor_area = 4 + 4 + 8 + 4 + 4 + 4 + 4 + 4;
    bytes[descriptor_area + 7] = 0x40;
    VirtioRng other_device;
    VirtioMmio other(ram, other_device, InterruptLine { &plic, 4 }, false);
    EXPECT_THROW(load(other, bytes), StateError);
}

TEST(VirtioBalloonStateTest, RoundTripKeepsWhatTheDriverReported)
{
    using namespace rvisor::devices::virtio;
    using namespace rvisor::devices::virtio::testing;
    GuestRam ram { kRamBase, 1 << 20 };
    VirtioBalloon device(ram);
    VirtioMmio transport(ram, device, InterruptLine {}, false);
    TestDriver driver(transport);
    TestRing ring { ram, kRamBase, 32 };
    ASSERT_TRUE(driver.negotiate(kFeatureVersion1 | VirtioBalloon::kFeaturePageReporting));
    driver.set_up_queue(VirtioBalloon::kReportingQueue, ring);
    driver.start();
    driver.write(0x104, 1234); // actual
    transport.pause();
    const auto bytes = saved(transport);

    VirtioBalloon restored_device(ram);
    VirtioMmio restored(ram, restored_device, InterruptLine {}, false);
    restored.pause();
    load(restored, bytes);
    EXPECT_EQ(saved(restored), bytes);
    EXPECT_EQ(TestDriver(restored).read(0x104), 1234u);
    EXPECT_EQ(TestDriver(restored).read(0x100), 0u);

    // Without the balloon's own fields the section is damaged.
    VirtioBalloon short_device(ram);
    VirtioMmio short_transport(ram, short_device, InterruptLine {}, false);
    short_transport.pause();
    auto truncated = bytes;
    truncated.erase(truncated.end() - 4 - 1 - 8, truncated.end() - 4 - 1);
    EXPECT_THROW(load(short_transport, truncated), StateError);
}

TEST(GuestRamFileTest, SparseFileRoundTripsAndMapsCopyOnWrite)
{
    const auto folder = std::filesystem::temp_directory_path()
        / ("rvisor-ram-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(folder);
    const auto path = folder / "ram.mem";
    constexpr uint64_t kBase = 0x80000000, kSize = 8 << 20;
    {
        GuestRam ram(kBase, kSize);
        std::memset(ram.pointer(kBase + 0x3000), 0xab, 100);
        std::memset(ram.pointer(kBase + kSize - 4096), 0xcd, 4096);
        ram.pointer(kBase + 0x200000)[0] = 0; // touched but zero: still a hole
        EXPECT_EQ(ram.write_to_file(path), 2 * 4096u);
    }
    EXPECT_FALSE(std::filesystem::exists(path.string() + ".tmp"));
    EXPECT_EQ(std::filesystem::file_size(path), kSize);
    {
        GuestRam first(kBase, kSize, path);
        GuestRam second(kBase, kSize, path);
        EXPECT_EQ(first.pointer(kBase + 0x3000)[99], 0xab);
        EXPECT_EQ(first.pointer(kBase + kSize - 1)[0], 0xcd);
        first.pointer(kBase + 0x3000)[0] = 1; // private to `first`
        EXPECT_EQ(second.pointer(kBase + 0x3000)[0], 0xab);
        // A restored VM's RAM writes out whole, its own changes included.
        EXPECT_EQ(first.write_to_file(folder / "again.mem"), 2 * 4096u);
    }
    std::ifstream file(path, std::ios::binary);
    file.seekg(0x3000);
    EXPECT_EQ(file.get(), 0xab); // the file never sees a restored VM's writes
    EXPECT_THROW(GuestRam(kBase, kSize * 2, path), std::runtime_error);
    EXPECT_THROW(GuestRam(kBase, kSize, folder / "missing.mem"), std::runtime_error);
    std::filesystem::remove_all(folder);
}

} // namespace
