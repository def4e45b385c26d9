#include "reaper.h"

#include <csignal>
#include <sys/wait.h>
#include <thread>

namespace rvisor::agent {

void Reaper::block_child_signal()
{
    sigset_t child;
    sigemptyset(&child);
    sigaddset(&child, SIGCHLD);
    pthread_sigmask(SIG_BLOCK, &child, nullptr);
}

void Reaper::start()
{
    std::thread([this] { reap_forever(); }).detach();
}

void Reaper::reap_forever()
{
    sigset_t child;
    sigemptyset(&child);
    sigaddset(&child, SIGCHLD);
    for (;;) {
        // Signals merge: one SIGCHLD may stand for many exits, so each wakes a loop that takes
        // every exit there is.
        int pid;
        int status;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
            m_table.record_exit(pid, status);
        int signal;
        sigwait(&child, &signal);
    }
}

} // namespace rvisor::agent
