#include "oci/signal_name.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <csignal>
#include <stdexcept>
#include <string_view>

namespace rvisor::oci {

namespace {

struct NamedSignal {
    std::string_view name;
    int number;
};

constexpr NamedSignal kSignals[]
    = { { "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "ILL", SIGILL },
          { "TRAP", SIGTRAP }, { "ABRT", SIGABRT }, { "IOT", SIGIOT }, { "BUS", SIGBUS },
          { "FPE", SIGFPE }, { "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV },
          { "USR2", SIGUSR2 }, { "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },
          { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT }, { "STOP", SIGSTOP },
          { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU }, { "URG", SIGURG },
          { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },
          { "WINCH", SIGWINCH }, { "IO", SIGIO }, { "PWR", SIGPWR }, { "SYS", SIGSYS } };

} // namespace

int parse_signal(const std::string& text)
{
    int number = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (error == std::errc {} && end == text.data() + text.size()) {
        if (number < 1 || number > 64)
            throw std::runtime_error(fmt::format("signal {} is not from 1 to 64", text));
        return number;
    }
    std::string name = text;
    std::transform(name.begin(), name.end(), name.begin(),
        [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (name.starts_with("SIG"))
        name.erase(0, 3);
    for (const NamedSignal& signal : kSignals)
        if (signal.name == name)
            return signal.number;
    throw std::runtime_error(fmt::format("unknown signal '{}'", text));
}

} // namespace rvisor::oci
