// Collects every child's exit: the agent's processes' for WaitProcess, and, as PID 1, the
// orphans the kernel hands it, which would otherwise stay zombies.
#pragma once

#include "process_table.h"

namespace rvisor::agent {

class Reaper {
public:
    explicit Reaper(ProcessTable& table)
        : m_table(table)
    {
    }

    // SIGCHLD must be blocked in every thread before any starts (block_child_signal), so that
    // only this thread's sigwait takes it.
    static void block_child_signal();
    // Runs on its own thread for the agent's lifetime.
    void start();

private:
    void reap_forever();

    ProcessTable& m_table;
};

} // namespace rvisor::agent
