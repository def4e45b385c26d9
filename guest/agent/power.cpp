#include "power.h"

#include "console.h"

#include <cstdlib>
#include <sys/reboot.h>
#include <unistd.h>

namespace rvisor::agent {

void power_off_now()
{
    sync();
    reboot(RB_POWER_OFF);
    // Only when not PID 1 (run by hand): nothing to power off.
    _exit(1);
}

void fail(std::string_view sentence)
{
    print_line(std::string("rvisor-agent: ") + std::string(sentence));
    power_off_now();
}

} // namespace rvisor::agent
