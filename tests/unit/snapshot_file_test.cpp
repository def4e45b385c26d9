#include "vmm/snapshot_file.h"

#include <gtest/gtest.h>
#include <lzma.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using rvisor::vmm::describe_snapshot;
using rvisor::vmm::kOldestReadableSnapshotFormat;
using rvisor::vmm::kSnapshotFormatVersion;
using rvisor::vmm::read_snapshot_file;
using rvisor::vmm::SnapshotError;
using rvisor::vmm::SnapshotSection;
using rvisor::vmm::SnapshotState;
using rvisor::vmm::write_snapshot_file;

namespace {

SnapshotState sample_state()
{
    SnapshotState state;
    state.identity.isa = "rv64imafdc_zicsr_zifencei";
    state.identity.cpus = 2;
    state.identity.memory = uint64_t { 512 } << 20;
    state.identity.devices = { "uart16550@0x10000000", "virtio-blk@0x10001000" };
    state.sections.push_back({ "spec", 1, { 's', 'p', 'e', 'c' } });
    state.sections.push_back({ "hart0", 3, std::vector<uint8_t>(300, 0xa5) });
    state.sections.push_back({ "hart1", 3, {} });
    state.sections.push_back({ "plic", 7, { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 } });
    return state;
}

// Builds a file by hand, independently of the writer, so the tests pin down the documented
// layout and can write bodies the writer never would, with a checksum that matches.
class FileBuilder {
public:
    FileBuilder& raw(std::string_view text)
    {
        m_bytes.insert(m_bytes.end(), text.begin(), text.end());
        return *this;
    }
    FileBuilder& raw(const std::vector<uint8_t>& bytes)
    {
        m_bytes.insert(m_bytes.end(), bytes.begin(), bytes.end());
        return *this;
    }
    FileBuilder& u32(uint32_t value) { return little_endian(value, 4); }
    FileBuilder& u64(uint64_t value) { return little_endian(value, 8); }
    FileBuilder& string(std::string_view text)
    {
        u32(static_cast<uint32_t>(text.size()));
        return raw(text);
    }
    // The magic, a format version and a small identity with one device.
    FileBuilder& header(uint32_t version = kSnapshotFormatVersion)
    {
        return raw("RVISORST")
            .u32(version)
            .string("rv64ima")
            .u32(1)
            .u64(1 << 20)
            .u32(1)
            .string("uart");
    }
    std::vector<uint8_t> with_checksum() const
    {
        auto bytes = m_bytes;
        append_checksum(bytes);
        return bytes;
    }

    static void append_checksum(std::vector<uint8_t>& bytes)
    {
        const uint64_t crc = lzma_crc64(bytes.data(), bytes.size(), 0);
        for (unsigned i = 0; i < 8; ++i)
            bytes.push_back(static_cast<uint8_t>(crc >> (8 * i)));
    }

private:
    FileBuilder& little_endian(uint64_t value, unsigned size)
    {
        for (unsigned i = 0; i < size; ++i)
            m_bytes.push_back(static_cast<uint8_t>(value >> (8 * i)));
        return *this;
    }

    std::vector<uint8_t> m_bytes;
};

// `bytes` with its format version replaced and its checksum made to match again, so only the
// version check can reject it.
std::vector<uint8_t> with_version(std::vector<uint8_t> bytes, uint32_t version)
{
    for (unsigned i = 0; i < 4; ++i)
        bytes[8 + i] = static_cast<uint8_t>(version >> (8 * i));
    bytes.erase(bytes.end() - 8, bytes.end());
    FileBuilder::append_checksum(bytes);
    return bytes;
}

void expect_same_state(const SnapshotState& actual, const SnapshotState& expected)
{
    EXPECT_EQ(actual.identity.isa, expected.identity.isa);
    EXPECT_EQ(actual.identity.cpus, expected.identity.cpus);
    EXPECT_EQ(actual.identity.memory, expected.identity.memory);
    EXPECT_EQ(actual.identity.devices, expected.identity.devices);
    EXPECT_EQ(actual.sections, expected.sections);
}

class SnapshotFileTest : public testing::Test {
protected:
    void SetUp() override
    {
        auto pattern = (std::filesystem::temp_directory_path() / "rvisor-snapshot-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        m_directory = pattern;
    }

    void TearDown() override
    {
        std::error_code error;
        // A test may have made a subdirectory unwritable; let remove_all into it.
        for (const auto& entry : std::filesystem::directory_iterator(m_directory, error)) {
            if (entry.is_directory(error))
                std::filesystem::permissions(entry.path(), std::filesystem::perms::owner_all,
                    std::filesystem::perm_options::add, error);
        }
        std::filesystem::remove_all(m_directory, error);
    }

    std::filesystem::path path_of(const std::string& name) const { return m_directory / name; }

    std::vector<uint8_t> read_bytes(const std::filesystem::path& path) const
    {
        std::ifstream file(path, std::ios::binary);
        return { std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>() };
    }

    void write_bytes(const std::filesystem::path& path, const std::vector<uint8_t>& bytes) const
    {
        std::ofstream file(path, std::ios::binary | std::ios::trunc);
        file.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
        ASSERT_TRUE(file.good());
    }

    // The message read_snapshot_file gives for a file holding `bytes`, or "" when it reads.
    std::string read_error(const std::vector<uint8_t>& bytes, const std::string& name = "state")
    {
        const auto path = path_of(name);
        write_bytes(path, bytes);
        return read_error_of(path);
    }

    static std::string read_error_of(const std::filesystem::path& path)
    {
        try {
            read_snapshot_file(path);
        } catch (const SnapshotError& error) {
            return error.what();
        }
        return "";
    }

    // Every error is one sentence that names the file.
    void expect_clear_error(const std::string& message, const std::string& name = "state")
    {
        EXPECT_FALSE(message.empty());
        EXPECT_NE(message.find(path_of(name).string()), std::string::npos) << message;
        EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }

    std::filesystem::path m_directory;
};

} // namespace

TEST_F(SnapshotFileTest, RoundTripsIdentityAndSections)
{
    const auto state = sample_state();
    const auto path = path_of("vm.state");
    write_snapshot_file(path, state);
    expect_same_state(read_snapshot_file(path), state);
}

TEST_F(SnapshotFileTest, RoundTripsAnEmptyMachine)
{
    const SnapshotState state;
    const auto path = path_of("vm.state");
    write_snapshot_file(path, state);
    expect_same_state(read_snapshot_file(path), state);
}

TEST_F(SnapshotFileTest, WritingTwiceGivesTheSameBytes)
{
    const auto state = sample_state();
    write_snapshot_file(path_of("a.state"), state);
    write_snapshot_file(path_of("b.state"), state);
    const auto first = read_bytes(path_of("a.state"));
    EXPECT_FALSE(first.empty());
    EXPECT_EQ(first, read_bytes(path_of("b.state")));
}

TEST_F(SnapshotFileTest, MatchesTheDocumentedLayout)
{
    SnapshotState state;
    state.identity.isa = "rv64ima";
    state.identity.cpus = 1;
    state.identity.memory = 1 << 20;
    state.identity.devices = { "uart" };
    state.sections.push_back({ "hart0", 2, { 0xde, 0xad } });
    write_snapshot_file(path_of("vm.state"), state);

    const auto expected = FileBuilder()
                              .header()
                              .u32(1)
                              .string("hart0")
                              .u32(2)
                              .u64(2)
                              .raw(std::vector<uint8_t> { 0xde, 0xad })
                              .with_checksum();
    EXPECT_EQ(read_bytes(path_of("vm.state")), expected);
}

TEST_F(SnapshotFileTest, ReplacesAnExistingFileAndLeavesNoTemporary)
{
    const auto path = path_of("vm.state");
    write_bytes(path, { 'o', 'l', 'd' });
    write_snapshot_file(path, sample_state());
    expect_same_state(read_snapshot_file(path), sample_state());

    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(m_directory))
        names.push_back(entry.path().filename().string());
    EXPECT_EQ(names, std::vector<std::string> { "vm.state" });
}

TEST_F(SnapshotFileTest, MissingDirectoryIsAWriteError)
{
    const auto path = path_of("absent") / "vm.state";
    try {
        write_snapshot_file(path, sample_state());
        FAIL() << "wrote into a directory that does not exist";
    } catch (const SnapshotError& error) {
        const std::string message = error.what();
        EXPECT_NE(message.find("cannot write snapshot '" + path.string() + "'"), std::string::npos)
            << message;
        EXPECT_NE(message.find("No such file or directory"), std::string::npos) << message;
    }
}

TEST_F(SnapshotFileTest, FileInPlaceOfTheDirectoryIsAWriteError)
{
    // Unlike a read-only directory, this fails for root too.
    write_bytes(path_of("file"), { 'x' });
    EXPECT_THROW(write_snapshot_file(path_of("file") / "vm.state", sample_state()), SnapshotError);
}

TEST_F(SnapshotFileTest, UnwritableDirectoryIsAWriteError)
{
    if (::geteuid() == 0)
        GTEST_SKIP() << "root writes into read-only directories";
    const auto directory = path_of("read-only");
    std::filesystem::create_directory(directory);
    std::filesystem::permissions(
        directory, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
    EXPECT_THROW(write_snapshot_file(directory / "vm.state", sample_state()), SnapshotError);
}

TEST_F(SnapshotFileTest, FailedRenameRemovesTheTemporary)
{
    // A directory in the way makes the rename fail after the temporary was written.
    const auto path = path_of("vm.state");
    std::filesystem::create_directory(path);
    std::filesystem::create_directory(path / "occupied");
    EXPECT_THROW(write_snapshot_file(path, sample_state()), SnapshotError);
    EXPECT_FALSE(std::filesystem::exists(path_of("vm.state.tmp")));
}

TEST_F(SnapshotFileTest, InvalidTagsAreProgrammingErrors)
{
    const auto path = path_of("vm.state");
    auto with_tags = [](std::vector<std::string> tags) {
        SnapshotState state;
        for (auto& tag : tags)
            state.sections.push_back({ std::move(tag), 1, {} });
        return state;
    };
    EXPECT_THROW(
        write_snapshot_file(path, with_tags({ "hart0", "plic", "hart0" })), std::logic_error);
    EXPECT_THROW(write_snapshot_file(path, with_tags({ "" })), std::logic_error);
    EXPECT_THROW(write_snapshot_file(path, with_tags({ std::string(65, 'a') })), std::logic_error);
    EXPECT_THROW(write_snapshot_file(path, with_tags({ "hart\n0" })), std::logic_error);
    EXPECT_NO_THROW(write_snapshot_file(path, with_tags({ std::string(64, 'a') })));

    auto bad_device = sample_state();
    bad_device.identity.devices.push_back(std::string(257, 'd'));
    EXPECT_THROW(write_snapshot_file(path_of("other.state"), bad_device), std::logic_error);
    EXPECT_FALSE(std::filesystem::exists(path_of("other.state")));
    EXPECT_FALSE(std::filesystem::exists(path_of("other.state.tmp")));
}

TEST_F(SnapshotFileTest, MissingFileIsAReadError)
{
    const auto message = read_error_of(path_of("state"));
    expect_clear_error(message);
    EXPECT_NE(message.find("cannot read snapshot"), std::string::npos) << message;
    EXPECT_NE(message.find("No such file or directory"), std::string::npos) << message;
}

TEST_F(SnapshotFileTest, DirectoryIsAReadError)
{
    std::filesystem::create_directory(path_of("state"));
    const auto message = read_error_of(path_of("state"));
    expect_clear_error(message);
    EXPECT_NE(message.find("Is a directory"), std::string::npos) << message;
}

TEST_F(SnapshotFileTest, EmptyFileIsNotASnapshot)
{
    const auto message = read_error({});
    expect_clear_error(message);
    EXPECT_NE(message.find("is not an rvisor snapshot state file"), std::string::npos) << message;
}

TEST_F(SnapshotFileTest, WrongMagicIsNotASnapshot)
{
    auto bytes = FileBuilder().header().u32(0).with_checksum();
    bytes[0] = 'X';
    const auto message = read_error(bytes);
    expect_clear_error(message);
    EXPECT_NE(message.find("is not an rvisor snapshot state file"), std::string::npos) << message;

    const std::string text = "hello, this is a text file and not a snapshot\n";
    expect_clear_error(read_error({ text.begin(), text.end() }));
}

TEST_F(SnapshotFileTest, NewerFormatSaysANewerRvisorWroteIt)
{
    const auto path = path_of("state");
    write_snapshot_file(path, sample_state());
    const auto newer = kSnapshotFormatVersion + 1;
    const auto message = read_error(with_version(read_bytes(path), newer));
    expect_clear_error(message);
    EXPECT_NE(message.find("is a format-" + std::to_string(newer) + " snapshot"), std::string::npos)
        << message;
    EXPECT_NE(message.find("reads formats " + std::to_string(kOldestReadableSnapshotFormat) + " to "
                  + std::to_string(kSnapshotFormatVersion)),
        std::string::npos)
        << message;
    EXPECT_NE(message.find("a newer rvisor wrote it"), std::string::npos) << message;

    const auto newest = read_error(with_version(read_bytes(path), 0xffffffff));
    EXPECT_NE(newest.find("format-4294967295"), std::string::npos) << newest;
}

TEST_F(SnapshotFileTest, OlderFormatSaysAnOlderRvisorWroteIt)
{
    const auto path = path_of("state");
    write_snapshot_file(path, sample_state());
    const auto older = kOldestReadableSnapshotFormat - 1;
    const auto message = read_error(with_version(read_bytes(path), older));
    expect_clear_error(message);
    EXPECT_NE(message.find("is a format-" + std::to_string(older) + " snapshot"), std::string::npos)
        << message;
    EXPECT_NE(message.find("an older rvisor wrote it"), std::string::npos) << message;
}

TEST_F(SnapshotFileTest, EveryTruncationIsAnError)
{
    write_snapshot_file(path_of("whole"), sample_state());
    const auto whole = read_bytes(path_of("whole"));
    for (size_t size = 0; size < whole.size(); ++size) {
        const auto message = read_error({ whole.begin(), whole.begin() + static_cast<long>(size) });
        SCOPED_TRACE("truncated to " + std::to_string(size) + " bytes");
        expect_clear_error(message);
    }
}

TEST_F(SnapshotFileTest, EveryFlippedByteIsAnError)
{
    SnapshotState state;
    state.identity = { "rv64ima", 1, 1 << 20, { "uart" } };
    state.sections.push_back({ "hart0", 1, { 1, 2, 3 } });
    state.sections.push_back({ "plic", 1, {} });
    write_snapshot_file(path_of("whole"), state);
    const auto whole = read_bytes(path_of("whole"));
    for (size_t position = 0; position < whole.size(); ++position) {
        for (uint8_t mask : { uint8_t { 0x01 }, uint8_t { 0x80 } }) {
            auto bytes = whole;
            bytes[position] ^= mask;
            SCOPED_TRACE("byte " + std::to_string(position) + " xor " + std::to_string(mask));
            const auto message = read_error(bytes);
            expect_clear_error(message);
            // Past the magic and version, any change is caught by the checksum.
            if (position >= 12) {
                EXPECT_NE(
                    message.find("is corrupt: its checksum does not match"), std::string::npos)
                    << message;
            }
        }
    }
}

TEST_F(SnapshotFileTest, SectionLongerThanTheFileIsTruncation)
{
    const auto bytes = FileBuilder()
                           .header()
                           .u32(1)
                           .string("hart0")
                           .u32(1)
                           .u64(1000)
                           .raw(std::vector<uint8_t>(10, 0))
                           .with_checksum();
    const auto message = read_error(bytes);
    expect_clear_error(message);
    EXPECT_NE(message.find("is truncated"), std::string::npos) << message;
    EXPECT_NE(message.find("'hart0'"), std::string::npos) << message;

    // A length near 2^64 must not wrap a bounds check.
    const auto huge = FileBuilder()
                          .header()
                          .u32(1)
                          .string("hart0")
                          .u32(1)
                          .u64(~uint64_t { 0 })
                          .raw(std::vector<uint8_t>(10, 0))
                          .with_checksum();
    const auto huge_message = read_error(huge);
    expect_clear_error(huge_message);
    EXPECT_NE(huge_message.find("is truncated"), std::string::npos) << huge_message;
}

TEST_F(SnapshotFileTest, HugeCountsAndLengthsAreRejectedBeforeAllocating)
{
    const std::vector<std::vector<uint8_t>> files = {
        // isa length
        FileBuilder().raw("RVISORST").u32(1).u32(0xffffffff).with_checksum(),
        // isa length within its limit but past the end
        FileBuilder().raw("RVISORST").u32(1).u32(1000).raw("rv64").with_checksum(),
        // device count
        FileBuilder()
            .raw("RVISORST")
            .u32(1)
            .string("rv64ima")
            .u32(1)
            .u64(1 << 20)
            .u32(0xffffffff)
            .with_checksum(),
        // device name length
        FileBuilder()
            .raw("RVISORST")
            .u32(1)
            .string("rv64ima")
            .u32(1)
            .u64(1 << 20)
            .u32(1)
            .u32(0xffffffff)
            .with_checksum(),
        // section count
        FileBuilder().header().u32(0xffffffff).with_checksum(),
        // tag length
        FileBuilder().header().u32(1).u32(0xffffffff).with_checksum(),
        // a count the body does not hold
        FileBuilder().header().u32(4000).with_checksum(),
    };
    for (size_t i = 0; i < files.size(); ++i) {
        SCOPED_TRACE("file " + std::to_string(i));
        const auto message = read_error(files[i]);
        expect_clear_error(message);
        EXPECT_TRUE(message.find("is truncated") != std::string::npos
            || message.find("is corrupt") != std::string::npos)
            << message;
    }
}

TEST_F(SnapshotFileTest, DuplicateTagIsAnError)
{
    const auto bytes = FileBuilder()
                           .header()
                           .u32(2)
                           .string("hart0")
                           .u32(1)
                           .u64(0)
                           .string("hart0")
                           .u32(1)
                           .u64(0)
                           .with_checksum();
    const auto message = read_error(bytes);
    expect_clear_error(message);
    EXPECT_NE(message.find("'hart0' appears twice"), std::string::npos) << message;
}

TEST_F(SnapshotFileTest, InvalidTagsAndNamesInTheFileAreErrors)
{
    const std::vector<std::vector<uint8_t>> files = {
        FileBuilder().header().u32(1).string("").u32(1).u64(0).with_checksum(),
        FileBuilder().header().u32(1).string("hart\n0").u32(1).u64(0).with_checksum(),
        FileBuilder().header().u32(1).string(std::string(65, 't')).u32(1).u64(0).with_checksum(),
        FileBuilder()
            .raw("RVISORST")
            .u32(1)
            .string("rv64\x1b[2J")
            .u32(1)
            .u64(1 << 20)
            .u32(0)
            .u32(0)
            .with_checksum(),
    };
    for (size_t i = 0; i < files.size(); ++i) {
        SCOPED_TRACE("file " + std::to_string(i));
        const auto message = read_error(files[i]);
        expect_clear_error(message);
        EXPECT_NE(message.find("is corrupt"), std::string::npos) << message;
    }
}

TEST_F(SnapshotFileTest, BytesAfterTheLastSectionAreAnError)
{
    const auto bytes
        = FileBuilder().header().u32(1).string("spec").u32(1).u64(1).raw("ab").with_checksum();
    const auto message = read_error(bytes);
    expect_clear_error(message);
    EXPECT_NE(message.find("1 bytes follow its last section"), std::string::npos) << message;
}

TEST_F(SnapshotFileTest, HandBuiltFileReads)
{
    const auto bytes = FileBuilder()
                           .header()
                           .u32(2)
                           .string("spec")
                           .u32(4)
                           .u64(3)
                           .raw("abc")
                           .string("hart0")
                           .u32(1)
                           .u64(0)
                           .with_checksum();
    write_bytes(path_of("state"), bytes);
    const auto state = read_snapshot_file(path_of("state"));
    EXPECT_EQ(state.identity.isa, "rv64ima");
    EXPECT_EQ(state.identity.cpus, 1u);
    EXPECT_EQ(state.identity.memory, uint64_t { 1 } << 20);
    EXPECT_EQ(state.identity.devices, std::vector<std::string> { "uart" });
    ASSERT_EQ(state.sections.size(), 2u);
    EXPECT_EQ(state.section("spec").version, 4u);
    EXPECT_EQ(state.section("spec").payload, (std::vector<uint8_t> { 'a', 'b', 'c' }));
    EXPECT_TRUE(state.section("hart0").payload.empty());
}

TEST(SnapshotStateTest, SectionAndHasSection)
{
    const auto state = sample_state();
    EXPECT_TRUE(state.has_section("hart1"));
    EXPECT_FALSE(state.has_section("hart2"));
    EXPECT_EQ(state.section("plic").version, 7u);
    EXPECT_EQ(state.section("hart0").payload.size(), 300u);
    try {
        state.section("hart2");
        FAIL() << "found a section that is not there";
    } catch (const SnapshotError& error) {
        EXPECT_STREQ(error.what(), "the snapshot has no 'hart2' section");
    }
}

TEST(SnapshotStateTest, DescribeShowsTheHeaderAndEverySection)
{
    const auto text = describe_snapshot("/vms/a.state", sample_state());
    EXPECT_NE(text.find("rvisor snapshot state file: /vms/a.state\n"), std::string::npos) << text;
    EXPECT_NE(text.find("format version: " + std::to_string(kSnapshotFormatVersion) + "\n"),
        std::string::npos)
        << text;
    EXPECT_NE(
        text.find("machine: rv64imafdc_zicsr_zifencei, 2 harts, 512 MiB RAM\n"), std::string::npos)
        << text;
    EXPECT_NE(
        text.find("devices: uart16550@0x10000000, virtio-blk@0x10001000\n"), std::string::npos)
        << text;
    EXPECT_NE(text.find("sections (4):\n"), std::string::npos) << text;
    for (const auto& section : sample_state().sections) {
        const auto line = text.find("  " + section.tag + " ");
        ASSERT_NE(line, std::string::npos) << section.tag << "\n" << text;
        const auto end = text.find('\n', line);
        const auto row = text.substr(line, end - line);
        EXPECT_NE(row.find(" v" + std::to_string(section.version) + " "), std::string::npos) << row;
        EXPECT_NE(
            row.find(" " + std::to_string(section.payload.size()) + " bytes"), std::string::npos)
            << row;
    }
}

TEST(SnapshotStateTest, DescribeGivesOddMemorySizesInBytes)
{
    SnapshotState state;
    state.identity = { "rv64ima", 1, (uint64_t { 1 } << 20) + 4096, {} };
    const auto text = describe_snapshot("a.state", state);
    EXPECT_NE(text.find("machine: rv64ima, 1 hart, 1052672 bytes RAM\n"), std::string::npos)
        << text;
    EXPECT_NE(text.find("devices: none\n"), std::string::npos) << text;
    EXPECT_NE(text.find("sections (0):\n"), std::string::npos) << text;
}
