#pragma once
#include "cpu/execution_engine.h"
#include "host/network_backend.h"
#include "host/rate_limiter.h"
#include "host/slirp_network.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace rvisor::machine {

struct DiskConfig {
    std::filesystem::path path;
    bool read_only = false;
    std::string serial; // the virtio-blk device id; the file name when empty
    host::RateLimit limit; // bytes and requests a second
};

struct NetConfig {
    enum class Kind { User, Tap };
    Kind kind { Kind::User };
    std::vector<host::PortForward> hostfwds; // user only
    bool dns { false }; // user only: serve DNS at 10.0.2.3
    host::MacAddress mac { host::kDefaultMacAddress };
    std::string ifname; // tap only
    uint64_t bandwidth { 0 }; // bytes a second each way; 0 for no limit
};

// A virtio socket device joined to host programs through a Unix socket.
struct VsockConfig {
    uint64_t cid = 0; // the guest's context id
    std::filesystem::path uds;
};

// A host directory the guest mounts with `mount -t virtiofs TAG DIR` (docs/virtio-fs.md).
struct FsShareConfig {
    std::filesystem::path directory;
    std::string tag;
    bool read_only = false;
};

// What a VM is: the same machine whichever process runs it, however it is started, and what a
// snapshot records. vmm::VmSpecBuilder makes one from flags, a --config file or an API body.
struct VmSpec {
    std::filesystem::path kernel;
    // Load the kernel as raw bytes at RAM + 2 MiB and enter it there, whatever it looks like.
    bool raw_kernel = false;
    std::vector<std::filesystem::path> initrds; // concatenated in order, as one initramfs
    std::string append; // the kernel command line
    unsigned cpus = 1;
    uint64_t memory = 512ull << 20;
    // M-mode firmware (e.g. OpenSBI fw_dynamic.bin) instead of the built-in SBI.
    std::optional<std::filesystem::path> bios;
    std::vector<DiskConfig> disks; // virtio-blk, in virtio-mmio slots from 0
    std::vector<NetConfig> nets; // virtio-net, in the slots after the disks
    // A virtio balloon with free page reporting, after the console and entropy devices: the
    // guest hands its free memory back to the host.
    bool balloon = false;
    // A virtio socket device, in the slot after the balloon's.
    std::optional<VsockConfig> vsock;
    // virtio-fs shares, in the slots after the socket device's.
    std::vector<FsShareConfig> shares;
    // The binary translator by default; the interpreter is the reference (and what --trace
    // uses, since it sees every instruction).
    cpu::EngineKind engine = cpu::EngineKind::Jit;

    static constexpr unsigned kMaxCpus = 32;
    static constexpr unsigned kVirtioSlots = 16;
    static constexpr uint64_t kMinMemory = 16ull << 20;

    // The virtio devices besides the disks and networks: console, entropy, the balloon, the
    // socket device and the shares.
    unsigned fixed_virtio_devices() const
    {
        return 2 + (balloon ? 1 : 0) + (vsock ? 1 : 0) + static_cast<unsigned>(shares.size());
    }
};

// How this process runs the VM: nothing here changes what the guest sees.
struct RunOptions {
    bool verbose = false; // report guest mistakes (e.g. bad virtqueues) on stderr
    bool trace = false; // print every instruction executed
};

} // namespace rvisor::machine
