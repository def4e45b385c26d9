// The guest's listening TCP sockets, as the kernel lists them in /proc/net/tcp and tcp6: what
// ListListeners reports, so that the host can forward those ports to the guest, and where the
// stream join service connects for a port the loopback refuses. The parsing is pure and compiles
// for the host too.
#pragma once

#include "protocol.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rvisor::agent {

enum class AddressFamily { Ipv4, Ipv6 };

// The sockets in state LISTEN (0A) of one /proc/net/tcp (Ipv4) or /proc/net/tcp6 (Ipv6) text,
// in order; lines that are not a socket's are skipped. Addresses are in the text as the
// kernel's native-endian words, so this reads them correctly only on the machine that wrote
// them (both the guest and the host are little-endian).
std::vector<TcpListener> parse_tcp_listeners(std::string_view text, AddressFamily family);

// Every listening TCP socket of this machine, sorted, each (address, port) once.
std::vector<TcpListener> read_tcp_listeners();

// The address to connect to for `port`: the loopback address of a listener's family when it is
// bound to every address ("0.0.0.0", "::"), its own address otherwise; IPv4 first; 127.0.0.1
// when nothing listens on the port (the connection is then refused).
std::string connect_address(const std::vector<TcpListener>& listeners, uint16_t port);

} // namespace rvisor::agent
