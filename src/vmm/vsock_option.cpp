#include "vmm/vsock_option.h"
#include "vmm/option_parts.h"

#include <fmt/format.h>

#include <charconv>
#include <stdexcept>

namespace rvisor::vmm {

namespace {

constexpr uint64_t kFirstGuestCid = 3;
constexpr uint64_t kLastGuestCid = 0xfffffffe;

} // namespace

machine::VsockConfig parse_vsock_option(const std::string& text)
{
    machine::VsockConfig config;
    bool has_cid = false;
    for (const std::string& part : split_option(text, ',')) {
        if (part.starts_with("cid=")) {
            const std::string number = part.substr(4);
            const auto [end, error]
                = std::from_chars(number.data(), number.data() + number.size(), config.cid);
            if (error != std::errc {} || end != number.data() + number.size() || number.empty()
                || config.cid < kFirstGuestCid || config.cid > kLastGuestCid)
                throw std::runtime_error(
                    fmt::format("--vsock cid '{}' is not a number from {} to {}", number,
                        kFirstGuestCid, kLastGuestCid));
            has_cid = true;
        } else if (part.starts_with("uds=") && part.size() > 4) {
            config.uds = part.substr(4);
        } else {
            throw std::runtime_error(fmt::format(
                "--vsock option '{}' is not one of cid=N, uds=PATH (in '{}')", part, text));
        }
    }
    if (!has_cid || config.uds.empty())
        throw std::runtime_error(fmt::format("--vsock '{}' needs both cid=N and uds=PATH", text));
    return config;
}

std::string format_vsock_option(const machine::VsockConfig& config)
{
    return fmt::format("cid={},uds={}", config.cid, config.uds.string());
}

} // namespace rvisor::vmm
