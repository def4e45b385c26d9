#pragma once
// A container's id as the engines give it (runc's rule): letters, digits and `_ + . -`, not `.`
// or `..`, so that it is one path component under the runtime's root. Every command checks it
// before the id touches a path.
#include <string>
#include <string_view>

namespace rvisor::oci {

class ContainerId {
public:
    // Throws std::runtime_error naming the id and what is wrong with it.
    explicit ContainerId(std::string_view text);
    // Whether `text` would make an id.
    static bool is_valid(std::string_view text);

    const std::string& str() const { return m_text; }

private:
    std::string m_text;
};

} // namespace rvisor::oci
