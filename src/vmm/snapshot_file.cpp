// The snapshot state file's layout (format version 1). Every integer is little-endian; a
// "string" is a u32 byte count followed by that many bytes, with no terminator.
//
//   magic            8 bytes   "RVISORST"
//   format version   u32       kSnapshotFormatVersion
//   identity
//     isa            string    at most 1024 bytes, printable ASCII
//     cpus           u32
//     memory         u64       bytes of guest RAM
//     device count   u32       at most 1024
//     devices        string    each at most 256 bytes, printable ASCII, in bus order
//   section count    u32       at most 4096
//   sections, each
//     tag            string    1 to 64 bytes, printable ASCII, unique in the file
//     version        u32       the layout of the payload
//     payload length u64
//     payload        bytes
//   checksum         u64       CRC-64/XZ (ECMA-182, reflected; liblzma's lzma_crc64) of every
//                              byte before it
//
// Nothing follows the checksum, and nothing lies between the last section and the checksum.

#include "vmm/snapshot_file.h"

#include "state/state_writer.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <lzma.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <set>
#include <span>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>

namespace rvisor::vmm {

namespace {

constexpr std::string_view kMagic = "RVISORST";
constexpr size_t kVersionSize = 4;
constexpr size_t kChecksumSize = 8;

// The limits are far above anything a real machine writes; they exist so a corrupt length is
// rejected before it becomes an allocation, and the writer keeps to them so that every file it
// writes can be read back.
constexpr size_t kMaxIsaSize = 1024;
constexpr size_t kMaxDeviceNameSize = 256;
constexpr size_t kMaxDevices = 1024;
constexpr size_t kMaxSections = 4096;
constexpr size_t kMaxTagSize = 64;

// Only printable ASCII, so that `snapshot-info` and error messages stay one line each and a
// terminal cannot be sent escapes by a crafted file.
bool is_printable(std::string_view text)
{
    return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

bool is_valid_tag(std::string_view tag)
{
    return !tag.empty() && tag.size() <= kMaxTagSize && is_printable(tag);
}

uint64_t crc64(std::span<const uint8_t> bytes) { return lzma_crc64(bytes.data(), bytes.size(), 0); }

uint64_t load_little_endian(std::span<const uint8_t> bytes)
{
    uint64_t value = 0;
    for (size_t i = 0; i < bytes.size(); ++i)
        value |= uint64_t { bytes[i] } << (8 * i);
    return value;
}

// Programming errors, not user errors: the machine built these names and tags itself.
void check_writable(const SnapshotState& state)
{
    const auto& identity = state.identity;
    if (identity.isa.size() > kMaxIsaSize || !is_printable(identity.isa))
        throw std::logic_error(fmt::format(
            "snapshot isa string must be printable ASCII of at most {} bytes", kMaxIsaSize));
    if (identity.devices.size() > kMaxDevices)
        throw std::logic_error(fmt::format(
            "a snapshot holds at most {} devices, not {}", kMaxDevices, identity.devices.size()));
    for (const auto& device : identity.devices) {
        if (device.size() > kMaxDeviceNameSize || !is_printable(device))
            throw std::logic_error(
                fmt::format("snapshot device name '{}' must be printable ASCII of at most {} bytes",
                    device, kMaxDeviceNameSize));
    }
    if (state.sections.size() > kMaxSections)
        throw std::logic_error(fmt::format(
            "a snapshot holds at most {} sections, not {}", kMaxSections, state.sections.size()));
    std::set<std::string_view> tags;
    for (const auto& section : state.sections) {
        if (!is_valid_tag(section.tag))
            throw std::logic_error(
                fmt::format("snapshot section tag '{}' must be 1 to {} bytes of printable ASCII",
                    section.tag, kMaxTagSize));
        if (!tags.insert(section.tag).second)
            throw std::logic_error(
                fmt::format("snapshot section tag '{}' is used twice", section.tag));
    }
}

std::vector<uint8_t> encode(const SnapshotState& state)
{
    state::StateWriter writer;
    for (char c : kMagic)
        writer.u8(static_cast<uint8_t>(c));
    writer.u32(kSnapshotFormatVersion);
    writer.string(state.identity.isa);
    writer.u32(state.identity.cpus);
    writer.u64(state.identity.memory);
    writer.u32(static_cast<uint32_t>(state.identity.devices.size()));
    for (const auto& device : state.identity.devices)
        writer.string(device);
    writer.u32(static_cast<uint32_t>(state.sections.size()));
    for (const auto& section : state.sections) {
        writer.string(section.tag);
        writer.u32(section.version);
        // The payload's length is a u64, not the StateWriter's u32, so its bytes go in raw.
        writer.u64(section.payload.size());
        for (uint8_t byte : section.payload)
            writer.u8(byte);
    }
    writer.u64(crc64(writer.data()));
    return writer.data();
}

[[noreturn]] void throw_write_error(const std::filesystem::path& path, int error)
{
    throw SnapshotError(
        fmt::format("cannot write snapshot '{}': {}", path.string(), std::strerror(error)));
}

// Closes the descriptor on every path out, so an exception cannot leak it.
class FileDescriptor {
public:
    explicit FileDescriptor(int fd)
        : m_fd(fd)
    {
    }
    ~FileDescriptor()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;

    int get() const { return m_fd; }
    bool valid() const { return m_fd >= 0; }
    // close() can report a write error the earlier calls did not (on NFS, say), so it is checked
    // where it matters.
    int close()
    {
        const int result = ::close(m_fd);
        m_fd = -1;
        return result;
    }

private:
    int m_fd;
};

// Returns 0 or an errno.
int write_whole_file(const std::filesystem::path& path, std::span<const uint8_t> bytes)
{
    FileDescriptor file(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!file.valid())
        return errno;
    size_t written = 0;
    while (written < bytes.size()) {
        const ssize_t result = ::write(file.get(), bytes.data() + written, bytes.size() - written);
        if (result < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        written += static_cast<size_t>(result);
    }
    // Without this a crash soon after the rename could leave PATH naming an empty file.
    if (::fsync(file.get()) != 0)
        return errno;
    if (file.close() != 0)
        return errno;
    return 0;
}

// Returns 0 or an errno.
int sync_directory(const std::filesystem::path& directory)
{
    FileDescriptor handle(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!handle.valid())
        return errno;
    if (::fsync(handle.get()) != 0)
        return errno;
    return 0;
}

// Reads the whole file, or throws the one-sentence error naming it.
std::vector<uint8_t> read_whole_file(const std::filesystem::path& path)
{
    auto fail = [&](int error) {
        throw SnapshotError(
            fmt::format("cannot read snapshot '{}': {}", path.string(), std::strerror(error)));
    };
    FileDescriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!file.valid())
        fail(errno);
    struct stat status { };
    if (::fstat(file.get(), &status) != 0)
        fail(errno);
    if (S_ISDIR(status.st_mode))
        fail(EISDIR);
    std::vector<uint8_t> bytes;
    // The size only sizes the first buffer; the loop reads to end of file, so a file that grows
    // or shrinks while we read still gives what read() returned.
    if (S_ISREG(status.st_mode))
        bytes.reserve(static_cast<size_t>(status.st_size));
    uint8_t buffer[65536];
    while (true) {
        const ssize_t result = ::read(file.get(), buffer, sizeof(buffer));
        if (result < 0) {
            if (errno == EINTR)
                continue;
            fail(errno);
        }
        if (result == 0)
            break;
        bytes.insert(bytes.end(), buffer, buffer + result);
    }
    return bytes;
}

// Walks the body between the version and the checksum. The checksum has already matched, so a
// failure here means the writer was wrong or the file was crafted; every length is checked
// against the bytes left before anything is allocated from it.
class BodyReader {
public:
    BodyReader(const std::filesystem::path& path, std::span<const uint8_t> body)
        : m_path(path.string())
        , m_body(body)
    {
    }

    size_t remaining() const { return m_body.size() - m_position; }

    uint32_t u32(std::string_view what) { return static_cast<uint32_t>(little_endian(4, what)); }
    uint64_t u64(std::string_view what) { return little_endian(8, what); }

    std::string string(size_t max_size, std::string_view what)
    {
        const uint32_t size = u32(fmt::format("the length of {}", what));
        if (size > max_size)
            corrupt(
                fmt::format("{} claims {} bytes, more than the limit of {}", what, size, max_size));
        if (size > remaining())
            truncated(
                fmt::format("{} claims {} bytes but only {} remain", what, size, remaining()));
        std::string value(reinterpret_cast<const char*>(m_body.data() + m_position), size);
        m_position += size;
        if (!is_printable(value))
            corrupt(fmt::format("{} is not printable ASCII", what));
        return value;
    }

    std::vector<uint8_t> bytes(uint64_t size, std::string_view what)
    {
        if (size > remaining())
            truncated(
                fmt::format("{} claims {} bytes but only {} remain", what, size, remaining()));
        const auto start = m_body.begin() + static_cast<std::ptrdiff_t>(m_position);
        std::vector<uint8_t> value(start, start + static_cast<std::ptrdiff_t>(size));
        m_position += size;
        return value;
    }

    [[noreturn]] void corrupt(const std::string& what) const
    {
        throw SnapshotError(fmt::format("'{}' is corrupt: {}", m_path, what));
    }

    [[noreturn]] void truncated(const std::string& what) const
    {
        throw SnapshotError(fmt::format("'{}' is truncated: {}", m_path, what));
    }

private:
    uint64_t little_endian(unsigned size, std::string_view what)
    {
        if (remaining() < size)
            truncated(fmt::format("it ends inside {}", what));
        const uint64_t value = load_little_endian(m_body.subspan(m_position, size));
        m_position += size;
        return value;
    }

    std::string m_path;
    std::span<const uint8_t> m_body;
    size_t m_position = 0;
};

SnapshotState parse_body(const std::filesystem::path& path, std::span<const uint8_t> body)
{
    BodyReader reader(path, body);
    SnapshotState state;
    auto& identity = state.identity;
    identity.isa = reader.string(kMaxIsaSize, "the isa string");
    identity.cpus = reader.u32("the hart count");
    identity.memory = reader.u64("the memory size");
    const uint32_t device_count = reader.u32("the device count");
    if (device_count > kMaxDevices)
        reader.corrupt(fmt::format(
            "it claims {} devices, more than the limit of {}", device_count, kMaxDevices));
    for (uint32_t i = 0; i < device_count; ++i)
        identity.devices.push_back(
            reader.string(kMaxDeviceNameSize, fmt::format("the name of device {}", i)));

    const uint32_t section_count = reader.u32("the section count");
    if (section_count > kMaxSections)
        reader.corrupt(fmt::format(
            "it claims {} sections, more than the limit of {}", section_count, kMaxSections));
    std::set<std::string> tags;
    for (uint32_t i = 0; i < section_count; ++i) {
        SnapshotSection section;
        section.tag = reader.string(kMaxTagSize, fmt::format("the tag of section {}", i));
        if (section.tag.empty())
            reader.corrupt(fmt::format("section {} has an empty tag", i));
        if (!tags.insert(section.tag).second)
            reader.corrupt(fmt::format("the section '{}' appears twice", section.tag));
        const auto what = fmt::format("section '{}'", section.tag);
        section.version = reader.u32(fmt::format("the version of {}", what));
        const uint64_t size = reader.u64(fmt::format("the length of {}", what));
        section.payload = reader.bytes(size, what);
        state.sections.push_back(std::move(section));
    }
    if (reader.remaining() != 0)
        reader.corrupt(fmt::format(
            "{} bytes follow its last section, before the checksum", reader.remaining()));
    return state;
}

} // namespace

const SnapshotSection& SnapshotState::section(const std::string& tag) const
{
    for (const auto& section : sections) {
        if (section.tag == tag)
            return section;
    }
    throw SnapshotError(fmt::format("the snapshot has no '{}' section", tag));
}

bool SnapshotState::has_section(const std::string& tag) const
{
    return std::any_of(
        sections.begin(), sections.end(), [&](const auto& section) { return section.tag == tag; });
}

void write_snapshot_file(const std::filesystem::path& path, const SnapshotState& state)
{
    check_writable(state);
    const auto bytes = encode(state);
    // In the same directory, so the rename is atomic: PATH is the old file or the new one,
    // never a part of either.
    auto temporary = path;
    temporary += ".tmp";
    if (const int error = write_whole_file(temporary, bytes)) {
        ::unlink(temporary.c_str());
        throw_write_error(path, error);
    }
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
        const int error = errno;
        ::unlink(temporary.c_str());
        throw_write_error(path, error);
    }
    // The rename is only durable once the directory entry is.
    const auto directory = path.has_parent_path() ? path.parent_path() : ".";
    if (const int error = sync_directory(directory))
        throw_write_error(path, error);
}

SnapshotState read_snapshot_file(const std::filesystem::path& path)
{
    const auto bytes = read_whole_file(path);
    return parse_snapshot_file(bytes, path);
}

SnapshotState parse_snapshot_file(std::span<const uint8_t> file, const std::filesystem::path& path)
{
    const auto name = path.string();
    const bool has_magic
        = file.size() >= kMagic.size() && std::equal(kMagic.begin(), kMagic.end(), file.begin());
    if (!has_magic)
        throw SnapshotError(fmt::format("'{}' is not an rvisor snapshot state file{}", name,
            file.empty() ? " (it is empty)" : ""));
    if (file.size() < kMagic.size() + kVersionSize + kChecksumSize)
        throw SnapshotError(
            fmt::format("'{}' is truncated: it is only {} bytes long", name, file.size()));

    // The version comes before the checksum because a later format may checksum differently;
    // the message should then say "newer rvisor", not "corrupt".
    const auto version
        = static_cast<uint32_t>(load_little_endian(file.subspan(kMagic.size(), kVersionSize)));
    if (version > kSnapshotFormatVersion || version < kOldestReadableSnapshotFormat)
        throw SnapshotError(fmt::format(
            "'{}' is a format-{} snapshot; this rvisor reads formats {} to {} ({} rvisor wrote it)",
            name, version, kOldestReadableSnapshotFormat, kSnapshotFormatVersion,
            version > kSnapshotFormatVersion ? "a newer" : "an older"));

    // Checked before the body is parsed, so a damaged byte anywhere is reported as damage
    // rather than as whatever nonsense its field would have parsed to.
    const auto covered = file.first(file.size() - kChecksumSize);
    if (crc64(covered) != load_little_endian(file.last(kChecksumSize)))
        throw SnapshotError(fmt::format(
            "'{}' is corrupt: its checksum does not match (the file was changed or damaged)",
            name));

    return parse_body(path, covered.subspan(kMagic.size() + kVersionSize));
}

std::string describe_snapshot(const std::filesystem::path& path, const SnapshotState& state)
{
    // read_snapshot_file keeps no format version in the state: while it reads only the format
    // this rvisor writes, that is the file's. Reading an older format will need the state to
    // carry its version for this line.
    static_assert(kOldestReadableSnapshotFormat == kSnapshotFormatVersion);

    const auto& identity = state.identity;
    std::string text = fmt::format("rvisor snapshot state file: {}\n", path.string());
    text += fmt::format("format version: {}\n", kSnapshotFormatVersion);
    constexpr uint64_t kMiB = uint64_t { 1 } << 20;
    const auto memory = identity.memory % kMiB == 0 ? fmt::format("{} MiB", identity.memory / kMiB)
                                                    : fmt::format("{} bytes", identity.memory);
    text += fmt::format("machine: {}, {} hart{}, {} RAM\n", identity.isa, identity.cpus,
        identity.cpus == 1 ? "" : "s", memory);
    text += fmt::format("devices: {}\n",
        identity.devices.empty() ? std::string("none")
                                 : fmt::format("{}", fmt::join(identity.devices, ", ")));
    text += fmt::format("sections ({}):\n", state.sections.size());
    size_t tag_width = 11;
    for (const auto& section : state.sections)
        tag_width = std::max(tag_width, section.tag.size());
    for (const auto& section : state.sections)
        text += fmt::format("  {:<{}}  v{:<4} {:>10} bytes\n", section.tag, tag_width,
            section.version, section.payload.size());
    return text;
}

} // namespace rvisor::vmm
