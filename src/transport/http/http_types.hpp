#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http.hpp>

#include "core/presence.hpp"
#include "runtime/listener.hpp"
#include "util/counted_slot.hpp"
#include "util/ip_network.hpp"
#include "util/sizes.hpp"

namespace herald::transport {

namespace beast = boost::beast;
namespace http = beast::http;

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

/// Bounds of the HTTP layer; each default says why.
struct HttpLimits {
    std::size_t max_body_bytes = 64 * kKiB;                 // API.md: a bigger publish gets 413
    std::size_t max_header_bytes = 8 * kKiB;                // like nginx: bigger headers get 431
    std::chrono::milliseconds request_timeout{30'000};      // a whole request, idle time included
    std::chrono::milliseconds write_timeout{30'000};        // a peer that stops reading is cut
    std::chrono::milliseconds long_poll_max_wait{120'000};  // API.md: wait=S up to 120 s
    std::size_t max_connections = 0;                        // 0: only the open-file limit
    // One client address (an IPv6 /64) may hold about 5% of the ~19,000 sockets a process gets,
    // far more than a browser (6 per host and a WebSocket) or an office behind NAT needs; 0: none.
    std::size_t max_connections_per_ip = 1000;
    std::size_t max_header_count = 100;  // well above browsers' ~20; more gets 431
    // Held long polls across all shards: half the sockets a process gets, so other transports
    // still find room; past it 503 with Retry-After. 0: bounded by connections only.
    std::size_t max_long_poll_waiters = 10'000;
    bool admin_remote = false;     // open mode: the admin API answers loopback clients only
    std::size_t publish_rate = 0;  // API.md limits.publish_rate, per connection; 0: unlimited
    // Channels one polling connection is present in, like a WebSocket's subscriptions
    // (limits.max_subscriptions): the oldest poll's channel is left first.
    std::size_t max_poll_channels = 100;
    std::vector<std::string> allowed_origins{"*"};  // CORS
    // Host names Herald is served as (DNS rebinding); empty: any Host but for the admin API
    // in open mode, which takes loopback names only.
    std::vector<std::string> allowed_hosts{};
    // Behind a load balancer (docs/ARCHITECTURE.md): every connection starts with a PROXY
    // protocol header naming the client, which is then the connection's address.
    bool proxy_protocol = false;
    // Peers whose X-Forwarded-For names the client of each request; their connections carry
    // many clients and are not bounded per address. Empty: the header is ignored.
    std::vector<IpNetwork> trusted_proxies{};
};

/// A connection leaving HTTP: its socket, its place in the per-address count (held until the
/// connection ends), and what the client sent after its request (a WebSocket client's first
/// frames may arrive with the upgrade request).
struct HandedOver {
    runtime::Socket socket;
    CountedSlot address_slot;
    std::string unread;
};

/// One request being answered. The session implements it; handlers answer through it, now or
/// later, exactly once.
/// Thread: the session's shard only.
class Exchange {
public:
    virtual ~Exchange() = default;
    /// Sends the response; version and keep-alive are the request's.
    virtual void respond(Response&& response) = 0;
    /// Until `respond`, watches the socket; if the peer leaves, calls `on_abort` once.
    virtual void on_disconnect(std::function<void()> on_abort) = 0;
    /// Ends HTTP on this connection for a response whose body never ends (SSE, streams) or a
    /// protocol switch (WebSocket): completes `head` (version, CORS) and hands over the socket,
    /// with the bytes already read past the request; the caller sends `head` and what follows.
    /// Empty when the request was answered already or the connection is closed.
    virtual std::optional<HandedOver> hand_over(Response& head) = 0;
};

using ExchangePtr = std::shared_ptr<Exchange>;

}  // namespace herald::transport
