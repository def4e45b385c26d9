// The agent's wire protocol (docs/agent-protocol.md): the one definition of every message, shared
// by the guest agent and, later, the host's client. Compiles for the host and for the guest.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace rvisor::agent {

// The guest port the agent listens on (AF_VSOCK, any cid).
inline constexpr uint32_t kAgentPort = 1024;
// Version 2 added ConfigureNetwork, ListListeners and the stream join service
// (stream_join_header.h); a host that needs them checks Ping's version.
inline constexpr uint32_t kProtocolVersion = 2;
// A frame is a 4-byte big-endian length, then that many bytes of one JSON object.
inline constexpr size_t kFrameHeaderSize = 4;
inline constexpr uint32_t kMaxFrameSize = 1 << 20;
// Enough for a container's process; far below what a frame could carry.
inline constexpr size_t kMaxExecIdSize = 256;
inline constexpr size_t kMinEntropySize = 32;
inline constexpr size_t kMaxEntropySize = 4096;
// WriteFile is for the small files a container engine bind-mounts (/etc/hosts, resolv.conf);
// decoded, this still fits a frame in base64.
inline constexpr size_t kMaxWriteFileSize = 512 * 1024;
// PATH_MAX less the terminating NUL.
inline constexpr size_t kMaxSymlinkTarget = 4095;
// HOST_NAME_MAX: sethostname refuses more.
inline constexpr size_t kMaxHostnameSize = 64;
inline constexpr uint32_t kDefaultUmask = 022;
inline constexpr uint32_t kDefaultFileMode = 0644;
// IFNAMSIZ less the NUL.
inline constexpr size_t kMaxInterfaceNameSize = 15;

// --- Requests: one struct per method; field names are the JSON names. ---

struct Ping { };

// One of the process's resource limits, as OCI's process.rlimits has it.
struct ResourceLimit {
    int resource = 0; // RLIMIT_*, named by "type" on the wire ("RLIMIT_NOFILE")
    uint64_t soft = 0;
    uint64_t hard = 0; // soft <= hard; 18446744073709551615 is RLIM_INFINITY
};

struct CreateProcess {
    std::string exec_id;
    std::vector<std::string> args; // args[0] is looked up in the PATH of env, as runc does
    std::vector<std::string> env; // "NAME=value"
    std::string cwd = "/";
    uint32_t uid = 0;
    uint32_t gid = 0;
    std::vector<uint32_t> additional_gids;
    bool terminal = false;
    std::optional<std::string> rootfs; // a guest directory the process is chrooted into
    std::vector<ResourceLimit> rlimits; // at most one per resource
    bool no_new_privileges = false;
    uint32_t umask = kDefaultUmask;
    // stdout and stderr to the VM's console, stdin from /dev/null, no OpenStdio streams: for
    // servers whose output must outlive any one host connection (functions restored from a
    // snapshot, whose console each clone logs on its own).
    bool console_output = false;
};

enum class StdioStream { Stdin, Stdout, Stderr };

struct OpenStdio {
    std::string exec_id;
    StdioStream stream = StdioStream::Stdout;
};

struct StartProcess {
    std::string exec_id;
};

struct WaitProcess {
    std::string exec_id;
};

struct SignalProcess {
    std::string exec_id;
    int signal = 0;
    bool all = false; // the whole process group, not only the process
};

struct CloseStdin {
    std::string exec_id;
};

struct TtyWinResize {
    std::string exec_id;
    uint16_t rows = 0;
    uint16_t cols = 0;
};

struct ListProcesses { };

struct Refresh {
    uint64_t realtime_ns = 0;
    std::vector<uint8_t> entropy; // decoded from base64
};

// One entry of an OCI config's mounts, in the guest.
struct Mount {
    std::string source;
    std::string target; // absolute
    std::string fstype; // "" (or "bind") for a bind mount
    std::vector<std::string> options; // OCI mount options: "ro", "nosuid", "rbind", "mode=755"
};

struct WriteFile {
    std::string path; // absolute
    uint32_t mode = kDefaultFileMode;
    std::vector<uint8_t> content; // decoded from base64
};

// A symbolic link at `path` (absolute) to `target` (as given, often relative).
struct Symlink {
    std::string target;
    std::string path;
};

struct SetHostname {
    std::string hostname;
};

struct PowerOff { };

// The guest's network interface, set up by hand: the VM's user-mode network has a fixed
// address plan, so there is no DHCP client to run. Addresses are dotted IPv4.
struct ConfigureNetwork {
    std::string interface; // "eth0"; 1 to 15 bytes
    std::string address;
    uint32_t prefix_length = 24; // 0 to 32
    std::optional<std::string> gateway; // the default route's
};

struct ListListeners { };

using Call = std::variant<Ping, CreateProcess, OpenStdio, StartProcess, WaitProcess, SignalProcess,
    CloseStdin, TtyWinResize, ListProcesses, Refresh, Mount, WriteFile, Symlink, SetHostname,
    PowerOff, ConfigureNetwork, ListListeners>;

struct Request {
    uint64_t id = 0;
    Call call;
};

// Why a frame's JSON is not a request. id is the request's when it could be read, so that the
// reply reaches the caller that made the mistake.
struct DecodeError {
    std::optional<uint64_t> id;
    int error_number = 0;
    std::string message;
};

using DecodedRequest = std::variant<Request, DecodeError>;

// --- Results: what a successful call gives back. ---

struct Empty { };

struct PingResult {
    uint32_t version = kProtocolVersion;
};

struct ExitStatus {
    int exit_status = 0; // the shell's view: the exit code, or 128 + the signal
    std::optional<int> exit_code; // set when the process exited
    std::optional<int> signal; // set when a signal killed it
};

struct ProcessInfo {
    std::string exec_id;
    int pid = 0;
    bool running = false;
};

struct ProcessList {
    std::vector<ProcessInfo> processes;
};

// A TCP socket listening in the guest: its bound address as text ("0.0.0.0", "::",
// "127.0.0.1") and its port.
struct TcpListener {
    std::string address;
    uint16_t port = 0;
    bool operator==(const TcpListener&) const = default;
    auto operator<=>(const TcpListener&) const = default;
};

struct ListenerList {
    std::vector<TcpListener> listeners;
};

using Result = std::variant<Empty, PingResult, ExitStatus, ProcessList, ListenerList>;

// A handler's refusal: an errno value and one sentence.
struct CallError {
    int error_number = 0;
    std::string message;
};

// --- Encoding and decoding. ---

std::string_view method_name(const Call& call);
std::string_view stream_name(StdioStream stream);
// "RLIMIT_NOFILE" for RLIMIT_NOFILE, and back; nullopt for a name Linux does not have.
std::string_view resource_limit_name(int resource);
std::optional<int> resource_limit_from_name(std::string_view name);

// JSON text of one frame → a typed request, or why not. Never throws.
DecodedRequest decode_request(std::string_view json);
std::string encode_request(const Request& request);
std::string encode_result(uint64_t id, const Result& result);
std::string encode_error(std::optional<uint64_t> id, const CallError& error);

// The 4-byte header and the payload, ready to send.
std::string frame(std::string_view payload);
// The length a frame header announces.
uint32_t frame_length(const uint8_t (&header)[kFrameHeaderSize]);

// The exit status as runc reports it, from a wait status (waitpid's).
ExitStatus exit_status_from_wait_status(int wait_status);

// Standard base64 (RFC 4648, with padding); nullopt when text is not that.
std::optional<std::vector<uint8_t>> decode_base64(std::string_view text);
std::string encode_base64(const std::vector<uint8_t>& bytes);

} // namespace rvisor::agent
