#include "oci/container_id.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace rvisor::oci {

namespace {

// Longer ids would not fit a Unix socket path under the root (sun_path is 108 bytes).
constexpr size_t kMaxLength = 64;

bool allowed(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'
        || c == '+' || c == '.' || c == '-';
}

} // namespace

bool ContainerId::is_valid(std::string_view text)
{
    return !text.empty() && text.size() <= kMaxLength && text != "." && text != ".."
        && std::all_of(text.begin(), text.end(), allowed);
}

ContainerId::ContainerId(std::string_view text)
    : m_text(text)
{
    if (text.empty())
        throw std::runtime_error("container id is empty");
    if (text.size() > kMaxLength)
        throw std::runtime_error(
            fmt::format("container id '{}' is longer than {} characters", text, kMaxLength));
    if (text == "." || text == ".." || !std::all_of(text.begin(), text.end(), allowed))
        throw std::runtime_error(fmt::format(
            "invalid container id '{}': use letters, digits and _ + . - (not . or ..)", text));
}

} // namespace rvisor::oci
