#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "storage/stored_message.hpp"

namespace herald::storage {

/// A webhook endpoint as the store keeps it. To storage every field is opaque text: the
/// webhook layer validates and interprets them.
struct EndpointRecord {
    std::string id;
    std::string url;
    std::string secret;  // "whsec_..."
    std::vector<std::string> events;
    std::vector<std::string> channels;
    bool from_config = false;
    bool enabled = true;
    std::int64_t created = 0;  // ms since the Unix epoch
};

/// One event owed to one endpoint (transactional outbox row). The body is built once, when
/// the event happens, and never changes; only attempts and the next attempt time do.
struct OutboxEvent {
    std::int64_t row = 0;    // set by the store: insertion order, unique
    std::string webhook_id;  // the same for every retry and every endpoint of the event
    std::string endpoint_id;
    std::string type;  // "message.published", ...
    std::string body;
    std::uint32_t attempts = 0;      // attempts made so far
    std::int64_t next_attempt = 0;   // ms since the Unix epoch
    std::int64_t first_attempt = 0;  // ms; 0 before the first attempt
};

/// One attempt, as GET /v1/webhooks/{id}/deliveries lists it.
struct DeliveryAttempt {
    std::string endpoint_id;
    std::string webhook_id;
    std::string type;
    std::uint32_t attempt = 0;  // 1 for the first
    int status_code = 0;        // the HTTP status; 0 when no answer came
    std::string error;          // why there was no 2xx answer; empty on success
    std::int64_t time = 0;      // ms since the Unix epoch, when the attempt ended
    std::string outcome;        // "delivered" | "retrying" | "failed" | "disabled"
};

/// What an attempt leaves behind for its outbox row.
struct AttemptOutcome {
    enum class Next {
        done,    // delivered, or dropped (endpoint disabled or gone): delete the row
        retry,   // keep the row for `next_attempt`
        failed,  // retries exhausted: keep the row, status failed, never sent again
    };
    std::int64_t row = 0;
    Next next = Next::done;
    std::int64_t next_attempt = 0;
    std::int64_t first_attempt = 0;
    DeliveryAttempt attempt;
};

/// The durable queue of webhook events and the endpoints they go to. Backends implement it
/// next to their MessageLog, so a message and the events it causes are stored in one
/// transaction: a crash can never keep the one and lose the other.
/// Thread: the router and listener run on the store's own thread (or under its lock), in
/// commit order; everything else from any thread; `done` callbacks run on the store's thread.
class Outbox {
public:
    /// Inside the transaction of each newly stored message (never a duplicate): appends the
    /// events it causes. Must be quick and must not block.
    using Router = std::function<void(const StoredMessage&, std::vector<OutboxEvent>&)>;
    /// Events just committed, rows set, in insertion order. Must only hand them on.
    using Listener = std::function<void(std::vector<OutboxEvent>&&)>;

    virtual ~Outbox() = default;

    /// Both set once, before the first append.
    virtual void set_outbox_router(Router router) = 0;
    virtual void set_outbox_listener(Listener listener) = 0;

    /// Stores events that no message carries (channel and presence events), then hands them
    /// to the listener.
    virtual void enqueue_events(std::vector<OutboxEvent> events) = 0;

    /// Every pending event (not failed), in insertion order. Start-up, before appends.
    virtual std::vector<OutboxEvent> pending_events() = 0;

    /// At most `limit` pending events of one endpoint with rows after `after_row`, in row
    /// order: how a dispatcher that holds only part of a long queue in memory reads the rest.
    /// `done` runs after every event committed before the read was handed to the listener,
    /// and before any committed after it.
    virtual void pending_for(std::string endpoint_id, std::int64_t after_row, std::size_t limit,
                             std::function<void(std::vector<OutboxEvent>)> done) = 0;

    /// How many pending events of one endpoint have rows after `after_row`: the part of its
    /// queue a dispatcher has not read yet. `done` is ordered like pending_for's.
    virtual void count_pending(std::string endpoint_id, std::int64_t after_row,
                               std::function<void(std::size_t)> done) = 0;

    /// Records attempts and updates or deletes their rows; batched, asynchronous. A failed
    /// row beyond the newest kFailedEventsKeptPerEndpoint of its endpoint is deleted.
    virtual void record_attempts(std::vector<AttemptOutcome> outcomes) = 0;

    /// The newest attempts of an endpoint, newest first, at most `limit`.
    virtual void recent_attempts(std::string endpoint_id, std::size_t limit,
                                 std::function<void(std::vector<DeliveryAttempt>)> done) = 0;

    /// Every endpoint (start-up).
    virtual std::vector<EndpointRecord> endpoints() = 0;
    /// Inserts or replaces an endpoint; `done(false)` when it could not be stored.
    virtual void save_endpoint(EndpointRecord endpoint, std::function<void(bool)> done) = 0;
    /// Deletes an endpoint with its pending events and attempts.
    virtual void delete_endpoint(std::string id, std::function<void(bool)> done) = 0;
    /// Marks an endpoint disabled (410 Gone) and drops its pending events.
    virtual void disable_endpoint(std::string id) = 0;
};

/// How long an endpoint's attempts are kept for the deliveries list.
inline constexpr std::size_t kAttemptsKeptPerEndpoint = 100;
/// Events whose retries ran out stay in the outbox (status failed, never sent again) for
/// whoever inspects the database; only the newest this many per endpoint, so that an endpoint
/// that never answers cannot grow the database without bound. (Delivered events are deleted at
/// once; attempts are bounded by kAttemptsKeptPerEndpoint.)
inline constexpr std::size_t kFailedEventsKeptPerEndpoint = 100;

}  // namespace herald::storage
