#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "auth/access.hpp"
#include "core/channel_service.hpp"
#include "core/cluster_directory.hpp"
#include "core/presence.hpp"
#include "core/webhook_admin.hpp"
#include "runtime/shard_id.hpp"
#include "transport/common/shard_services.hpp"
#include "transport/common/streaming_connection.hpp"
#include "transport/http/connection_admission.hpp"
#include "transport/http/http_client.hpp"
#include "transport/http/http_types.hpp"
#include "transport/http/request_target.hpp"
#include "transport/http/routes.hpp"
#include "transport/stream/stream_settings.hpp"
#include "transport/websocket/ws_settings.hpp"
#include "util/metrics.hpp"

namespace herald::transport {

/// What request handlers share: the channel service, presence, limits and metrics.
struct HttpContext {
    core::ChannelService& channels;
    core::Presence& presence;
    const auth::Authenticator& auth;
    HttpLimits limits;
    core::ServerMetrics& metrics;
    StreamSettings streams;
    WsSettings websocket;
    ConnectionSettings connections;  // every streaming connection's bounds and deadlines
    /// One per shard, owned by the HttpServer.
    std::vector<ShardServices*> shards;
    /// The webhook admin API; none: /v1/webhooks answers 404.
    core::WebhookAdmin* webhooks = nullptr;
    /// The nodes serving (GET /v1/cluster); none: 404.
    core::ClusterDirectory* cluster = nullptr;
    /// The storage backend's own metrics in /metrics (Redis's); none: only the shards'.
    const MetricsSource* storage_metrics = nullptr;
    // Counts shared by every shard. Connections and waiters hold slots pointing into them until
    // they end, which may be after the HttpServer is gone: the context outlives them all.
    /// Open connections per client address, for limits.max_connections_per_ip.
    ConnectionsPerAddress connections_per_address{};
    /// Long polls held now, for limits.max_long_poll_waiters.
    std::atomic<std::uint32_t> long_poll_waiters{0};
    /// The server is shutting down: /readyz answers 503 (HttpServer::stop sets it).
    std::atomic<bool> draining{false};

    ShardServices& services(runtime::ShardId shard) { return *shards[shard.value]; }
};

/// Maps a request to its handler by the route table (routes.hpp), after the checks every
/// request of its kind gets (CORS, the admin API's browser rules, authentication); answers 400,
/// 403, 404 and 405 itself.
/// Thread: any shard; holds no per-request state.
class Router {
public:
    explicit Router(HttpContext& context) : context_(context) {}

    /// Answers `request` through `exchange`; `client`: the connection it came on.
    void route(runtime::ShardId shard, Request&& request, ExchangePtr exchange, HttpClient& client);

private:
    /// The 403 for an admin API request that a browser may have sent for a page of another
    /// origin, or under a DNS-rebinding name (API.md Auth); nothing when it may go on.
    std::optional<Response> refuse_browser_admin(const Request& request) const;
    /// The 403 when `grant` may not use a route of `access` (for `channel`), else nothing.
    /// `grant` is null outside /v1, where every route is open to anyone.
    std::optional<Response> refuse_access(Access access, const auth::Grant* grant,
                                          const std::string& channel,
                                          const HttpClient& client) const;

    HttpContext& context_;
};

}  // namespace herald::transport
