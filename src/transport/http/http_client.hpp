#pragma once

#include "transport/http/http_types.hpp"
#include "transport/poll/poller_presence.hpp"
#include "util/token_bucket.hpp"

namespace herald::transport {

/// The client at the other end of one HTTP connection, as its keep-alive requests share it:
/// what a handler may need besides the request and its answer (the Exchange). Owned by the
/// connection; a handler uses it before it returns, never from a completion (the connection
/// may have ended by then).
/// Thread: the connection's shard only.
struct HttpClient {
    HttpClient(const HttpLimits& limits, bool from_loopback)
        : publish_rate(static_cast<double>(limits.publish_rate),
                       static_cast<double>(limits.publish_rate)),
          loopback(from_loopback) {}

    /// limits.publish_rate, per connection.
    TokenBucket publish_rate;
    /// Its presence as a poller.
    PollerPresence presence;
    /// It connects from this host, as the accepted TCP socket said (the open-mode admin API).
    bool loopback;
};

}  // namespace herald::transport
