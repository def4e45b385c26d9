#include "oci/signal_forwarding.h"

#include <csignal>
#include <thread>

namespace rvisor::oci {

namespace {

sigset_t forwarded_signals()
{
    sigset_t signals;
    sigemptyset(&signals);
    for (int signal : { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 })
        sigaddset(&signals, signal);
    return signals;
}

} // namespace

void block_forwarded_signals()
{
    const sigset_t signals = forwarded_signals();
    ::pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

void forward_signals(ProcessSession& session)
{
    std::thread([&session] {
        const sigset_t signals = forwarded_signals();
        for (;;) {
            int signal = 0;
            if (::sigwait(&signals, &signal) != 0)
                continue;
            try {
                session.signal(signal, false);
            } catch (const std::exception&) {
                // The process is gone already.
            }
        }
    }).detach();
}

} // namespace rvisor::oci
