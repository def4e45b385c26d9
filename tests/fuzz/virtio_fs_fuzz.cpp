// libFuzzer target: virtio-fs behind the virtio-mmio transport, driven by a script of
// descriptor chains and notifications (README.md), its FUSE server sharing a directory of the
// process's own that is filled afresh for each input: a file, a directory with a file, a
// symlink out of the tree and a FIFO. The guest may create, write and rename anything in it;
// nothing it does may reach outside, crash, or grow the host's files beyond the size limit set
// here (fallocate() of terabytes would otherwise fill the disk).
#include "devices/virtio/fs/virtio_fs.h"
#include "virtio_device_fuzzer.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

using rvisor::devices::virtio::VirtioFs;

// A directory of this process's own holding the share, removed at exit; files in it may not
// grow past 16 MiB (EFBIG instead of SIGXFSZ).
class ShareDirectory {
public:
    ShareDirectory()
    {
        std::signal(SIGXFSZ, SIG_IGN);
        rlimit limit { 16 << 20, 16 << 20 };
        ::setrlimit(RLIMIT_FSIZE, &limit);
        // On tmpfs where there is one: FSYNC and SYNCFS then cost nothing, where on a disk
        // they would write out whatever the whole host has pending.
        std::error_code error;
        const std::filesystem::path base = std::filesystem::is_directory("/dev/shm", error)
            ? std::filesystem::path("/dev/shm")
            : std::filesystem::temp_directory_path();
        m_directory = base / ("rvisor-fs-fuzz-" + std::to_string(::getpid()));
        std::filesystem::create_directories(m_directory);
        m_share = m_directory / "share";
    }
    ~ShareDirectory()
    {
        std::error_code ignored;
        std::filesystem::remove_all(m_directory, ignored);
    }
    const std::filesystem::path& share() const { return m_share; }

private:
    std::filesystem::path m_directory;
    std::filesystem::path m_share;
};

const std::filesystem::path& share_directory()
{
    static const ShareDirectory directory;
    return directory.share();
}

void fill_share(const std::filesystem::path& share)
{
    std::error_code ignored;
    // The guest may have taken write permission from a directory; give it back to empty it.
    for (auto& entry : std::filesystem::recursive_directory_iterator(share, ignored)) {
        if (entry.is_directory(ignored) && !entry.is_symlink(ignored))
            std::filesystem::permissions(entry.path(), std::filesystem::perms::owner_all,
                std::filesystem::perm_options::add, ignored);
    }
    std::filesystem::remove_all(share, ignored);
    std::filesystem::create_directories(share / "dir");
    std::ofstream(share / "hello") << "hello from the host\n";
    std::ofstream(share / "dir" / "inner") << std::string(5000, 'x');
    std::filesystem::create_symlink("/etc", share / "etc", ignored);
    ::mkfifo((share / "fifo").c_str(), 0644);
}

class FuzzedFs final : public rvisor::fuzz::FuzzedDevice {
public:
    // Settings: u8, odd for a read-only share.
    FuzzedFs(rvisor::mem::GuestRam&, rvisor::fuzz::ScriptReader& settings)
        : m_read_only((fill_share(share_directory()), settings.u8() & 1))
        , m_fs(share_directory(), "fuzz", m_read_only)
    {
    }

    rvisor::devices::virtio::VirtioDevice& device() override { return m_fs; }
    bool serves_every_chain(unsigned) const override { return true; }

private:
    bool m_read_only;
    VirtioFs m_fs;
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    rvisor::fuzz::run_virtio_device_script<FuzzedFs>({ data, size });
    return 0;
}
