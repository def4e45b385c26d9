#pragma once
// The --net flag, in QEMU's words where QEMU has them:
//   user[,hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-[10.0.2.15]:GUESTPORT]...[,dns=on|off][,mac=M]
//       [,bw=B]
//   tap,ifname=NAME[,mac=M][,bw=B]
// A port forward's host address defaults to 127.0.0.1 (QEMU's is every address: a guest's
// servers should not face the network unless the user says so) and its protocol to tcp; the
// guest address, when given, must be the guest's own 10.0.2.15. M is six hex bytes separated
// by colons, a unicast address. B limits each direction to B bytes a second (rate_option.h).
#include "host/network_backend.h"
#include "machine/vm_spec.h"

#include <string>
#include <vector>

namespace rvisor::vmm {

// Throws std::runtime_error with one sentence naming the part of `text` that is wrong.
machine::NetConfig parse_net_option(const std::string& text);

// The option text parse_net_option() reads back as `config`.
std::string format_net_option(const machine::NetConfig& config);

// "52:54:00:12:34:56"; throws like parse_net_option().
host::MacAddress parse_mac_address(const std::string& text);

} // namespace rvisor::vmm
