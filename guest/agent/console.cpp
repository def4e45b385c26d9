#include "console.h"

#include <fcntl.h>
#include <unistd.h>

namespace rvisor::agent {

void print_line(const std::string& line)
{
    // Opened each time: a line is rare, and /dev may be remounted in between.
    int console = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
    int fd = console >= 0 ? console : STDERR_FILENO;
    std::string text = line + "\n";
    [[maybe_unused]] ssize_t written = write(fd, text.data(), text.size());
    if (console >= 0)
        close(console);
}

} // namespace rvisor::agent
