#include "tcp_listeners.h"

#include "unique_fd.h"

#include <algorithm>
#include <arpa/inet.h>
#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <unistd.h>

namespace rvisor::agent {

namespace {

// The kernel's TCP_LISTEN, as /proc/net/tcp writes a socket's state.
constexpr std::string_view kListenState = "0A";

std::optional<uint32_t> parse_hex_word(std::string_view text)
{
    uint32_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
    if (text.size() != 8 || error != std::errc {} || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

// "0100007F:1F90" (IPv4) or 32 hex digits, a colon and the port (IPv6).
std::optional<TcpListener> parse_local_address(std::string_view text, AddressFamily family)
{
    const size_t colon = text.find(':');
    const size_t words = family == AddressFamily::Ipv4 ? 1 : 4;
    if (colon != words * 8)
        return std::nullopt;
    // Each word is the kernel's %08X of a 32-bit piece of the address as it lies in memory:
    // copying the parsed words back into memory gives the address's bytes in network order.
    uint8_t bytes[16] {};
    for (size_t i = 0; i < words; ++i) {
        auto word = parse_hex_word(text.substr(i * 8, 8));
        if (!word)
            return std::nullopt;
        std::memcpy(bytes + i * 4, &*word, 4);
    }
    const std::string_view port_text = text.substr(colon + 1);
    uint16_t port = 0;
    auto [end, error]
        = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port, 16);
    if (port_text.size() != 4 || error != std::errc {}
        || end != port_text.data() + port_text.size())
        return std::nullopt;
    char address[INET6_ADDRSTRLEN] {};
    inet_ntop(family == AddressFamily::Ipv4 ? AF_INET : AF_INET6, bytes, address, sizeof address);
    return TcpListener { address, port };
}

// The whole file; empty when it cannot be read. Plain read(2) rather than a stream: the host
// asks several times a second, and in an emulated guest every instruction counts.
std::string read_file(const char* path)
{
    std::string text;
    UniqueFd file(open(path, O_RDONLY | O_CLOEXEC));
    if (!file)
        return text;
    char buffer[16384];
    ssize_t count = 0;
    while ((count = read(file.get(), buffer, sizeof buffer)) > 0)
        text.append(buffer, static_cast<size_t>(count));
    return text;
}

// The next field of `line` separated by spaces, consumed from it; empty at the end.
std::string_view next_field(std::string_view& line)
{
    const size_t start = line.find_first_not_of(' ');
    if (start == std::string_view::npos) {
        line = {};
        return {};
    }
    line.remove_prefix(start);
    const size_t end = std::min(line.find(' '), line.size());
    std::string_view field = line.substr(0, end);
    line.remove_prefix(end);
    return field;
}

} // namespace

std::vector<TcpListener> parse_tcp_listeners(std::string_view text, AddressFamily family)
{
    std::vector<TcpListener> listeners;
    while (!text.empty()) {
        const size_t end = std::min(text.find('\n'), text.size());
        std::string_view line = text.substr(0, end);
        text.remove_prefix(std::min(end + 1, text.size()));
        // "  sl  local_address rem_address   st ...": the slot, then the fields we read.
        const std::string_view slot = next_field(line);
        const std::string_view local = next_field(line);
        const std::string_view remote = next_field(line);
        const std::string_view state = next_field(line);
        if (!slot.ends_with(':') || remote.empty() || state != kListenState)
            continue;
        if (auto listener = parse_local_address(local, family))
            listeners.push_back(std::move(*listener));
    }
    return listeners;
}

std::vector<TcpListener> read_tcp_listeners()
{
    std::vector<TcpListener> listeners
        = parse_tcp_listeners(read_file("/proc/net/tcp"), AddressFamily::Ipv4);
    // A guest without IPv6 has no tcp6 file: the text is empty.
    std::vector<TcpListener> ipv6
        = parse_tcp_listeners(read_file("/proc/net/tcp6"), AddressFamily::Ipv6);
    listeners.insert(listeners.end(), ipv6.begin(), ipv6.end());
    std::sort(listeners.begin(), listeners.end());
    listeners.erase(std::unique(listeners.begin(), listeners.end()), listeners.end());
    return listeners;
}

std::string connect_address(const std::vector<TcpListener>& listeners, uint16_t port)
{
    const TcpListener* chosen = nullptr;
    for (const TcpListener& listener : listeners) {
        if (listener.port != port)
            continue;
        const bool ipv4 = listener.address.find(':') == std::string::npos;
        if (!chosen || (ipv4 && chosen->address.find(':') != std::string::npos))
            chosen = &listener;
    }
    if (!chosen || chosen->address == "0.0.0.0")
        return "127.0.0.1";
    if (chosen->address == "::")
        return "::1";
    return chosen->address;
}

} // namespace rvisor::agent
