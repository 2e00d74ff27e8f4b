#pragma once

#include <boost/asio/ip/address.hpp>

#include "transport/http/client_address.hpp"
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
    HttpClient(const HttpLimits& limits, const boost::asio::ip::address& connection)
        : publish_rate(static_cast<double>(limits.publish_rate),
                       static_cast<double>(limits.publish_rate)),
          connection_address(connection),
          address(connection),
          loopback(is_loopback(connection)) {}

    /// Before each request is routed: who sent it, as `connection_address` and, from a trusted
    /// proxy, its X-Forwarded-For say (http.trusted_proxies).
    void set_address(const boost::asio::ip::address& client) {
        address = client;
        loopback = is_loopback(client);
    }

    /// limits.publish_rate, per connection.
    TokenBucket publish_rate;
    /// Its presence as a poller.
    PollerPresence presence;
    /// Where the connection comes from: the accepted TCP socket's peer, or the client a PROXY
    /// protocol header named (http.proxy_protocol). A TLS session's socket pair has no peer of
    /// its own: this is the TCP socket's.
    boost::asio::ip::address connection_address;
    /// The client of the request being handled: `connection_address`, or the client a trusted
    /// proxy named in X-Forwarded-For. For logs and anything told apart by client address.
    boost::asio::ip::address address;
    /// `address` is on this host (the open-mode admin API): a request a proxy on this host
    /// forwards for a remote client is not.
    bool loopback;
};

}  // namespace herald::transport
