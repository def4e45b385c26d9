#include "fn/instance_pool.h"

#include "api/vm_control.h"

#include <fmt/format.h>

#include <algorithm>

namespace rvisor::fn {

using api::ApiError;

InstancePool::Lease::Lease(InstancePool* pool, Slot* slot, bool cold)
    : m_pool(pool)
    , m_slot(slot)
    , m_cold(cold)
{
}

InstancePool::Lease::Lease(Lease&& other) noexcept
    : m_pool(other.m_pool)
    , m_slot(other.m_slot)
    , m_cold(other.m_cold)
{
    other.m_slot = nullptr;
}

InstancePool::Lease::~Lease()
{
    if (m_slot)
        release(false);
}

FunctionInstance& InstancePool::Lease::instance() const { return *m_slot->instance; }

void InstancePool::Lease::release(bool failed)
{
    if (!m_slot)
        return;
    m_pool->give_back(m_slot, failed);
    m_slot = nullptr;
}

void InstancePool::Lease::retire()
{
    if (!m_slot)
        return;
    m_pool->give_back(m_slot, true, true);
    m_slot = nullptr;
}

InstancePool::InstancePool(PoolLimits limits, InstanceFactory factory)
    : m_limits(limits)
    , m_factory(std::move(factory))
{
}

InstancePool::~InstancePool()
{
    std::unique_lock lock(m_mutex);
    m_closed = true;
    // A restore under way adds its instance when it finishes; it must not find the pool gone.
    m_changed.wait(lock, [this] { return m_restoring == 0; });
    m_slots.clear();
}

InstancePool::Slot* InstancePool::slot_with_room()
{
    // The busiest instance with room, so that the others go idle and can be retired.
    Slot* best = nullptr;
    for (Slot& slot : m_slots) {
        if (slot.failed || slot.in_flight >= m_limits.concurrency)
            continue;
        if (!slot.instance->alive()) {
            slot.failed = true;
            continue;
        }
        if (!best || slot.in_flight > best->in_flight
            || (slot.in_flight == best->in_flight && slot.last_used > best->last_used))
            best = &slot;
    }
    return best;
}

unsigned InstancePool::live_instances() const
{
    return static_cast<unsigned>(std::count_if(
        m_slots.begin(), m_slots.end(), [](const Slot& slot) { return !slot.failed; }));
}

InstancePool::Slot& InstancePool::add_slot(
    std::unique_ptr<FunctionInstance> instance, unsigned in_flight)
{
    Slot& slot = m_slots.emplace_back();
    slot.instance = std::move(instance);
    slot.in_flight = in_flight;
    slot.last_used = Clock::now();
    return slot;
}

InstancePool::Lease InstancePool::acquire(Clock::time_point deadline)
{
    std::unique_lock lock(m_mutex);
    bool queued = false;
    const auto leave_queue = [&] {
        if (queued)
            --m_waiting;
        queued = false;
    };
    for (;;) {
        if (m_closed) {
            leave_queue();
            throw ApiError(503, "The function is being replaced or removed.");
        }
        if (Slot* slot = slot_with_room()) {
            leave_queue();
            ++slot->in_flight;
            ++m_in_flight;
            return Lease(this, slot, false);
        }
        // Every request waiting beyond what the instances being restored will take starts one,
        // up to the limit: a burst from zero restores in parallel, not one instance at a time.
        // A dead instance stays in m_slots until its leases and maintain() let it go; it must
        // not keep its replacement from starting meanwhile.
        const unsigned live = live_instances();
        const unsigned demand = m_waiting + (queued ? 0 : 1);
        if (live + m_restoring < m_limits.max_instances
            && demand > m_restoring * m_limits.concurrency) {
            leave_queue();
            ++m_restoring;
            lock.unlock();
            std::unique_ptr<FunctionInstance> instance;
            std::string failure;
            try {
                instance = m_factory();
            } catch (const std::exception& error) {
                failure = error.what();
            }
            lock.lock();
            --m_restoring;
            m_changed.notify_all();
            if (!instance)
                throw ApiError(
                    502, fmt::format("No instance of the function could start: {}", failure));
            ++m_cold_starts;
            ++m_in_flight;
            return Lease(this, &add_slot(std::move(instance), 1), true);
        }
        if (!queued) {
            if (m_waiting >= m_limits.max_queue)
                throw ApiError(429,
                    fmt::format(
                        "The function is at its {} instances and {} requests wait for them.",
                        live + m_restoring, m_waiting));
            ++m_waiting;
            queued = true;
        }
        if (m_changed.wait_until(lock, deadline) == std::cv_status::timeout
            && Clock::now() >= deadline) {
            leave_queue();
            throw ApiError(
                504, "No instance of the function was free before the request's deadline.");
        }
    }
}

void InstancePool::give_back(Slot* slot, bool failed, bool retire)
{
    std::unique_ptr<FunctionInstance> dead;
    {
        std::lock_guard lock(m_mutex);
        --slot->in_flight;
        --m_in_flight;
        slot->last_used = Clock::now();
        if (retire || (failed && !slot->instance->alive()))
            slot->failed = true;
        if (slot->failed && slot->in_flight == 0) {
            dead = std::move(slot->instance);
            m_slots.remove_if([slot](const Slot& other) { return &other == slot; });
        }
        m_changed.notify_all();
    }
}

std::list<std::unique_ptr<FunctionInstance>> InstancePool::remove_slots(
    const std::function<bool(const Slot&)>& retire)
{
    std::list<std::unique_ptr<FunctionInstance>> removed;
    for (auto it = m_slots.begin(); it != m_slots.end();) {
        if (it->in_flight == 0 && retire(*it)) {
            removed.push_back(std::move(it->instance));
            it = m_slots.erase(it);
        } else {
            ++it;
        }
    }
    return removed;
}

void InstancePool::maintain(Clock::time_point now)
{
    std::list<std::unique_ptr<FunctionInstance>> retired;
    unsigned missing = 0;
    {
        std::lock_guard lock(m_mutex);
        // A dead instance still leased stays until its lease ends, but is no longer counted:
        // min_instances must not be one short meanwhile.
        for (Slot& slot : m_slots)
            slot.failed = slot.failed || !slot.instance->alive();
        retired = remove_slots([](const Slot& slot) { return slot.failed; });
        // The longest idle go first, while more than min_instances remain.
        m_slots.sort([](const Slot& a, const Slot& b) { return a.last_used < b.last_used; });
        unsigned live = live_instances();
        retired.splice(retired.end(), remove_slots([&](const Slot& slot) {
            if (live <= m_limits.min_instances || now - slot.last_used < m_limits.idle_timeout)
                return false;
            --live;
            return true;
        }));
        if (!m_closed && live + m_restoring < m_limits.min_instances) {
            missing = m_limits.min_instances - live - m_restoring;
            m_restoring += missing;
        }
    }
    retired.clear(); // stops them, outside the lock
    for (unsigned i = 0; i < missing; ++i) {
        std::unique_ptr<FunctionInstance> instance;
        try {
            instance = m_factory();
        } catch (const std::exception&) {
            // The next tick tries again; a request meanwhile restores its own and reports why.
        }
        std::lock_guard lock(m_mutex);
        --m_restoring;
        if (instance)
            add_slot(std::move(instance), 0);
        m_changed.notify_all();
    }
}

void InstancePool::close(std::chrono::milliseconds timeout)
{
    std::unique_lock lock(m_mutex);
    m_closed = true;
    m_changed.notify_all();
    m_changed.wait_for(lock, timeout, [this] { return m_in_flight == 0 && m_restoring == 0; });
}

PoolStats InstancePool::stats()
{
    std::lock_guard lock(m_mutex);
    PoolStats stats;
    stats.instances = live_instances();
    stats.in_flight = m_in_flight;
    stats.queued = m_waiting;
    stats.restoring = m_restoring;
    stats.cold_starts = m_cold_starts;
    return stats;
}

} // namespace rvisor::fn
