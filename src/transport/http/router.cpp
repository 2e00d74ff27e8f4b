#include "transport/http/router.hpp"

#include <algorithm>

#include "core/channel_name.hpp"
#include "transport/http/access.hpp"
#include "transport/http/browser_policy.hpp"
#include "transport/http/responses.hpp"
#include "transport/http/routes.hpp"
#include "transport/http/static_files.hpp"

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

std::optional<Response> Router::refuse_access(Access access, const auth::Grant* grant,
                                              const std::string& channel,
                                              const HttpClient& client) const {
    switch (access) {
        case Access::anyone:
        case Access::token: return std::nullopt;
        // The subscribe globs cover reads, long polls, streams and presence (API.md Auth).
        case Access::subscribe:
            if (grant != nullptr && grant->may_subscribe(channel)) return std::nullopt;
            return forbidden("read", channel);
        case Access::publish:
            if (grant != nullptr && grant->may_publish(channel)) return std::nullopt;
            return forbidden("publish to", channel);
        case Access::admin:
            // The admin API needs `herald.admin` (API.md Auth). Open mode lets in clients on
            // this host only, unless http.admin_remote says otherwise (docs/SECURITY.md).
            if (context_.auth.open() && !context_.limits.admin_remote && !client.loopback) {
                return error_response(ApiError::forbidden,
                                      "without an auth key the admin API answers clients on this "
                                      "host only (http.admin_remote)");
            }
            if (grant == nullptr || !grant->is_admin()) {
                return error_response(ApiError::forbidden, "the admin API needs an admin token");
            }
            return std::nullopt;
    }
    return std::nullopt;
}

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

void Router::route(runtime::ShardId shard, Request&& request, ExchangePtr exchange,
                   HttpClient& client) {
    auto target = parse_request_target(request.target());
    if (!target) {
        return exchange->respond(error_response(ApiError::bad_request, "malformed request target"));
    }
    const auto& path = target->segments;
    const bool api = !path.empty() && path[0] == "v1";
    // The admin API (API.md Auth): no CORS, and no page of another origin.
    const bool admin = api && path.size() >= 2 && (path[1] == "webhooks" || path[1] == "cluster");

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

    std::string allow;  // the methods of the routes whose path matches, for a 405
    for (const Route& route : routes()) {
        std::string channel;
        std::vector<std::string> rest;
        if (!matches(route.pattern, path, channel, rest)) continue;
        if (route.pattern.find("{channel}") != std::string_view::npos &&
            !core::is_valid_channel(channel)) {
            return exchange->respond(error_response(
                    ApiError::bad_request, "channel must match ^[A-Za-z0-9._:@-]{1,200}$"));
        }
        if (route.method != http::verb::unknown && route.method != request.method()) {
            if (!allow.empty()) allow += ", ";
            allow += http::to_string(route.method);
            continue;
        }
        if (auto refused = refuse_access(route.access, grant.get(), channel, client)) {
            return exchange->respond(std::move(*refused));
        }
        RouteCall call{
                context_,           shard,          client, request, *target, std::move(grant),
                std::move(channel), std::move(rest)};
        return route.handle(call, std::move(exchange));
    }
    if (!allow.empty()) return exchange->respond(method_not_allowed(allow));

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
