#include "fn/instance_pool.h"

#include "api/vm_control.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace std::chrono_literals;
using rvisor::api::ApiError;
using rvisor::fn::FunctionInstance;
using rvisor::fn::InstancePool;
using rvisor::fn::PoolLimits;
using rvisor::host::UniqueFd;
using Clock = InstancePool::Clock;

namespace {

// Long enough never to pass in a test that works; a hang fails instead of blocking the suite.
constexpr auto kHang = 10s;

// What the factory made, seen from the test: whether each instance is alive (the test decides)
// and how many have been stopped.
struct Made {
    std::atomic<bool> alive { true };
};

class FakeInstance final : public FunctionInstance {
public:
    FakeInstance(std::shared_ptr<Made> made, std::atomic<unsigned>& stopped)
        : m_made(std::move(made))
        , m_stopped(stopped)
    {
    }
    ~FakeInstance() override { ++m_stopped; }

    bool alive() override { return m_made->alive; }
    // One end of a socketpair whose other end this instance keeps: its "server".
    UniqueFd open_stream(std::chrono::milliseconds) override
    {
        int fds[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
            throw std::runtime_error("socketpair failed");
        m_server = UniqueFd(fds[1]);
        return UniqueFd(fds[0]);
    }
    int server() const { return m_server.get(); }

private:
    std::shared_ptr<Made> m_made;
    std::atomic<unsigned>& m_stopped;
    UniqueFd m_server;
};

// Counts its calls; can be made to throw, or to block until opened (restores under way).
class Factory {
public:
    std::unique_ptr<FunctionInstance> operator()()
    {
        std::unique_lock lock(m_mutex);
        ++m_calls;
        m_changed.notify_all();
        m_changed.wait(lock, [this] { return !m_closed; });
        if (!m_failure.empty())
            throw std::runtime_error(m_failure);
        m_made.push_back(std::make_shared<Made>());
        return std::make_unique<FakeInstance>(m_made.back(), m_stopped);
    }

    unsigned calls()
    {
        std::lock_guard lock(m_mutex);
        return m_calls;
    }
    unsigned stopped() const { return m_stopped; }
    // The i-th instance made, to kill it.
    Made& made(size_t i)
    {
        std::lock_guard lock(m_mutex);
        return *m_made.at(i);
    }
    void fail_with(std::string message)
    {
        std::lock_guard lock(m_mutex);
        m_failure = std::move(message);
    }
    // Restores wait until open() from now on.
    void close()
    {
        std::lock_guard lock(m_mutex);
        m_closed = true;
    }
    void open()
    {
        std::lock_guard lock(m_mutex);
        m_closed = false;
        m_changed.notify_all();
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_changed;
    unsigned m_calls = 0;
    bool m_closed = false;
    std::string m_failure;
    std::vector<std::shared_ptr<Made>> m_made;
    std::atomic<unsigned> m_stopped { 0 };
};

// Polls `condition` until it holds or a hang is declared.
bool eventually(const std::function<bool()>& condition)
{
    const auto give_up = Clock::now() + kHang;
    while (!condition()) {
        if (Clock::now() > give_up)
            return false;
        std::this_thread::sleep_for(1ms);
    }
    return true;
}

// The status of the ApiError `acquire` throws; 0 when it gives a lease.
int status_of(const std::function<void()>& acquire)
{
    try {
        acquire();
    } catch (const ApiError& error) {
        return error.status();
    }
    return 0;
}

class FnInstancePoolTest : public testing::Test {
protected:
    InstancePool& pool(PoolLimits limits)
    {
        m_pool.emplace(limits, [this] { return m_factory(); });
        return *m_pool;
    }
    static Clock::time_point far() { return Clock::now() + kHang; }

    Factory m_factory;
    std::optional<InstancePool> m_pool;
};

} // namespace

TEST_F(FnInstancePoolTest, FirstAcquireIsColdThenWarm)
{
    InstancePool& instances = pool({});
    EXPECT_EQ(m_factory.calls(), 0u);
    std::optional<InstancePool::Lease> first(instances.acquire(far()));
    EXPECT_TRUE(first->cold());
    EXPECT_EQ(m_factory.calls(), 1u);
    FunctionInstance* const made = &first->instance();
    // The lease is on the instance the factory made: its stream reaches that instance's server.
    UniqueFd stream = made->open_stream(1s);
    ASSERT_EQ(::write(stream.get(), "x", 1), 1);
    char byte = 0;
    ASSERT_EQ(::read(static_cast<FakeInstance*>(made)->server(), &byte, 1), 1);
    EXPECT_EQ(byte, 'x');
    first->release(false);
    first.reset();

    InstancePool::Lease second = instances.acquire(far());
    EXPECT_FALSE(second.cold());
    EXPECT_EQ(&second.instance(), made);
    EXPECT_EQ(m_factory.calls(), 1u);
    EXPECT_EQ(instances.stats().cold_starts, 1u);
}

TEST_F(FnInstancePoolTest, ConcurrencySharesAnInstance)
{
    InstancePool& instances = pool({ .concurrency = 3 });
    std::vector<InstancePool::Lease> leases;
    for (int i = 0; i < 3; ++i)
        leases.push_back(instances.acquire(far()));
    EXPECT_EQ(m_factory.calls(), 1u);
    EXPECT_TRUE(leases[0].cold());
    for (int i = 1; i < 3; ++i) {
        EXPECT_FALSE(leases[i].cold());
        EXPECT_EQ(&leases[i].instance(), &leases[0].instance());
    }
    leases.push_back(instances.acquire(far()));
    EXPECT_TRUE(leases[3].cold());
    EXPECT_NE(&leases[3].instance(), &leases[0].instance());
    EXPECT_EQ(m_factory.calls(), 2u);
    EXPECT_EQ(instances.stats().instances, 2u);
    EXPECT_EQ(instances.stats().in_flight, 4u);
}

TEST_F(FnInstancePoolTest, ABurstRestoresInParallelUpToMaxInstances)
{
    InstancePool& instances = pool({ .max_instances = 3 });
    m_factory.close();
    constexpr int kRequests = 20;
    std::vector<std::future<bool>> requests;
    for (int i = 0; i < kRequests; ++i)
        requests.push_back(std::async(std::launch::async, [&] {
            InstancePool::Lease lease = instances.acquire(far());
            std::this_thread::sleep_for(1ms);
            return lease.cold();
        }));
    // Three restores at once, not one at a time, and the rest waiting for them.
    ASSERT_TRUE(eventually([&] {
        const auto stats = instances.stats();
        return stats.restoring == 3 && stats.queued == kRequests - 3;
    })) << instances.stats().restoring
        << " restoring, " << instances.stats().queued << " queued";
    EXPECT_EQ(m_factory.calls(), 3u);
    m_factory.open();
    unsigned cold = 0;
    for (auto& request : requests) {
        ASSERT_EQ(request.wait_for(kHang), std::future_status::ready);
        cold += request.get() ? 1 : 0;
    }
    EXPECT_EQ(m_factory.calls(), 3u);
    EXPECT_EQ(cold, 3u);
    const auto stats = instances.stats();
    EXPECT_EQ(stats.instances, 3u);
    EXPECT_EQ(stats.in_flight, 0u);
    EXPECT_EQ(stats.queued, 0u);
    EXPECT_EQ(stats.restoring, 0u);
    EXPECT_EQ(stats.cold_starts, 3u);
}

TEST_F(FnInstancePoolTest, ManyRequestsNeverExceedMaxInstances)
{
    InstancePool& instances = pool({ .concurrency = 2, .max_instances = 2 });
    std::atomic<unsigned> most_in_flight { 0 };
    std::vector<std::future<void>> threads;
    for (int t = 0; t < 8; ++t)
        threads.push_back(std::async(std::launch::async, [&] {
            for (int i = 0; i < 50; ++i) {
                InstancePool::Lease lease = instances.acquire(far());
                const unsigned now = instances.stats().in_flight;
                unsigned seen = most_in_flight;
                while (now > seen && !most_in_flight.compare_exchange_weak(seen, now)) { }
            }
        }));
    for (auto& thread : threads) {
        ASSERT_EQ(thread.wait_for(kHang), std::future_status::ready);
        thread.get();
    }
    EXPECT_LE(m_factory.calls(), 2u);
    EXPECT_LE(most_in_flight, 4u);
    EXPECT_EQ(instances.stats().in_flight, 0u);
}

TEST_F(FnInstancePoolTest, AFullQueueAnswers429)
{
    InstancePool& instances = pool({ .max_instances = 1, .max_queue = 1 });
    std::optional<InstancePool::Lease> held(instances.acquire(far()));
    auto waiter = std::async(std::launch::async, [&] { return instances.acquire(far()).cold(); });
    ASSERT_TRUE(eventually([&] { return instances.stats().queued == 1; }));
    EXPECT_EQ(status_of([&] { instances.acquire(far()); }), 429);
    EXPECT_EQ(instances.stats().queued, 1u);
    held.reset();
    ASSERT_EQ(waiter.wait_for(kHang), std::future_status::ready);
    EXPECT_FALSE(waiter.get());
    EXPECT_EQ(m_factory.calls(), 1u);
}

TEST_F(FnInstancePoolTest, NoQueueAnswers429AtOnce)
{
    InstancePool& instances = pool({ .max_instances = 1, .max_queue = 0 });
    InstancePool::Lease held = instances.acquire(far());
    EXPECT_EQ(status_of([&] { instances.acquire(far()); }), 429);
}

TEST_F(FnInstancePoolTest, APassedDeadlineAnswers504)
{
    InstancePool& instances = pool({ .max_instances = 1 });
    InstancePool::Lease held = instances.acquire(far());
    EXPECT_EQ(status_of([&] { instances.acquire(Clock::now() + 50ms); }), 504);
    EXPECT_EQ(status_of([&] { instances.acquire(Clock::now() - 1s); }), 504);
    EXPECT_EQ(instances.stats().queued, 0u);
    EXPECT_EQ(instances.stats().in_flight, 1u);
}

TEST_F(FnInstancePoolTest, AFailedRestoreAnswers502WithItsReason)
{
    InstancePool& instances = pool({});
    m_factory.fail_with("the snapshot is gone");
    try {
        instances.acquire(far());
        FAIL() << "acquire gave a lease";
    } catch (const ApiError& error) {
        EXPECT_EQ(error.status(), 502);
        EXPECT_NE(std::string(error.what()).find("the snapshot is gone"), std::string::npos)
            << error.what();
    }
    auto stats = instances.stats();
    EXPECT_EQ(stats.instances, 0u);
    EXPECT_EQ(stats.restoring, 0u);
    EXPECT_EQ(stats.in_flight, 0u);
    EXPECT_EQ(stats.cold_starts, 0u);
    m_factory.fail_with({});
    EXPECT_TRUE(instances.acquire(far()).cold());
}

TEST_F(FnInstancePoolTest, AFailedExchangeWithADeadInstanceRetiresIt)
{
    InstancePool& instances = pool({});
    std::optional<InstancePool::Lease> lease(instances.acquire(far()));
    // A failure on an instance still alive keeps it.
    lease->release(true);
    lease.reset();
    lease.emplace(instances.acquire(far()));
    EXPECT_FALSE(lease->cold());
    m_factory.made(0).alive = false;
    lease->release(true);
    lease.reset();
    EXPECT_EQ(m_factory.stopped(), 1u);
    EXPECT_EQ(instances.stats().instances, 0u);
    InstancePool::Lease next = instances.acquire(far());
    EXPECT_TRUE(next.cold());
    EXPECT_EQ(m_factory.calls(), 2u);
}

// An instance that did not take a request is retired though its process looks alive (a
// killed VM closes its sockets just before it can be collected).
TEST_F(FnInstancePoolTest, AnInstanceThatDidNotTakeTheRequestIsRetired)
{
    InstancePool& instances = pool({});
    instances.acquire(far()).release(false);
    InstancePool::Lease warm = instances.acquire(far());
    EXPECT_FALSE(warm.cold());
    warm.retire();
    EXPECT_EQ(m_factory.stopped(), 1u);
    EXPECT_EQ(instances.stats().instances, 0u);
    InstancePool::Lease next = instances.acquire(far());
    EXPECT_TRUE(next.cold());
    EXPECT_EQ(m_factory.calls(), 2u);
}

TEST_F(FnInstancePoolTest, AnIdleInstanceThatDiedIsNotLeased)
{
    InstancePool& instances = pool({});
    instances.acquire(far()).release(false);
    m_factory.made(0).alive = false;
    InstancePool::Lease next = instances.acquire(far());
    EXPECT_TRUE(next.cold());
    EXPECT_EQ(m_factory.calls(), 2u);
    EXPECT_EQ(instances.stats().instances, 1u);
}

TEST_F(FnInstancePoolTest, ADeadInstanceDoesNotCountAgainstMaxInstances)
{
    // Without maintain() in between, as when a request comes before the platform's next tick.
    InstancePool& instances = pool({ .max_instances = 1 });
    instances.acquire(far()).release(false);
    m_factory.made(0).alive = false;
    InstancePool::Lease next = instances.acquire(far());
    EXPECT_TRUE(next.cold());
    EXPECT_EQ(m_factory.calls(), 2u);
}

TEST_F(FnInstancePoolTest, MaintainRetiresIdleInstancesDownToMinInstances)
{
    InstancePool& instances = pool({ .min_instances = 1, .idle_timeout = 30s });
    {
        std::vector<InstancePool::Lease> leases;
        for (int i = 0; i < 3; ++i)
            leases.push_back(instances.acquire(far()));
    }
    EXPECT_EQ(instances.stats().instances, 3u);
    instances.maintain(Clock::now());
    EXPECT_EQ(instances.stats().instances, 3u);
    EXPECT_EQ(m_factory.stopped(), 0u);
    instances.maintain(Clock::now() + 1h);
    EXPECT_EQ(instances.stats().instances, 1u);
    EXPECT_EQ(m_factory.stopped(), 2u);
    instances.maintain(Clock::now() + 2h);
    EXPECT_EQ(instances.stats().instances, 1u);
    EXPECT_EQ(m_factory.calls(), 3u);
}

TEST_F(FnInstancePoolTest, MaintainKeepsBusyInstances)
{
    InstancePool& instances = pool({ .idle_timeout = 1s });
    InstancePool::Lease held = instances.acquire(far());
    instances.maintain(Clock::now() + 1h);
    EXPECT_EQ(instances.stats().instances, 1u);
    EXPECT_EQ(m_factory.stopped(), 0u);
}

TEST_F(FnInstancePoolTest, MaintainRestoresUpToMinInstances)
{
    InstancePool& instances = pool({ .min_instances = 2 });
    instances.maintain(Clock::now());
    EXPECT_EQ(m_factory.calls(), 2u);
    EXPECT_EQ(instances.stats().instances, 2u);
    // Not requests' cold starts.
    EXPECT_EQ(instances.stats().cold_starts, 0u);
    EXPECT_FALSE(instances.acquire(far()).cold());

    // A dead instance goes and another takes its place.
    m_factory.made(0).alive = false;
    instances.maintain(Clock::now());
    EXPECT_EQ(m_factory.stopped(), 1u);
    EXPECT_EQ(m_factory.calls(), 3u);
    EXPECT_EQ(instances.stats().instances, 2u);

    // A failed restore is tried again at the next tick.
    m_factory.made(1).alive = false;
    m_factory.fail_with("no memory");
    instances.maintain(Clock::now());
    EXPECT_EQ(instances.stats().instances, 1u);
    EXPECT_EQ(instances.stats().restoring, 0u);
    m_factory.fail_with({});
    instances.maintain(Clock::now());
    EXPECT_EQ(instances.stats().instances, 2u);
}

TEST_F(FnInstancePoolTest, MaintainReplacesADeadInstanceThatIsStillLeased)
{
    InstancePool& instances = pool({ .min_instances = 1 });
    InstancePool::Lease held = instances.acquire(far());
    m_factory.made(0).alive = false;
    instances.maintain(Clock::now());
    // The dead one waits for its lease; its replacement does not.
    EXPECT_EQ(m_factory.calls(), 2u);
    EXPECT_EQ(instances.stats().instances, 1u);
    EXPECT_EQ(m_factory.stopped(), 0u);
    held.release(true);
    EXPECT_EQ(m_factory.stopped(), 1u);
    EXPECT_FALSE(instances.acquire(far()).cold());
}

TEST_F(FnInstancePoolTest, CloseRefusesRequestsAndWaitsForLeases)
{
    InstancePool& instances = pool({ .max_instances = 1 });
    std::optional<InstancePool::Lease> held(instances.acquire(far()));
    auto waiter = std::async(
        std::launch::async, [&] { return status_of([&] { instances.acquire(far()); }); });
    ASSERT_TRUE(eventually([&] { return instances.stats().queued == 1; }));
    std::atomic<bool> closed { false };
    auto closing = std::async(std::launch::async, [&] {
        instances.close(kHang);
        closed = true;
    });
    ASSERT_EQ(waiter.wait_for(kHang), std::future_status::ready);
    EXPECT_EQ(waiter.get(), 503);
    EXPECT_EQ(status_of([&] { instances.acquire(far()); }), 503);
    // The lease held keeps close() waiting.
    EXPECT_FALSE(closed);
    held.reset();
    ASSERT_EQ(closing.wait_for(kHang), std::future_status::ready);
    EXPECT_TRUE(closed);
    EXPECT_EQ(instances.stats().in_flight, 0u);
}

TEST_F(FnInstancePoolTest, CloseGivesUpAfterItsTimeout)
{
    InstancePool& instances = pool({});
    InstancePool::Lease held = instances.acquire(far());
    auto closing = std::async(std::launch::async, [&] { instances.close(10ms); });
    ASSERT_EQ(closing.wait_for(kHang), std::future_status::ready);
    EXPECT_EQ(instances.stats().in_flight, 1u);
}

TEST_F(FnInstancePoolTest, StatsCount)
{
    InstancePool& instances = pool({ .concurrency = 2, .max_instances = 2 });
    std::vector<InstancePool::Lease> leases;
    for (int i = 0; i < 3; ++i)
        leases.push_back(instances.acquire(far()));
    auto stats = instances.stats();
    EXPECT_EQ(stats.instances, 2u);
    EXPECT_EQ(stats.in_flight, 3u);
    EXPECT_EQ(stats.queued, 0u);
    EXPECT_EQ(stats.restoring, 0u);
    EXPECT_EQ(stats.cold_starts, 2u);
    leases.push_back(instances.acquire(far()));
    auto waiter = std::async(std::launch::async, [&] { instances.acquire(far()); });
    ASSERT_TRUE(eventually([&] { return instances.stats().queued == 1; }));
    EXPECT_EQ(instances.stats().in_flight, 4u);
    leases.clear();
    ASSERT_EQ(waiter.wait_for(kHang), std::future_status::ready);
    waiter.get();
    stats = instances.stats();
    EXPECT_EQ(stats.in_flight, 0u);
    EXPECT_EQ(stats.queued, 0u);
    EXPECT_EQ(stats.cold_starts, 2u);
}
