#include "vmm/net_option.h"
#include "vmm/option_parts.h"
#include "vmm/rate_option.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace rvisor::vmm {

namespace {

constexpr const char* kGuestAddress = "10.0.2.15";
constexpr size_t kMaxInterfaceName = 15; // IFNAMSIZ less the terminating zero

bool is_ipv4_address(const std::string& text)
{
    in_addr address;
    return inet_pton(AF_INET, text.c_str(), &address) == 1;
}

bool all_digits(const std::string& text)
{
    return std::all_of(text.begin(), text.end(),
        [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

host::PortForward parse_port_forward(const std::string& text)
{
    auto error = [&](const std::string& problem) {
        return std::runtime_error("--net hostfwd '" + text + "': " + problem);
    };
    auto port = [&](const std::string& part, const char* side) {
        if (part.empty() || part.size() > 5 || !all_digits(part) || std::stoul(part) == 0
            || std::stoul(part) > 65535) {
            throw error(std::string("the ") + side + " port '" + part
                + "' is not a number from 1 to 65535");
        }
        return static_cast<uint16_t>(std::stoul(part));
    };

    size_t dash = text.find('-');
    if (dash == std::string::npos)
        throw error("there is no '-' between the host side and the guest side");
    std::vector<std::string> host_side = split_option(text.substr(0, dash), ':');
    std::vector<std::string> guest_side = split_option(text.substr(dash + 1), ':');
    if (host_side.size() != 3)
        throw error("the host side is not PROTOCOL:ADDRESS:PORT (the first two may be empty)");
    if (guest_side.size() != 2)
        throw error("the guest side is not ADDRESS:PORT (the address may be empty)");

    host::PortForward forward;
    const std::string& protocol = host_side[0];
    if (protocol == "udp")
        forward.protocol = host::PortForward::Protocol::Udp;
    else if (protocol == "tcp" || protocol.empty())
        forward.protocol = host::PortForward::Protocol::Tcp;
    else
        throw error("the protocol '" + protocol + "' is not tcp or udp");
    if (!host_side[1].empty()) {
        if (!is_ipv4_address(host_side[1]))
            throw error("the host address '" + host_side[1] + "' is not an IPv4 address");
        forward.host_address = host_side[1];
    }
    forward.host_port = port(host_side[2], "host");
    if (!guest_side[0].empty() && guest_side[0] != kGuestAddress) {
        throw error(
            "the guest address '" + guest_side[0] + "' is not the guest's " + kGuestAddress);
    }
    forward.guest_port = port(guest_side[1], "guest");
    return forward;
}

} // namespace

host::MacAddress parse_mac_address(const std::string& text)
{
    std::vector<std::string> parts = split_option(text, ':');
    bool well_formed
        = parts.size() == 6 && std::all_of(parts.begin(), parts.end(), [](const std::string& part) {
              return part.size() == 2 && std::isxdigit(static_cast<unsigned char>(part[0]))
                  && std::isxdigit(static_cast<unsigned char>(part[1]));
          });
    if (!well_formed) {
        throw std::runtime_error(
            "--net mac '" + text + "' is not six hex bytes such as 52:54:00:12:34:56");
    }
    host::MacAddress mac;
    for (size_t index = 0; index < mac.size(); ++index)
        mac[index] = static_cast<uint8_t>(std::stoul(parts[index], nullptr, 16));
    bool zero = std::all_of(mac.begin(), mac.end(), [](uint8_t byte) { return byte == 0; });
    if ((mac[0] & 1) || zero)
        throw std::runtime_error("--net mac '" + text + "' is not a unicast address");
    return mac;
}

machine::NetConfig parse_net_option(const std::string& text)
{
    std::vector<std::string> parts = split_option(text, ',');
    machine::NetConfig config;
    if (parts[0] == "user")
        config.kind = machine::NetConfig::Kind::User;
    else if (parts[0] == "tap")
        config.kind = machine::NetConfig::Kind::Tap;
    else
        throw std::runtime_error("--net '" + text + "' does not start with user or tap");
    bool user = config.kind == machine::NetConfig::Kind::User;

    for (size_t index = 1; index < parts.size(); ++index) {
        const std::string& part = parts[index];
        size_t equals = part.find('=');
        if (equals == std::string::npos) {
            throw std::runtime_error(
                "--net option '" + part + "' is not KEY=VALUE (in '" + text + "')");
        }
        std::string key = part.substr(0, equals);
        std::string value = part.substr(equals + 1);
        if (key == "mac") {
            config.mac = parse_mac_address(value);
        } else if (key == "bw") {
            config.bandwidth = parse_bandwidth(value, "--net");
        } else if (user && key == "hostfwd") {
            config.hostfwds.push_back(parse_port_forward(value));
        } else if (user && key == "dns") {
            if (value != "on" && value != "off")
                throw std::runtime_error("--net dns='" + value + "' is not on or off");
            config.dns = value == "on";
        } else if (!user && key == "ifname") {
            if (value.empty() || value.size() > kMaxInterfaceName) {
                throw std::runtime_error("--net ifname '" + value + "' is not 1 to "
                    + std::to_string(kMaxInterfaceName) + " characters long");
            }
            config.ifname = value;
        } else {
            throw std::runtime_error("--net option '" + part + "' is not one of "
                + (user ? "hostfwd=, dns=, mac=, bw= for user networking"
                        : "ifname=, mac=, bw= for a tap device"));
        }
    }
    if (!user && config.ifname.empty())
        throw std::runtime_error("--net '" + text + "' names no tap interface (ifname=NAME)");
    return config;
}

std::string format_net_option(const machine::NetConfig& config)
{
    const bool user = config.kind == machine::NetConfig::Kind::User;
    std::string text = user ? "user" : "tap,ifname=" + config.ifname;
    for (const host::PortForward& forward : config.hostfwds)
        text += fmt::format(",hostfwd={}:{}:{}-:{}",
            forward.protocol == host::PortForward::Protocol::Udp ? "udp" : "tcp",
            forward.host_address, forward.host_port, forward.guest_port);
    if (user && config.dns)
        text += ",dns=on";
    text += fmt::format(",mac={:02x}", fmt::join(config.mac, ":"));
    if (config.bandwidth)
        text += ",bw=" + format_bandwidth(config.bandwidth);
    return text;
}

} // namespace rvisor::vmm
