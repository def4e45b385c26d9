#pragma once
// The terminal on a descriptor in raw mode for as long as this lives, so that keys reach the
// guest as typed; output keeps the host's line endings. Nothing happens when the descriptor is
// not a terminal (pipes pass bytes straight through anyway).
#include <optional>
#include <termios.h>

namespace rvisor::host {

class RawTerminal {
public:
    explicit RawTerminal(int fd);
    ~RawTerminal();
    RawTerminal(const RawTerminal&) = delete;
    RawTerminal& operator=(const RawTerminal&) = delete;

    // Whether `fd` is a terminal (and so in raw mode now).
    bool active() const { return m_saved_mode.has_value(); }

private:
    int m_fd;
    std::optional<termios> m_saved_mode;
};

} // namespace rvisor::host
