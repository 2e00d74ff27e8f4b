#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "storage/outbox.hpp"
#include "webhook/delivery_connection.hpp"
#include "webhook/endpoint.hpp"
#include "webhook/retry_schedule.hpp"

namespace herald::webhook {

/// Bounds of delivery; each default says why.
struct DispatcherLimits {
    std::size_t max_in_flight = 4;              // per endpoint: a slow receiver is not flooded
    std::chrono::milliseconds timeout{10'000};  // API.md: a 2xx within 10 s is success
    std::size_t max_idle_connections = 4;       // kept alive per endpoint, at most
    /// Events of one endpoint held in memory (waiting, retrying or in flight); the rest stay
    /// in the outbox and are read back in pages as the lane drains, so a dead endpoint costs
    /// bounded memory however long its queue grows.
    std::size_t max_queued = 10'000;
    std::string ca_file;  // PEM: CAs trusted besides the system's; empty: the system's only
    /// webhook_delivery.deny_private: no connection to a loopback, private, link-local or
    /// unspecified address (address_policy). Off by default: a self-hosted server's admins
    /// are trusted with its network.
    bool deny_private = false;
};

/// Counts of one endpoint for /metrics. Relaxed atomics: the dispatcher writes, any thread
/// reads.
struct EndpointStats {
    std::atomic<std::uint64_t> attempts{0};
    std::atomic<std::uint64_t> successes{0};
    std::atomic<std::uint64_t> failures{0};  // attempts without a 2xx
    // Events not yet delivered nor failed: waiting, retrying or in flight, in memory or only
    // in the outbox.
    std::atomic<std::int64_t> queue_depth{0};
};

struct EndpointStatsView {
    std::string endpoint_id;
    std::uint64_t attempts = 0, successes = 0, failures = 0;
    std::int64_t queue_depth = 0;
};

/// Sends outbox events to their endpoints. One lane per endpoint: first attempts leave in
/// the order the events happened, at most `max_in_flight` at once, each on an idle
/// keep-alive connection when there is one; a failed attempt waits for its retry without
/// holding back the events behind it, and lanes never wait for each other, so a failing
/// endpoint slows nobody else. Outcomes go back to the outbox (durable), so what is pending
/// at a crash is sent after the restart: at least once.
/// Thread: everything runs on one executor (a shard's); public calls post to it.
class Dispatcher {
public:
    /// Throws std::invalid_argument when `limits.ca_file` cannot be loaded.
    Dispatcher(net::any_io_executor executor, storage::Outbox& outbox, Registry& registry,
               RetrySchedule schedule, DispatcherLimits limits = {});
    ~Dispatcher();

    /// New events from the outbox listener.
    void add(std::vector<storage::OutboxEvent> events);
    /// Start-up: reads the endpoint's pending events from the outbox, a page at a time.
    void resume(const std::string& endpoint_id);
    /// The registry changed (endpoint added, removed or disabled): drops lanes of endpoints
    /// that are gone or disabled.
    void endpoints_changed();
    /// Stops sending; outcomes of attempts still in flight are not recorded (their rows stay
    /// pending and are sent again after a restart).
    void stop();

    std::vector<EndpointStatsView> stats() const;

private:
    struct Lane {
        EndpointPtr endpoint;
        std::deque<storage::OutboxEvent> ready;  // due now: first attempts in event order
        std::multimap<std::int64_t, storage::OutboxEvent> waiting;  // retries by due time (ms)
        std::vector<std::shared_ptr<DeliveryConnection>> idle;
        std::size_t in_flight = 0;
        std::shared_ptr<EndpointStats> stats;
        // Bounded memory: while `spilled`, events after `loaded_up_to` live only in the outbox.
        bool spilled = false;
        bool refilling = false;
        std::int64_t loaded_up_to = 0;  // the newest row ever taken into memory
        std::size_t unloaded = 0;       // pending rows in the outbox after `loaded_up_to`

        std::size_t held() const { return ready.size() + waiting.size() + in_flight; }
    };

    void on_add(std::vector<storage::OutboxEvent> events);
    Lane* lane_for(const std::string& endpoint_id);
    void drop_lane(const std::string& endpoint_id);
    /// Takes one event into the lane: ready or waiting by its next attempt time.
    void take(Lane& lane, storage::OutboxEvent event, std::int64_t now);
    /// Reads the next page of a spilled lane once it has drained to half.
    void maybe_refill(Lane& lane);
    void on_refill(const std::string& endpoint_id, std::size_t asked,
                   std::vector<storage::OutboxEvent> events);
    /// Start-up: how much of the lane's queue is in the outbox only.
    void on_count(const std::string& endpoint_id, std::size_t unloaded);
    void pump(Lane& lane);
    void attempt(Lane& lane, storage::OutboxEvent event);
    void on_result(const std::string& endpoint_id, storage::OutboxEvent event, std::int64_t started,
                   std::shared_ptr<DeliveryConnection> connection, const DeliveryResult& result);
    void disable(Lane& lane, storage::OutboxEvent event, storage::DeliveryAttempt attempt);
    void arm_timer();
    void on_timer();
    void update_depth(Lane& lane);
    std::shared_ptr<EndpointStats> stats_of(const std::string& endpoint_id);

    net::any_io_executor executor_;
    storage::Outbox& outbox_;
    Registry& registry_;
    RetrySchedule schedule_;
    DispatcherLimits limits_;
    net::ssl::context tls_{net::ssl::context::tls_client};
    net::steady_timer timer_;
    std::int64_t timer_due_ = 0;  // ms; 0 when not armed
    std::unordered_map<std::string, std::unique_ptr<Lane>> lanes_;
    bool stopped_ = false;

    mutable std::mutex stats_mutex_;  // guards the map, not the counters
    std::map<std::string, std::shared_ptr<EndpointStats>> stats_;
};

}  // namespace herald::webhook
