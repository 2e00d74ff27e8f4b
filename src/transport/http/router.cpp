#include "transport/http/router.hpp"

#include <algorithm>

#include "core/channel_name.hpp"
#include "transport/http/access.hpp"
#include "transport/http/browser_policy.hpp"
#include "transport/http/channel_handlers.hpp"
#include "transport/http/metrics_endpoint.hpp"
#include "transport/http/responses.hpp"
#include "transport/http/static_files.hpp"
#include "transport/http/webhook_handlers.hpp"
#include "transport/poll/read_handler.hpp"
#include "transport/stream/stream_handler.hpp"
#include "transport/websocket/ws_handler.hpp"

namespace herald::transport {

using wire::ApiError;

namespace {

/// Adds the CORS answer to whatever the handler sends, now or later.
class CorsExchange final : public Exchange {
public:
    CorsExchange(ExchangePtr inner, std::string allow_origin)
        : inner_(std::move(inner)), allow_origin_(std::move(allow_origin)) {}

    void respond(Response&& response) override {
        add_headers(response);
        inner_->respond(std::move(response));
    }
    void on_disconnect(std::function<void()> on_abort) override {
        inner_->on_disconnect(std::move(on_abort));
    }
    std::optional<HandedOver> hand_over(Response& head) override {
        add_headers(head);
        return inner_->hand_over(head);
    }
    bool from_loopback() const override { return inner_->from_loopback(); }
    std::optional<int> publish_refused() override { return inner_->publish_refused(); }
    void join_presence(core::Presence& presence, const std::string& channel,
                       std::string_view transport,
                       const std::optional<std::string>& user) override {
        inner_->join_presence(presence, channel, transport, user);
    }

private:
    void add_headers(Response& response) const {
        response.set(http::field::access_control_allow_origin, allow_origin_);
        if (allow_origin_ != "*") response.set(http::field::vary, "Origin");
    }

    ExchangePtr inner_;
    std::string allow_origin_;
};

bool is(const Request& request, http::verb verb) {
    return request.method() == verb;
}

}  // namespace

std::optional<Response> Router::refuse_browser_admin(const Request& request) const {
    // A page of another site (its requests come from loopback when the browser runs here) must
    // not add a webhook copying every message out: no CORS, and its Origin is refused.
    const std::string_view origin = request[http::field::origin];
    const std::string_view host = request[http::field::host];
    if (!origin.empty() && !same_origin(origin, host)) {
        return error_response(ApiError::forbidden,
                              "the admin API answers no page of another origin");
    }
    // DNS rebinding: same origin, but under the attacker's name. In open mode, or once the
    // operator names the hosts, the Host must be this machine's loopback or one of them.
    const auto& hosts = context_.limits.allowed_hosts;
    const bool host_checked = context_.auth.open() || !hosts.empty();
    if (host_checked && !is_loopback_host(host) && !host_listed(hosts, host)) {
        return error_response(ApiError::forbidden,
                              "the admin API answers only when Host names this machine's "
                              "loopback or one of http.allowed_hosts");
    }
    return std::nullopt;
}

void Router::route(std::size_t shard, Request&& request, ExchangePtr exchange) {
    auto target = parse_request_target(request.target());
    if (!target) {
        return exchange->respond(error_response(ApiError::bad_request, "malformed request target"));
    }
    const auto& path = target->segments;
    const bool api = !path.empty() && path[0] == "v1";
    const bool admin = api && path.size() >= 2 && path[1] == "webhooks";

    if (admin) {
        if (auto refusal = refuse_browser_admin(request)) {
            return exchange->respond(std::move(*refusal));
        }
    } else if (api) {
        auto origin = request[http::field::origin];
        const auto& allowed = context_.limits.allowed_origins;
        if (std::find(allowed.begin(), allowed.end(), "*") != allowed.end()) {
            exchange = std::make_shared<CorsExchange>(std::move(exchange), "*");
        } else if (!origin.empty() &&
                   std::find(allowed.begin(), allowed.end(), origin) != allowed.end()) {
            exchange = std::make_shared<CorsExchange>(std::move(exchange), std::string(origin));
        }
    }
    if (api) {
        // CORS preflight. The admin API's answer carries no CORS headers: browsers then refuse
        // to send other sites' requests.
        if (is(request, http::verb::options)) {
            Response response{http::status::no_content, 11};
            response.set(http::field::access_control_allow_methods, "GET, POST, DELETE, OPTIONS");
            response.set(http::field::access_control_allow_headers,
                         "Authorization, Content-Type, Last-Event-ID");
            response.set(http::field::access_control_max_age, "600");
            return exchange->respond(std::move(response));
        }
    }

    // Every /v1 request is authenticated (open mode lets everyone in); health and metrics are not.
    auth::GrantPtr grant;
    if (api) {
        auto who = authenticate(context_.auth, request, *target);
        if (auto* refused = std::get_if<Response>(&who))
            return exchange->respond(std::move(*refused));
        grant = std::move(std::get<auth::GrantPtr>(who));
    }

    if (path.size() == 1 && (path[0] == "healthz" || path[0] == "readyz" || path[0] == "metrics")) {
        if (!is(request, http::verb::get)) return exchange->respond(method_not_allowed("GET"));
        if (path[0] == "healthz") {
            return exchange->respond(text_response(http::status::ok, "ok\n", "text/plain"));
        }
        if (path[0] == "metrics") {
            return exchange->respond(text_response(
                    http::status::ok,
                    render_metrics(context_.metrics, context_.webhooks != nullptr
                                                             ? context_.webhooks->stats()
                                                             : std::vector<core::WebhookStats>{}),
                    "text/plain; version=0.0.4"));
        }
        // Storage is asked off this thread; the answer comes back here.
        return context_.channels.check_ready(shard, [exchange](bool ready) {
            exchange->respond(
                    ready ? text_response(http::status::ok, "ready\n", "text/plain")
                          : error_response(ApiError::unavailable, "storage is not answering"));
        });
    }

    if (api && path.size() == 2 && path[1] == "ws") {
        if (!is(request, http::verb::get)) return exchange->respond(method_not_allowed("GET"));
        return handle_ws_upgrade(context_, shard, request, std::move(exchange), std::move(grant));
    }

    if (api && path.size() >= 2 && path[1] == "webhooks" && path.size() <= 4) {
        // The admin API needs `herald.admin` (API.md Auth). Open mode lets in clients on this
        // host only, unless http.admin_remote says otherwise (docs/SECURITY.md).
        if (context_.auth.open() && !context_.limits.admin_remote && !exchange->from_loopback()) {
            return exchange->respond(error_response(
                    ApiError::forbidden,
                    "without an auth key the admin API answers clients on this host only "
                    "(http.admin_remote)"));
        }
        if (!grant->is_admin()) {
            return exchange->respond(
                    error_response(ApiError::forbidden, "the admin API needs an admin token"));
        }
        return handle_webhooks(context_, shard, request,
                               std::vector<std::string>(path.begin() + 2, path.end()),
                               std::move(exchange));
    }

    if (api && path.size() >= 2 && path[1] == "channels" && path.size() <= 4) {
        if (path.size() == 2) {
            if (!is(request, http::verb::get)) return exchange->respond(method_not_allowed("GET"));
            return handle_channel_list(context_, shard, *target, std::move(grant),
                                       std::move(exchange));
        }
        const std::string& channel = path[2];
        const std::string_view resource =
                path.size() == 4 ? std::string_view(path[3]) : std::string_view();
        if (path.size() == 4 && resource != "messages" && resource != "events" &&
            resource != "stream" && resource != "presence") {
            return exchange->respond(error_response(ApiError::not_found, "no such resource"));
        }
        if (!core::is_valid_channel(channel)) {
            return exchange->respond(error_response(
                    ApiError::bad_request, "channel must match ^[A-Za-z0-9._:@-]{1,200}$"));
        }
        // The subscribe globs cover reads, long polls, streams and presence (API.md Auth).
        if (is(request, http::verb::post) && resource == "messages") {
            if (!grant->may_publish(channel))
                return exchange->respond(forbidden("publish to", channel));
        } else if (!grant->may_subscribe(channel)) {
            return exchange->respond(forbidden("read", channel));
        }
        if (path.size() == 3) {
            if (!is(request, http::verb::get)) return exchange->respond(method_not_allowed("GET"));
            return handle_channel_info(context_, shard, channel, std::move(exchange));
        }
        if (resource == "presence") {
            if (!is(request, http::verb::get)) return exchange->respond(method_not_allowed("GET"));
            return handle_presence(context_, shard, channel, std::move(exchange));
        }
        if (resource == "events" || resource == "stream") {
            if (!is(request, http::verb::get)) return exchange->respond(method_not_allowed("GET"));
            return handle_stream(context_, shard, request, *target, channel,
                                 resource == "events" ? StreamFormat::sse : StreamFormat::ndjson,
                                 grant->user(), std::move(exchange));
        }
        if (is(request, http::verb::post)) {
            return handle_publish(context_, shard, request, channel, std::move(exchange));
        }
        if (is(request, http::verb::get)) {
            return handle_read(context_, shard, *target, channel, grant->user(),
                               std::move(exchange));
        }
        return exchange->respond(method_not_allowed("GET, POST"));
    }

    if (!api) {  // the chat demo and herald.js, compiled in
        std::string asset_path;
        for (const auto& segment : path) {
            asset_path += "/" + segment;
        }
        if (const auto* asset = find_static_asset(asset_path.empty() ? "/" : asset_path)) {
            if (!is(request, http::verb::get) && !is(request, http::verb::head)) {
                return exchange->respond(method_not_allowed("GET, HEAD"));
            }
            return exchange->respond(static_response(*asset, request));
        }
    }

    exchange->respond(error_response(ApiError::not_found, "no such resource"));
}

}  // namespace herald::transport
