#include "transport/http/routes.hpp"

#include <array>

#include "transport/http/channel_handlers.hpp"
#include "transport/http/metrics_endpoint.hpp"
#include "transport/http/responses.hpp"
#include "transport/http/router.hpp"
#include "transport/http/webhook_handlers.hpp"
#include "transport/poll/read_handler.hpp"
#include "transport/stream/stream_handler.hpp"
#include "transport/websocket/ws_handler.hpp"
#include "wire/json_responses.hpp"

namespace herald::transport {

namespace {

using http::verb;

void health(RouteCall&, ExchangePtr exchange) {
    exchange->respond(text_response(http::status::ok, "ok\n", "text/plain"));
}

void readiness(RouteCall& call, ExchangePtr exchange) {
    if (call.context.draining.load(std::memory_order_relaxed)) {
        return exchange->respond(
                error_response(wire::ApiError::unavailable, "the server is shutting down"));
    }
    // Storage is asked off this thread; the answer comes back here.
    call.context.channels.check_ready(call.shard, [exchange](bool ready) {
        exchange->respond(
                ready ? text_response(http::status::ok, "ready\n", "text/plain")
                      : error_response(wire::ApiError::unavailable, "storage is not answering"));
    });
}

void metrics(RouteCall& call, ExchangePtr exchange) {
    auto* webhooks = call.context.webhooks;
    exchange->respond(
            text_response(http::status::ok,
                          render_metrics(*call.context.metrics.total(),
                                         webhooks != nullptr ? webhooks->stats()
                                                             : std::vector<core::WebhookStats>{},
                                         call.context.storage_metrics),
                          "text/plain; version=0.0.4"));
}

/// GET /v1/cluster: the nodes serving now.
void cluster(RouteCall& call, ExchangePtr exchange) {
    core::ClusterDirectory* directory = call.context.cluster;
    if (directory == nullptr) {
        return exchange->respond(error_response(wire::ApiError::not_found, "no such resource"));
    }
    directory->nodes(call.shard, [exchange = std::move(exchange)](
                                         std::optional<std::vector<core::NodeInfo>> nodes) {
        if (!nodes)
            return exchange->respond(
                    storage_unavailable("the cluster directory could not be read"));
        exchange->respond(json_response(http::status::ok, wire::cluster_reply(*nodes)));
    });
}

void stream(RouteCall& call, ExchangePtr exchange, StreamFormat format) {
    handle_stream(call.context, call.shard, call.request, call.target, call.channel, format,
                  call.grant->user(), std::move(exchange));
}

const std::array<Route, 13> kRoutes{{
        {verb::get, "/healthz", Access::anyone, health},
        {verb::get, "/readyz", Access::anyone, readiness},
        {verb::get, "/metrics", Access::anyone, metrics},
        {verb::get, "/v1/ws", Access::token,
         [](RouteCall& call, ExchangePtr exchange) {
             handle_ws_upgrade(call.context, call.shard, call.request, std::move(exchange),
                               std::move(call.grant));
         }},
        {verb::get, "/v1/channels", Access::token,
         [](RouteCall& call, ExchangePtr exchange) {
             handle_channel_list(call.context, call.shard, call.target, std::move(call.grant),
                                 std::move(exchange));
         }},
        {verb::get, "/v1/channels/{channel}", Access::subscribe,
         [](RouteCall& call, ExchangePtr exchange) {
             handle_channel_info(call.context, call.shard, call.channel, std::move(exchange));
         }},
        {verb::get, "/v1/channels/{channel}/messages", Access::subscribe,
         [](RouteCall& call, ExchangePtr exchange) {
             handle_read(call.context, call.shard, call.target, call.channel, call.grant->user(),
                         call.client.presence, std::move(exchange));
         }},
        {verb::post, "/v1/channels/{channel}/messages", Access::publish,
         [](RouteCall& call, ExchangePtr exchange) {
             handle_publish(call.context, call.shard, call.request, call.channel,
                            call.client.publish_rate, std::move(exchange));
         }},
        {verb::get, "/v1/channels/{channel}/events", Access::subscribe,
         [](RouteCall& call, ExchangePtr exchange) {
             stream(call, std::move(exchange), StreamFormat::sse);
         }},
        {verb::get, "/v1/channels/{channel}/stream", Access::subscribe,
         [](RouteCall& call, ExchangePtr exchange) {
             stream(call, std::move(exchange), StreamFormat::ndjson);
         }},
        {verb::get, "/v1/channels/{channel}/presence", Access::subscribe,
         [](RouteCall& call, ExchangePtr exchange) {
             handle_presence(call.context, call.shard, call.channel, std::move(exchange));
         }},
        {verb::get, "/v1/cluster", Access::admin, cluster},
        // The admin API: its handler tells its methods apart (GET, POST, DELETE) by the rest.
        {verb::unknown, "/v1/webhooks/*", Access::admin,
         [](RouteCall& call, ExchangePtr exchange) {
             handle_webhooks(call.context, call.shard, call.request, std::move(call.rest),
                             std::move(exchange));
         }},
}};

}  // namespace

std::span<const Route> routes() {
    return kRoutes;
}

bool matches(std::string_view pattern, const std::vector<std::string>& path, std::string& channel,
             std::vector<std::string>& rest) {
    std::size_t i = 0;
    pattern.remove_prefix(1);  // the leading '/'
    while (!pattern.empty()) {
        const std::size_t slash = pattern.find('/');
        const std::string_view segment = pattern.substr(0, slash);
        pattern = slash == std::string_view::npos ? std::string_view() : pattern.substr(slash + 1);
        if (segment == "*") {
            if (path.size() - i > 2) return false;  // /v1/webhooks/{id}/deliveries at most
            rest.assign(path.begin() + static_cast<std::ptrdiff_t>(i), path.end());
            return true;
        }
        if (i == path.size()) return false;
        if (segment == "{channel}") {
            channel = path[i];
        } else if (segment != path[i]) {
            return false;
        }
        ++i;
    }
    return i == path.size();
}

}  // namespace herald::transport
