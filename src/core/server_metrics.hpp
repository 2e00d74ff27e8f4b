#pragma once

#include "util/metrics.hpp"

namespace herald::core {

/// Every counter /metrics shows. One instance, owned by the composition root, shared by
/// reference; the counters are relaxed atomics, so any shard may count.
struct ServerMetrics {
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
    Histogram publish_latency;       // receipt to stored, seconds

    /// Every open connection, whatever its transport: what limits.max_connections bounds.
    std::int64_t connections() const {
        return http_connections.value() + sse_connections.value() + stream_connections.value() +
               ws_connections.value() + tls_handshakes.value();
    }
};

}  // namespace herald::core
