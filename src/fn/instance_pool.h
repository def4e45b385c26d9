#pragma once
// The instances of one function revision and the requests waiting for them: Knative's activator
// and breaker in one place (docs/serverless.md). A request takes a lease on an instance with
// room (at most `concurrency` requests each); when none has room and fewer than
// `max_instances` run, the request restores a new one itself (a cold start) rather than wait
// for a scaler's tick; otherwise it waits, in a queue of at most `max_queue`, until a lease is
// released or its deadline passes. maintain() retires instances idle for `idle_timeout`
// (down to `min_instances`), drops dead ones and restores up to `min_instances`.
#include "host/unique_fd.h"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>

namespace rvisor::fn {

// One running copy of the function.
class FunctionInstance {
public:
    virtual ~FunctionInstance() = default;
    virtual bool alive() = 0;
    // A stream to the function's server. Throws std::runtime_error (or oci::AgentError).
    virtual host::UniqueFd open_stream(std::chrono::milliseconds timeout) = 0;
};

// Makes a new instance; throws std::runtime_error with the reason it could not.
using InstanceFactory = std::function<std::unique_ptr<FunctionInstance>()>;

struct PoolLimits {
    unsigned concurrency = 1;
    unsigned min_instances = 0;
    unsigned max_instances = 16;
    unsigned max_queue = 1000;
    std::chrono::milliseconds idle_timeout { 30000 };
};

struct PoolStats {
    unsigned instances = 0; // running, idle or busy
    unsigned in_flight = 0; // requests holding a lease
    unsigned queued = 0; // requests waiting for one
    unsigned restoring = 0;
    uint64_t cold_starts = 0;
};

class InstancePool {
    struct Slot;

public:
    using Clock = std::chrono::steady_clock;

    // A request's hold on an instance, given back when released or destroyed. The pool must
    // outlive its leases.
    class Lease {
    public:
        Lease(Lease&& other) noexcept;
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        Lease& operator=(Lease&&) = delete;
        ~Lease();

        FunctionInstance& instance() const;
        // Whether this request started its instance.
        bool cold() const { return m_cold; }
        // `failed`: the exchange with the instance failed; the instance is retired if it has
        // died.
        void release(bool failed);
        // The instance did not take the request at all: it is retired even if its process has
        // not been seen to die yet (a killed VM closes its sockets just before it can be
        // collected), so the next request does not pick it again.
        void retire();

    private:
        friend class InstancePool;
        Lease(InstancePool* pool, Slot* slot, bool cold);
        InstancePool* m_pool;
        Slot* m_slot;
        bool m_cold;
    };

    InstancePool(PoolLimits limits, InstanceFactory factory);
    // Stops every instance; no lease may be held any more.
    ~InstancePool();
    InstancePool(const InstancePool&) = delete;
    InstancePool& operator=(const InstancePool&) = delete;

    // Throws api::ApiError: 429 when the queue is full, 504 when `deadline` passes first, 502
    // when the instance this request started could not be made, 503 once the pool is closing.
    Lease acquire(Clock::time_point deadline);
    void maintain(Clock::time_point now);
    // Refuses new requests from now on and waits up to `timeout` for the leases held to be
    // released: a revision's drain.
    void close(std::chrono::milliseconds timeout);
    PoolStats stats();

private:
    struct Slot {
        std::unique_ptr<FunctionInstance> instance;
        unsigned in_flight = 0;
        Clock::time_point last_used;
        bool failed = false;
    };

    Slot* slot_with_room(); // under m_mutex
    // Instances not known dead (a dead one stays until its leases are released), under m_mutex.
    unsigned live_instances() const;
    // A slot for a new instance, used now by `in_flight` requests, under m_mutex.
    Slot& add_slot(std::unique_ptr<FunctionInstance> instance, unsigned in_flight);
    void give_back(Slot* slot, bool failed, bool retire = false);
    // Removes the slots that have no leases and `retire` picks, under m_mutex; the instances are
    // handed out to be stopped after the lock is let go.
    std::list<std::unique_ptr<FunctionInstance>> remove_slots(
        const std::function<bool(const Slot&)>& retire);

    const PoolLimits m_limits;
    const InstanceFactory m_factory;
    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::list<Slot> m_slots;
    unsigned m_waiting = 0;
    unsigned m_restoring = 0;
    unsigned m_in_flight = 0;
    uint64_t m_cold_starts = 0;
    bool m_closed = false;
};

} // namespace rvisor::fn
