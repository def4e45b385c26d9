#include "network_setup.h"

#include "unique_fd.h"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

namespace rvisor::agent {

namespace {

CallError step_failed(const std::string& step, const std::string& interface)
{
    const int error_number = errno;
    return CallError { error_number,
        "ConfigureNetwork: " + step + " of "
            + interface + " failed: " + std::strerror(error_number) };
}

ifreq interface_request(const std::string& interface)
{
    ifreq request {};
    std::memcpy(
        request.ifr_name, interface.data(), std::min(interface.size(), size_t { IFNAMSIZ - 1 }));
    return request;
}

sockaddr ipv4_sockaddr(const std::string& text)
{
    sockaddr_in address {};
    address.sin_family = AF_INET;
    inet_pton(AF_INET, text.c_str(), &address.sin_addr); // checked when the request was decoded
    sockaddr out {};
    std::memcpy(&out, &address, sizeof address);
    return out;
}

sockaddr ipv4_netmask(uint32_t prefix_length)
{
    sockaddr_in mask {};
    mask.sin_family = AF_INET;
    mask.sin_addr.s_addr = htonl(prefix_length == 0 ? 0 : ~uint32_t { 0 } << (32 - prefix_length));
    sockaddr out {};
    std::memcpy(&out, &mask, sizeof mask);
    return out;
}

std::optional<CallError> bring_up(int control, const std::string& interface)
{
    ifreq request = interface_request(interface);
    if (ioctl(control, SIOCGIFFLAGS, &request) != 0)
        return step_failed("reading the flags", interface);
    request.ifr_flags = static_cast<short>(request.ifr_flags | IFF_UP | IFF_RUNNING);
    if (ioctl(control, SIOCSIFFLAGS, &request) != 0)
        return step_failed("bringing up", interface);
    return std::nullopt;
}

} // namespace

std::optional<CallError> bring_up_loopback()
{
    UniqueFd control(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!control)
        return step_failed("opening a socket for the set-up", "lo");
    return bring_up(control.get(), "lo");
}

std::optional<CallError> configure_network(const ConfigureNetwork& request)
{
    UniqueFd control(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!control)
        return step_failed("opening a socket for the set-up", request.interface);
    ifreq address = interface_request(request.interface);
    address.ifr_addr = ipv4_sockaddr(request.address);
    if (ioctl(control.get(), SIOCSIFADDR, &address) != 0)
        return step_failed("setting the address", request.interface);
    ifreq netmask = interface_request(request.interface);
    netmask.ifr_netmask = ipv4_netmask(request.prefix_length);
    if (ioctl(control.get(), SIOCSIFNETMASK, &netmask) != 0)
        return step_failed("setting the netmask", request.interface);
    if (auto error = bring_up(control.get(), request.interface))
        return error;
    if (!request.gateway)
        return std::nullopt;
    rtentry route {};
    route.rt_dst = ipv4_sockaddr("0.0.0.0");
    route.rt_genmask = ipv4_sockaddr("0.0.0.0");
    route.rt_gateway = ipv4_sockaddr(*request.gateway);
    route.rt_flags = RTF_UP | RTF_GATEWAY;
    std::string device = request.interface;
    route.rt_dev = device.data();
    // EEXIST: the route is already there (a second call).
    if (ioctl(control.get(), SIOCADDRT, &route) != 0 && errno != EEXIST)
        return step_failed("adding the default route", request.interface);
    return std::nullopt;
}

} // namespace rvisor::agent
