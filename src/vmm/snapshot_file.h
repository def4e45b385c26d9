#pragma once
// The snapshot state file (docs/snapshot.md): a magic, a format version, the machine's
// identity, one tagged, versioned, length-prefixed section per hart and device, and a CRC-64
// over all of it. Guest RAM is in a separate memory file (mem::GuestRam writes and maps it).
#include "state/section.h"

#include <cstdint>
#include <filesystem>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace rvisor::vmm {

// Any reason a state file cannot be used, as one sentence that names the file.
class SnapshotError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// What machine the state belongs to; a restore checks it before reading any section.
struct SnapshotIdentity {
    std::string isa; // the device tree's riscv,isa string, e.g. "rv64imafdc_zicsr_..."
    uint32_t cpus = 0;
    uint64_t memory = 0; // bytes of guest RAM; the memory file must be exactly this long
    std::vector<std::string> devices; // in bus order, e.g. "virtio-blk@0x10001000"
};

using SnapshotSection = state::Section;

struct SnapshotState {
    SnapshotIdentity identity;
    std::vector<SnapshotSection> sections;

    // The section with this tag; throws SnapshotError naming the missing tag.
    const SnapshotSection& section(const std::string& tag) const;
    bool has_section(const std::string& tag) const;
};

// The format version this rvisor writes, and the oldest it reads.
constexpr uint32_t kSnapshotFormatVersion = 1;
constexpr uint32_t kOldestReadableSnapshotFormat = 1;

// Writes the file whole or not at all: into PATH.tmp, fsync'd, then renamed over PATH.
void write_snapshot_file(const std::filesystem::path& path, const SnapshotState& state);
// Reads and checks a state file. Throws SnapshotError for a missing or unreadable file, a
// wrong magic, a format version this rvisor does not read (saying which it reads), a CRC
// mismatch, truncation, a duplicate tag or lengths that do not add up: never a crash, and
// never a huge allocation from a corrupt length.
SnapshotState read_snapshot_file(const std::filesystem::path& path);
// The same checks on a state file's bytes; `path` only names it in messages.
SnapshotState parse_snapshot_file(std::span<const uint8_t> file, const std::filesystem::path& path);
// The header as text for `rvisor snapshot-info`: format version, identity, and a line per
// section with its tag, version and size.
std::string describe_snapshot(const std::filesystem::path& path, const SnapshotState& state);

} // namespace rvisor::vmm
