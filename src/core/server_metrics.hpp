#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "runtime/shard_id.hpp"
#include "util/metrics.hpp"

namespace herald::core {

/// Every counter /metrics shows, as one shard counts them. Each shard writes only its own set,
/// so no cache line is shared between shards on the hot path; /metrics sums the sets.
/// alignas: two shards' sets never share a cache line either.
struct alignas(64) ShardMetrics {
    Gauge http_connections;    // open HTTP connections (polling clients included)
    Gauge sse_connections;     // Server-Sent Events responses being streamed
    Gauge stream_connections;  // NDJSON streams
    Gauge ws_connections;      // WebSocket connections after their upgrade
    Gauge long_poll_waits;     // requests held by long polling right now
    Gauge tls_connections;     // TLS connections (their sessions count above too)
    Gauge tls_handshakes;      // TLS connections still shaking hands: no session yet
    Counter http_requests;
    Counter http_errors;            // responses with status >= 400
    Counter messages_published;     // stored, new
    Counter messages_deduplicated;  // publishes answered 200: same id stored before
    Counter publish_failures;       // storage refused: answered 503
    Counter messages_delivered;     // messages handed to a subscriber's connection
    Counter long_poll_timeouts;     // answered 204
    Counter slow_consumer_closes;
    Counter publishes_rate_limited;  // past limits.publish_rate: 429 or a rate_limited frame
    Counter malformed_requests;      // answered 400/431 or closed before routing
    Counter tls_handshake_failures;  // bad or no handshake within http.request_timeout
    // Refusals by a limit (API.md Flow control), one counter per reason shown in /metrics.
    Counter refused_max_connections;    // limits.max_connections: 503 at accept
    Counter refused_per_ip;             // limits.max_connections_per_ip: 429 at accept
    Counter refused_header_size;        // 431: headers over 8 KiB
    Counter refused_header_count;       // 431: more than limits.max_header_count fields
    Counter refused_body_size;          // 413: a body over limits.max_message_bytes
    Counter refused_long_poll_waiters;  // 503: limits.max_long_poll_waiters held already
    Counter refused_subscriptions;      // rate_limited frame: past limits.max_subscriptions
    Counter refused_ws_message_size;    // close 1009: past limits.ws_max_frame_bytes
    Counter request_timeouts;           // http.request_timeout ran out inside a request
    Counter idle_timeouts;              // http.request_timeout ran out on an idle connection
    Counter reads_from_memory;          // reads answered by the window of recent messages
    Counter reads_from_storage;         // reads that went to storage
    Counter read_failures;              // storage could not read: 503, or the stream ended
    Histogram publish_latency;          // receipt to stored, seconds

    /// This shard's open connections, whatever their transport.
    std::int64_t connections() const {
        return http_connections.value() + sse_connections.value() + stream_connections.value() +
               ws_connections.value() + tls_handshakes.value();
    }

    /// Adds every count of `other` to this one (the scrape's sum).
    void add(const ShardMetrics& other);
};

/// The server's metrics: one ShardMetrics per shard, summed when read.
/// Thread: `shard(id)` is written by shard `id` (or, after the shards stopped, by the main
/// thread); `total` and `connections` read from any thread.
class ServerMetrics {
public:
    explicit ServerMetrics(std::size_t shards);

    ShardMetrics& shard(runtime::ShardId id) { return *shards_[id.value]; }

    /// Every shard's counts summed: what /metrics shows.
    std::unique_ptr<ShardMetrics> total() const;

    /// Every open connection on every shard: what limits.max_connections bounds.
    std::int64_t connections() const;

private:
    std::vector<std::unique_ptr<ShardMetrics>> shards_;
};

}  // namespace herald::core
